/**
 * Many feeds into one (SPEC §6.2): fetched with bounded concurrency, each raced against one
 * overall deadline so that a hanging origin costs its slot and nothing more, then turned
 * into items whose enclosures point at the play gateway.
 */
import { decodeItemId, encodeItemId, isHttpUrl, MAX_ITEM_ID_CHARS } from "../domain/ids.ts";
import type { RssItem } from "./build.ts";
import type { Feed, FeedItem } from "./parse.ts";

/** A feed to include: canonical id and URL. */
export interface FeedSource {
  readonly feed: string;
  readonly feedUrl: string;
}

/** What became of one feed: its cached body, or the error code that left it out. */
export interface Gathered {
  readonly source: FeedSource;
  readonly feed?: Feed;
  readonly error?: string;
}

/** Builds the gateway URL of an episode for the token the feed was asked with. */
export type PlayUrl = (feed: string, item: string) => string;

/**
 * Loads every source, `concurrency` at a time; whatever has not answered when `deadlineMs`
 * runs out is reported as `upstream_timeout` (its fetch goes on in the background and
 * still fills the cache). Never throws; results keep the order of `sources`.
 */
export async function gatherFeeds(
  sources: readonly FeedSource[],
  load: (source: FeedSource) => Promise<Feed>,
  options: { concurrency: number; deadlineMs: number },
): Promise<Gathered[]> {
  const results: Gathered[] = new Array(sources.length);
  let expired = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"expired">((resolve) => {
    timer = setTimeout(() => {
      expired = true;
      resolve("expired");
    }, options.deadlineMs);
  });
  let next = 0;
  const worker = async () => {
    while (!expired && next < sources.length) {
      const i = next++;
      const source = sources[i];
      const attempt = load(source).then(
        (feed): Gathered => ({ source, feed }),
        (err): Gathered => ({ source, error: (err as { code?: string })?.code ?? "error" }),
      );
      const r = await Promise.race([attempt, deadline]);
      results[i] = r === "expired" ? { source, error: "upstream_timeout" } : r;
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency, sources.length));
  try {
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    clearTimeout(timer);
  }
  return sources.map((source, i) => results[i] ?? { source, error: "upstream_timeout" });
}

/** The podcast's name as shown in episode titles: its title, else its host name. */
export function podcastTitle(title: string | undefined, feedUrl: string): string {
  if (title && title.trim() !== "") return title.trim();
  try {
    return new URL(feedUrl).hostname;
  } catch {
    return feedUrl;
  }
}

/** `[Podcast Title] Episode Title`. */
export function prefixedTitle(podcast: string, episode: string | undefined): string {
  return `[${podcast}] ${episode?.trim() || "Untitled episode"}`;
}

/**
 * The canonical item id of a feed item, or undefined when it cannot have one that decodes
 * back to the same guid and enclosure (no http(s) enclosure, too long, ambiguous split).
 */
export function itemIdOf(item: FeedItem): string | undefined {
  const url = item.enclosure?.url;
  if (!url || !isHttpUrl(url)) return undefined;
  const id = encodeItemId(item.guid, url);
  if (id.length > MAX_ITEM_ID_CHARS) return undefined;
  try {
    const back = decodeItemId(id);
    return back.guid === item.guid && back.enclosureUrl === url ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The guid of an episode in a personal feed: the origin's guid under its feed id, stable
 * across fetches and unique across podcasts (feed readers de-duplicate by guid, and two
 * podcasts may both number their episodes "1", "2"…). A guid the origin repeats for
 * different episodes also carries the episode's item id.
 */
export function personalGuid(feed: string, guid: string, item?: string): string {
  return item === undefined ? `${feed}:${guid}` : `${feed}:${guid}:${item}`;
}

/** The guids a feed gives to more than one of its items. */
export function repeatedGuids(items: readonly FeedItem[]): Set<string> {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const it of items) (seen.has(it.guid) ? repeated : seen).add(it.guid);
  return repeated;
}

/** A feed item as a personal-feed item: prefixed title, gateway enclosure, stable guid. */
export function personalItem(
  source: FeedSource,
  podcast: string,
  item: FeedItem,
  playUrl: PlayUrl,
  repeated: ReadonlySet<string> = new Set(),
): RssItem | undefined {
  const id = itemIdOf(item);
  if (!id) return undefined;
  const { length, type } = item.enclosure!;
  return {
    title: prefixedTitle(podcast, item.title),
    guid: personalGuid(source.feed, item.guid, repeated.has(item.guid) ? id : undefined),
    link: httpLink(item.link),
    pubDate: item.pubDate,
    description: item.description,
    enclosure: { url: playUrl(source.feed, id), length, type },
    duration: item.duration,
    source: { url: source.feedUrl, title: podcast },
  };
}

/** One episode of a gathered feed, with what a listing of episodes needs. */
export interface LatestEntry {
  readonly source: FeedSource;
  /** The podcast's name (its title, else its host name). */
  readonly podcast: string;
  readonly item: FeedItem;
  /** The canonical item id. */
  readonly id: string;
  /** Whether the feed gives this item's guid to other items too. */
  readonly repeated: boolean;
}

/**
 * The `limit` newest addressable episodes of all gathered feeds, newest first (undated ones
 * last, then in feed order). The personal feed and the web dashboard both list these.
 */
export function latestEntries(gathered: readonly Gathered[], limit: number): LatestEntry[] {
  const all: { entry: LatestEntry; order: number }[] = [];
  for (const g of gathered) {
    if (!g.feed) continue;
    const podcast = podcastTitle(g.feed.title, g.source.feedUrl);
    const repeated = repeatedGuids(g.feed.items);
    for (const item of g.feed.items) {
      const id = itemIdOf(item);
      if (!id) continue;
      const entry = { source: g.source, podcast, item, id, repeated: repeated.has(item.guid) };
      all.push({ entry, order: all.length });
    }
  }
  all.sort((a, b) =>
    (b.entry.item.pubDate ?? -Infinity) - (a.entry.item.pubDate ?? -Infinity) ||
    a.order - b.order
  );
  return all.slice(0, limit).map((x) => x.entry);
}

/** The `limit` newest items of all gathered feeds, newest first (undated ones last). */
export function latestItems(
  gathered: readonly Gathered[],
  playUrl: PlayUrl,
  limit: number,
): RssItem[] {
  return latestEntries(gathered, limit).map((e) =>
    personalItem(e.source, e.podcast, e.item, playUrl, new Set(e.repeated ? [e.item.guid] : []))!
  );
}

/** A URL without any user:password part (it may sit in a subscribed feed's URL). */
function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.href;
  } catch {
    return "(invalid URL)";
  }
}

/** An http(s) link, or nothing (a `javascript:` link must not reach a feed reader). */
function httpLink(link: string | undefined): string | undefined {
  return link !== undefined && /^https?:\/\//i.test(link) ? link : undefined;
}

/** XML comments naming the feeds that were left out and why. */
export function skippedComments(gathered: readonly Gathered[]): string[] {
  return gathered.filter((g) => g.error !== undefined)
    .map((g) => `skipped ${withoutCredentials(g.source.feedUrl)} (${g.error})`);
}
