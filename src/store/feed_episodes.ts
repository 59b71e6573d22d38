/**
 * Stored episode lists of subscribers' feeds (`["feed_eps", feedHash, part]`): the 100
 * newest episodes, trimmed, written whenever a subscriber's feed is fetched or refreshed.
 * Personal feeds are built from them, so a feed reader polling every minute costs the
 * origins nothing: only the background refresh (conditional GET, per-host limits) fetches.
 */
import type { Feed, FeedItem } from "../rss/parse.ts";
import { feedHash } from "./hash.ts";
import * as keys from "./keys.ts";
import { valueSize } from "./sizing.ts";

/** Episodes kept per feed. */
export const STORED_EPISODES = 100;
/** Bytes per stored part (KV values are at most 64 KiB). */
const PART_BUDGET = 48 * 1024;
/** A list lives this long after its last write (a feed nobody refreshes fades away). */
const STORED_TTL_MS = 30 * 86_400_000;

/** One part of a stored list. */
interface StoredPart {
  readonly feed_url: string;
  readonly title: string;
  readonly fetched_at: number;
  readonly items: FeedItem[];
}

function cut(text: string | undefined, max: number): string | undefined {
  return text === undefined ? undefined : text.length > max ? text.slice(0, max) : text;
}

/** Long show notes are cut at a word or tag boundary, with an ellipsis. */
function cutNotes(text: string | undefined, max: number): string | undefined {
  if (text === undefined || text.length <= max) return text;
  const head = text.slice(0, max);
  const at = Math.max(head.lastIndexOf(">") + 1, head.lastIndexOf(" "));
  return `${head.slice(0, at > max / 2 ? at : max).trimEnd()} …`;
}

/** An item trimmed for storage (long descriptions and odd fields are the bulk of a feed). */
function trimmed(it: FeedItem): FeedItem {
  const out: Record<string, unknown> = {
    guid: it.guid.slice(0, 1024),
    title: cut(it.title, 300),
    pubDate: it.pubDate,
    enclosure: it.enclosure && {
      url: it.enclosure.url.slice(0, 4096),
      ...(it.enclosure.length === undefined ? {} : { length: it.enclosure.length }),
      ...(it.enclosure.type === undefined ? {} : { type: it.enclosure.type.slice(0, 100) }),
    },
    duration: it.duration,
    description: cutNotes(it.description, 4000),
    link: cut(it.link, 2048),
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out as unknown as FeedItem;
}

/** The form a feed is stored in: its newest episodes, trimmed (live answers use it too). */
export function storedForm(parsed: Feed): Feed {
  const items = [...parsed.items]
    .filter((it) => it.enclosure?.url)
    .sort((a, b) => (b.pubDate ?? -Infinity) - (a.pubDate ?? -Infinity))
    .slice(0, STORED_EPISODES)
    .map(trimmed);
  return { title: parsed.title.slice(0, 300), items };
}

/** Stores the newest episodes of a feed (one atomic write: readers never see a mix). */
export async function saveFeedEpisodes(
  kv: Deno.Kv,
  feed: string,
  feedUrl: string,
  parsed: Feed,
  now: number,
): Promise<void> {
  const hash = await feedHash(feed);
  const newest = [...parsed.items]
    .filter((it) => it.enclosure?.url)
    .sort((a, b) => (b.pubDate ?? -Infinity) - (a.pubDate ?? -Infinity))
    .slice(0, STORED_EPISODES)
    .map(trimmed);
  const head = {
    feed_url: feedUrl.slice(0, 2048),
    title: parsed.title.slice(0, 300),
    fetched_at: now,
  };
  const parts: StoredPart[] = [];
  let current: FeedItem[] = [];
  let bytes = 0;
  for (const it of newest) {
    const size = valueSize(it);
    if (current.length > 0 && bytes + size > PART_BUDGET) {
      parts.push({ ...head, items: current });
      current = [];
      bytes = 0;
    }
    current.push(it);
    bytes += size;
  }
  parts.push({ ...head, items: current });
  const op = kv.atomic();
  const old = await Array.fromAsync(kv.list({ prefix: keys.feedEpisodesPrefix(hash) }));
  for (const e of old) if ((e.key[2] as number) >= parts.length) op.delete(e.key);
  parts.forEach((p, i) => op.set(keys.feedEpisodesKey(hash, i), p, { expireIn: STORED_TTL_MS }));
  await op.commit();
}

/** The stored lists of these feeds (absent ones are not in the map). */
export async function storedFeeds(
  kv: Deno.Kv,
  feeds: Iterable<string>,
): Promise<Map<string, Feed>> {
  const out = new Map<string, Feed>();
  const list = [...new Set(feeds)];
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const feed = list[next++];
      const prefix = keys.feedEpisodesPrefix(await feedHash(feed));
      const parts = await Array.fromAsync(kv.list<StoredPart>({ prefix }));
      if (parts.length === 0) continue;
      out.set(feed, { title: parts[0].value.title, items: parts.flatMap((p) => p.value.items) });
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, list.length) }, worker));
  return out;
}
