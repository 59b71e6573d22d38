/**
 * The personal aggregated feeds (SPEC §6.2): a user's subscriptions, or one playlist, as
 * RSS 2.0 whose enclosures go through the play gateway with the token the feed was asked
 * with. The caller has already resolved the token.
 */
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import { decodeItemId } from "../domain/ids.ts";
import { storedFeeds, storedForm } from "../store/feed_episodes.ts";
import { feedMetas } from "../store/feed_meta.ts";
import { itemHash } from "../store/hash.ts";
import { getPlaylist, listSubscriptions } from "../store/queries.ts";
import {
  type FeedSource,
  type Gathered,
  gatherFeeds,
  latestEntries,
  type LatestEntry,
  latestItems,
  personalGuid,
  personalItem,
  type PlayUrl,
  podcastTitle,
  prefixedTitle,
  repeatedGuids,
  skippedComments,
} from "./aggregate.ts";
import { buildRss, type RssItem } from "./build.ts";
import type { FeedService } from "./feed_service.ts";

/** What the personal feeds need. */
export interface PersonalFeedDeps {
  readonly kv: Deno.Kv;
  readonly config: Config;
  readonly clock: Clock;
  readonly feeds: FeedService;
}

/** Episodes in the subscriptions feed. */
export const LATEST_ITEMS = 100;
/** Playlist entries shown at most. */
const PLAYLIST_MAX = 500;
const PLAYLIST_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * The gateway URL builder for a token: `https://{PLAY_HOST}/{token}/{feed}/{item}` when a
 * play host is configured, else `{BASE_URL}/play/{token}/{feed}/{item}`.
 */
export function playUrlFor(config: Config, token: string): PlayUrl {
  return config.playHost
    ? (feed, item) => `https://${config.playHost}/${token}/${feed}/${item}`
    : (feed, item) => `${config.baseUrl}/play/${token}/${feed}/${item}`;
}

/** Feeds fetched live for one personal feed request at most (the rest come later). */
export const LIVE_FETCHES = 8;

/**
 * The feeds' episodes from their stored lists (kept fresh by the background refresh); a
 * few feeds never stored yet (`liveFetches`) are fetched now, the others are fetched in the
 * background and noted in the answer. So a reader polling often costs the origins nothing.
 */
async function gather(
  deps: PersonalFeedDeps,
  sources: FeedSource[],
  liveFetches = LIVE_FETCHES,
): Promise<Gathered[]> {
  const stored = await storedFeeds(deps.kv, sources.map((s) => s.feed));
  const missing = sources.filter((s) => !stored.has(s.feed));
  const live = missing.slice(0, liveFetches);
  deps.feeds.backfillMeta(missing.slice(liveFetches).map((s) => s.feed));
  const fetched = await gatherFeeds(
    live,
    // The stored form, so an answer is the same before and after the list is stored.
    (s) => deps.feeds.load(s.feedUrl, { wanted: true }).then((c) => storedForm(c.feed)),
    { concurrency: deps.feeds.concurrency, deadlineMs: deps.feeds.deadlineMs },
  );
  const byFeed = new Map(fetched.map((g) => [g.source.feed, g]));
  return sources.map((source) => {
    const feed = stored.get(source.feed);
    if (feed) return { source, feed };
    return byFeed.get(source.feed) ?? { source, error: "not_fetched_yet" };
  });
}

/** RSS of the 100 latest episodes of the user's active subscriptions. */
export async function subscriptionsFeed(
  deps: PersonalFeedDeps,
  userId: string,
  token: string,
): Promise<string> {
  const subs = await listSubscriptions(deps.kv, userId);
  const sources = subs.map((s) => ({ feed: s.rss_source_feed, feedUrl: s.feed_url }));
  const gathered = await gather(deps, sources);
  const items = latestItems(gathered, playUrlFor(deps.config, token), LATEST_ITEMS);
  return buildRss(
    {
      title: "My podcasts (Balados Sync)",
      link: deps.config.baseUrl,
      description: "The latest episodes of my subscriptions.",
      lastBuildDate: deps.clock.now(),
      block: true,
    },
    items,
    { comments: skippedComments(gathered) },
  );
}

/**
 * The `limit` newest episodes of the user's active subscriptions, as the subscriptions feed
 * lists them, from the stored lists only: a page never waits on an origin (feeds never
 * stored yet are fetched in the background).
 */
export async function latestEpisodes(
  deps: PersonalFeedDeps,
  userId: string,
  limit: number,
): Promise<LatestEntry[]> {
  const subs = await listSubscriptions(deps.kv, userId);
  const sources = subs.map((s) => ({ feed: s.rss_source_feed, feedUrl: s.feed_url }));
  return latestEntries(await gather(deps, sources, 0), limit);
}

interface Entry {
  readonly feed: string;
  readonly item: string;
  readonly guid: string;
  readonly enclosureUrl: string;
  readonly addedAt: number;
}

/** A playlist entry whose feed did not answer (or no longer lists it): built from its id. */
async function fallbackItem(
  entry: Entry,
  feedUrl: string,
  podcast: string,
  titles: Record<string, string> | undefined,
  playUrl: PlayUrl,
): Promise<RssItem> {
  const title = titles?.[await itemHash(entry.item)];
  return {
    title: prefixedTitle(podcast, title),
    guid: personalGuid(entry.feed, entry.guid),
    pubDate: entry.addedAt,
    enclosure: { url: playUrl(entry.feed, entry.item) },
    source: { url: feedUrl, title: podcast },
  };
}

/** RSS of one playlist in playlist order, or null when there is no such live playlist. */
export async function playlistFeed(
  deps: PersonalFeedDeps,
  userId: string,
  token: string,
  playlistId: string,
): Promise<string | null> {
  if (!PLAYLIST_ID.test(playlistId)) return null;
  const pl = await getPlaylist(deps.kv, userId, playlistId);
  if (!pl || pl.deleted_at) return null;
  const entries: Entry[] = [];
  const sources = new Map<string, FeedSource>();
  for (const it of pl.items.slice(0, PLAYLIST_MAX)) {
    // An entry without a feed cannot get a gateway URL (the gateway needs the feed).
    if (!it.rss_source_feed || !it.feed_url) continue;
    try {
      const { guid, enclosureUrl } = decodeItemId(it.rss_source_item);
      const addedAt = Date.parse(it.added_at);
      entries.push({
        feed: it.rss_source_feed,
        item: it.rss_source_item,
        guid,
        enclosureUrl,
        addedAt,
      });
      sources.set(it.rss_source_feed, { feed: it.rss_source_feed, feedUrl: it.feed_url });
    } catch {
      continue; // stored ids are canonical; a bad one is skipped rather than failing the feed
    }
  }
  const gathered = await gather(deps, [...sources.values()]);
  const byFeed = new Map<string, Gathered>(gathered.map((g) => [g.source.feed, g]));
  const metas = await feedMetas(deps.kv, sources.keys());
  const playUrl = playUrlFor(deps.config, token);
  const items: RssItem[] = [];
  for (const e of entries) {
    const g = byFeed.get(e.feed)!;
    const meta = metas.get(e.feed);
    const podcast = podcastTitle(g.feed?.title ?? meta?.title, g.source.feedUrl);
    const found = g.feed?.items.find((i) =>
      i.guid === e.guid && i.enclosure?.url === e.enclosureUrl
    );
    const built = found &&
      personalItem(g.source, podcast, found, playUrl, repeatedGuids(g.feed!.items));
    items.push(
      built ?? await fallbackItem(e, g.source.feedUrl, podcast, meta?.episodes, playUrl),
    );
  }
  return buildRss(
    {
      title: pl.name,
      link: deps.config.baseUrl,
      description: pl.description || `The playlist ${pl.name}.`,
      lastBuildDate: deps.clock.now(),
      block: true,
    },
    items,
    { comments: skippedComments(gathered) },
  );
}
