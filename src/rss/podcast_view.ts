/**
 * A podcast as a page shows it (SPEC §10): what its feed says now, through the shared feed
 * cache and the safe fetcher, else its stored episode list, else only the metadata cache —
 * with the reason the feed could not be read, so the page can say so.
 */
import { encodeFeedId } from "../domain/ids.ts";
import { storedFeeds } from "../store/feed_episodes.ts";
import { feedMetas } from "../store/feed_meta.ts";
import { itemIdOf } from "./aggregate.ts";
import { FeedError, type FeedErrorCode } from "./errors.ts";
import type { FeedService } from "./feed_service.ts";
import type { Feed, FeedEnclosure } from "./parse.ts";

/** One addressable episode of a podcast. */
export interface EpisodeEntry {
  /** The canonical item id. */
  readonly item: string;
  readonly guid: string;
  readonly title?: string;
  /** Milliseconds since the epoch. */
  readonly pubDate?: number;
  /** Whole seconds, as the feed declares it. */
  readonly duration?: number;
  /** The media file exactly as the feed lists it. */
  readonly enclosure: FeedEnclosure;
  /** HTML written by the feed's author: show it as plain text only. */
  readonly description?: string;
}

/** A podcast with its episodes newest first. */
export interface PodcastView {
  readonly feed: string;
  readonly feedUrl: string;
  readonly title?: string;
  readonly author?: string;
  readonly cover?: string;
  /** HTML written by the feed's author: show it as plain text only. */
  readonly description?: string;
  readonly episodes: readonly EpisodeEntry[];
  /** Where the episodes come from: the feed now, its stored list, or nowhere. */
  readonly source: "live" | "stored" | "none";
  /** Why the feed could not be read now. */
  readonly error?: FeedErrorCode | "error";
}

/** What {@linkcode podcastView} needs. */
export interface PodcastViewDeps {
  readonly kv: Deno.Kv;
  readonly feeds: FeedService;
}

/** The addressable episodes of a feed, newest first (undated ones last, in feed order). */
export function episodesOf(feed: Feed): EpisodeEntry[] {
  const out: { e: EpisodeEntry; n: number }[] = [];
  for (const it of feed.items) {
    const item = itemIdOf(it);
    if (!item) continue;
    const e: EpisodeEntry = {
      item,
      guid: it.guid,
      title: it.title,
      pubDate: it.pubDate,
      duration: it.duration,
      enclosure: it.enclosure!,
      description: it.description,
    };
    out.push({ e, n: out.length });
  }
  out.sort((a, b) => (b.e.pubDate ?? -Infinity) - (a.e.pubDate ?? -Infinity) || a.n - b.n);
  return out.map((x) => x.e);
}

/** The loaded feed, or why it could not be loaded within `waitMs`. */
async function loadWithin(
  deps: PodcastViewDeps,
  feedUrl: string,
  options: { wanted: boolean; waitMs: number },
): Promise<{ feed: Feed } | { error: FeedErrorCode | "error" }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((r) => (timer = setTimeout(() => r("late"), options.waitMs)));
  const loading = deps.feeds.load(feedUrl, { wanted: options.wanted }).then(
    (cached) => ({ feed: cached.feed }),
    (err) => ({ error: err instanceof FeedError ? err.code : "error" as const }),
  );
  try {
    const r = await Promise.race([loading, late]);
    return r === "late" ? { error: "upstream_timeout" } : r;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A podcast for a page: the feed (waited on at most `waitMs`; a subscriber's feed is
 * `wanted`, so it stays refreshed), else what is stored about it. Never throws for a feed
 * that cannot be loaded: `error` says why.
 */
export async function podcastView(
  deps: PodcastViewDeps,
  feedUrl: string,
  options: { wanted?: boolean; waitMs?: number } = {},
): Promise<PodcastView> {
  const feed = encodeFeedId(feedUrl);
  const waitMs = options.waitMs ?? deps.feeds.deadlineMs;
  const [loaded, metas] = await Promise.all([
    loadWithin(deps, feedUrl, { wanted: options.wanted ?? false, waitMs }),
    feedMetas(deps.kv, [feed]),
  ]);
  const meta = metas.get(feed);
  const known = { feed, feedUrl, title: meta?.title, author: meta?.author, cover: meta?.cover };
  if ("feed" in loaded) {
    const f = loaded.feed;
    return {
      ...known,
      title: f.title || known.title,
      author: f.author ?? known.author,
      cover: f.cover ?? known.cover,
      description: f.description,
      episodes: episodesOf(f),
      source: "live",
    };
  }
  const stored = (await storedFeeds(deps.kv, [feed])).get(feed);
  return {
    ...known,
    title: known.title ?? (stored?.title || undefined),
    episodes: stored ? episodesOf(stored) : [],
    source: stored ? "stored" : "none",
    error: loaded.error,
  };
}

/**
 * A podcast someone is about to subscribe to: its feed fetched now through the safe
 * fetcher, and its metadata recorded, so that titles and covers are there once subscribed.
 * @throws {FeedError} when the URL is refused, the origin fails or the body is not a feed.
 */
export async function previewPodcast(
  deps: PodcastViewDeps,
  feedUrl: string,
): Promise<PodcastView> {
  const cached = await deps.feeds.load(feedUrl);
  await deps.feeds.recordMeta(feedUrl, cached);
  const f = cached.feed;
  return {
    feed: encodeFeedId(feedUrl),
    feedUrl,
    title: f.title || undefined,
    author: f.author,
    cover: f.cover,
    description: f.description,
    episodes: episodesOf(f),
    source: "live",
  };
}

/**
 * After a subscription: loads the feed as a subscriber's, so its metadata and stored episode
 * list are written (what the dashboard and the personal feed read), waiting at most
 * `waitMs`; a slower origin finishes in the background. Never throws.
 */
export async function followFeed(
  deps: PodcastViewDeps,
  feedUrl: string,
  waitMs: number,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((r) => (timer = setTimeout(r, waitMs)));
  const recording = deps.feeds.track(
    deps.feeds.load(feedUrl, { wanted: true })
      .then((cached) => deps.feeds.recordMeta(feedUrl, cached, { wanted: true })),
  ).catch(() => {});
  try {
    await Promise.race([recording, late]);
  } finally {
    clearTimeout(timer);
  }
}
