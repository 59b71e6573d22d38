/**
 * Writes RSS 2.0 with the iTunes namespace (SPEC §6.2). Every text goes through one
 * escaping function, characters XML 1.0 cannot carry are dropped, rich text goes in CDATA
 * sections that cannot be closed early, and dates are RFC 822.
 */

/** The iTunes podcast namespace. */
export const ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd";

/** Channel-level fields of a built feed. */
export interface RssChannel {
  readonly title: string;
  readonly link: string;
  readonly description: string;
  /** Milliseconds since the epoch. */
  readonly lastBuildDate?: number;
  /** Adds `<itunes:block>Yes</itunes:block>` (keeps the feed out of directories). */
  readonly block?: boolean;
}

/** One episode of a built feed. */
export interface RssItem {
  readonly title: string;
  /** Written with `isPermaLink="false"`. */
  readonly guid: string;
  readonly link?: string;
  readonly pubDate?: number;
  /** HTML, written as CDATA. */
  readonly description?: string;
  readonly enclosure?: { readonly url: string; readonly length?: number; readonly type?: string };
  /** Whole seconds. */
  readonly duration?: number;
  /** The channel the item comes from (RSS 2.0 `<source>`). */
  readonly source?: { readonly url: string; readonly title: string };
}

/** Anything XML 1.0 cannot hold: C0 controls but tab/LF/CR, lone surrogates, U+FFFE/F. */
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Drops the characters XML 1.0 cannot carry. */
export function xmlChars(text: string): string {
  return text.replace(NOT_XML, "");
}

/**
 * Escapes text for element content and (double- or single-quoted) attribute values.
 * @example
 * ```ts
 * escapeXml(`Tom & "Jerry" <3`); // "Tom &amp; &quot;Jerry&quot; &lt;3"
 * ```
 */
export function escapeXml(text: string): string {
  return xmlChars(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** A CDATA section holding `text` exactly; a `]]>` inside is split across two sections. */
export function cdata(text: string): string {
  return `<![CDATA[${xmlChars(text).replace(/]]>/g, "]]]]><![CDATA[>")}]]>`;
}

/** Text that is safe inside `<!-- … -->` (no `--`, no trailing `-`). */
export function commentText(text: string): string {
  return xmlChars(text).replace(/-(?=-|$)/g, "%2D");
}

/**
 * An RFC 822 date (`Tue, 13 Jan 2026 07:00:00 GMT`), or undefined for a time that has no
 * four-digit-year form.
 */
export function rfc822(ms: number | undefined): string | undefined {
  if (ms === undefined || !Number.isFinite(ms)) return undefined;
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  return year >= 1000 && year <= 9999 ? d.toUTCString() : undefined;
}

function element(name: string, text: string | undefined): string {
  return text === undefined ? "" : `<${name}>${escapeXml(text)}</${name}>`;
}

function itemXml(item: RssItem): string {
  const parts = [
    element("title", item.title),
    `<guid isPermaLink="false">${escapeXml(item.guid)}</guid>`,
    element("link", item.link),
    element("pubDate", rfc822(item.pubDate)),
  ];
  if (item.description !== undefined) {
    parts.push(`<description>${cdata(item.description)}</description>`);
  }
  const e = item.enclosure;
  if (e) {
    // RSS 2.0 requires both attributes; 0 and a generic type mean "unknown".
    parts.push(
      `<enclosure url="${escapeXml(e.url)}" length="${e.length ?? 0}" type="${
        escapeXml(e.type ?? "application/octet-stream")
      }"/>`,
    );
  }
  if (item.duration !== undefined) parts.push(element("itunes:duration", String(item.duration)));
  if (item.source) {
    parts.push(
      `<source url="${escapeXml(item.source.url)}">${escapeXml(item.source.title)}</source>`,
    );
  }
  return `<item>${parts.join("")}</item>`;
}

/**
 * An RSS 2.0 document. `comments` become XML comments at the top of the channel (they
 * tell a reader's owner which feeds were left out, and why).
 */
export function buildRss(
  channel: RssChannel,
  items: readonly RssItem[],
  options: { comments?: readonly string[] } = {},
): string {
  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<rss version="2.0" xmlns:itunes="${ITUNES_NS}">`,
    `<channel>`,
    element("title", channel.title),
    element("link", channel.link),
    element("description", channel.description),
    element("generator", "Balados Sync"),
    element("lastBuildDate", rfc822(channel.lastBuildDate)),
    channel.block ? "<itunes:block>Yes</itunes:block>" : "",
    ...(options.comments ?? []).map((c) => `<!-- ${commentText(c)} -->`),
    ...items.map(itemXml),
    `</channel>`,
    `</rss>`,
  ];
  return lines.filter((l) => l !== "").join("\n") + "\n";
}
