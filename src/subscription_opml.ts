/**
 * OPML import and export of a user's subscriptions (SPEC §4.2), as one service the REST
 * API and the web pages share: the same parsing, the same counts, the same document.
 */
import type { Device } from "./domain/events.ts";
import { ValidationError } from "./domain/errors.ts";
import { encodeFeedId, isHttpUrl, MAX_FEED_URL_BYTES } from "./domain/ids.ts";
import { buildOpml, parseOpml } from "./formats/opml.ts";
import { decodeXmlBytes } from "./formats/xml_bytes.ts";
import { listSubscriptions } from "./store/queries.ts";
import type { UserCommands } from "./user_commands.ts";

/** What an import did: new subscriptions, feeds already there or repeated, bad URLs. */
export interface OpmlImportCounts {
  readonly imported: number;
  readonly skipped: number;
  readonly invalid: number;
}

/**
 * Subscribes the user to every feed of an OPML file (nested outlines included): skipped =
 * already subscribed or repeated in the file, invalid = not an http(s) URL of ≤ 2 KiB.
 * @throws {ValidationError} `invalid_opml` for an empty file or one that is not OPML.
 */
export async function importOpml(
  deps: { readonly registry: UserCommands },
  userId: string,
  bytes: Uint8Array,
  device?: Device,
): Promise<OpmlImportCounts> {
  // OPML files come in their own encodings (ISO-8859-1, UTF-16): read them as XML says.
  const { text } = decodeXmlBytes(bytes);
  if (text.trim() === "") throw new ValidationError("invalid_opml", "The OPML file is empty.");
  const outlines = parseOpml(text);
  const seen = new Set<string>();
  let invalid = 0, repeated = 0;
  const feeds: string[] = [];
  for (const o of outlines) {
    const size = new TextEncoder().encode(o.xmlUrl).length;
    if (!isHttpUrl(o.xmlUrl) || size > MAX_FEED_URL_BYTES) {
      invalid++;
      continue;
    }
    const feed = encodeFeedId(o.xmlUrl);
    if (seen.has(feed)) {
      repeated++;
      continue;
    }
    seen.add(feed);
    feeds.push(feed);
  }
  const r = await deps.registry.execute(userId, { type: "SubscribeMany", data: { feeds } }, device);
  const imported = r.events.filter((e) => e.type === "subscribed").length;
  return { imported, skipped: feeds.length - imported + repeated, invalid };
}

/** The OPML 2.0 document of the user's active subscriptions. */
export async function subscriptionsOpml(
  kv: Deno.Kv,
  user: { readonly id: string; readonly username: string },
  nowIso: string,
): Promise<string> {
  const subs = await listSubscriptions(kv, user.id);
  return buildOpml(
    `${user.username}'s podcasts (Balados Sync)`,
    subs.map((s) => ({ url: s.feed_url, title: s.feed_title })),
    nowIso,
  );
}

/** The headers of an OPML download. */
export const OPML_DOWNLOAD_HEADERS: Readonly<Record<string, string>> = {
  "Content-Type": "text/x-opml; charset=utf-8",
  "Content-Disposition": 'attachment; filename="subscriptions.opml"',
};
