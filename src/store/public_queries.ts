/**
 * Reads of the public projections (SPEC §5): trending lists, one feed's or episode's
 * popularity, the timeline with cursor pages and filters, and public profiles. Titles,
 * authors and covers come from the feed metadata cache. Nothing here ever reads a user's
 * private data: only public-projection keys, public playlists and the username index.
 */
import { ACTIVITY_KINDS, type ActivityKind } from "../domain/activity.ts";
import { ValidationError } from "../domain/errors.ts";
import { decodeFeedId, decodeItemId } from "../domain/ids.ts";
import { emptyPopRecord, type PopRecord } from "../projections/popularity_roll.ts";
import type { TimelineEntry } from "../projections/public_activity.ts";
import { episodeTitle, type FeedMeta, feedMetas } from "./feed_meta.ts";
import { base64url, feedHash, itemHash } from "./hash.ts";
import * as keys from "./keys.ts";
import { getPlaylist, listPlaylists, type PlaylistOut } from "./queries.ts";

/** A cover as the public API gives it. */
export type Cover = { src: string; srcset?: string } | null;

/** A feed's popularity as answered. */
export interface PodcastPopularity {
  rss_source_feed: string;
  feed_url: string;
  feed_title: string | null;
  feed_author: string | null;
  feed_cover: Cover;
  score: number;
  score_previous: number;
  plays: number;
  plays_previous: number;
  plays_people: string[];
  likes: number;
  likes_previous: number;
  subscriptions: number;
  shares: number;
}

/** An episode's popularity as answered (its feed is null only for an unknown episode). */
export interface EpisodePopularity extends Omit<PodcastPopularity, "rss_source_feed" | "feed_url"> {
  rss_source_feed: string | null;
  feed_url: string | null;
  rss_source_item: string;
  guid: string;
  enclosure_url: string;
  item_title: string | null;
}

function feedFields(feed: string, meta: FeedMeta | undefined) {
  return {
    rss_source_feed: feed,
    feed_url: decodeFeedId(feed).feedUrl,
    feed_title: meta?.title ?? null,
    feed_author: meta?.author ?? null,
    feed_cover: meta?.cover ? { src: meta.cover } : null,
  };
}

function counts(r: PopRecord) {
  return {
    score: r.score,
    score_previous: r.score_previous,
    plays: r.plays,
    plays_previous: r.plays_previous,
    plays_people: [...r.plays_people],
    likes: r.likes,
    likes_previous: r.likes_previous,
    subscriptions: r.subscriptions,
    shares: r.shares,
  };
}

async function describeFeeds(kv: Deno.Kv, records: PopRecord[]): Promise<PodcastPopularity[]> {
  const metas = await feedMetas(kv, records.map((r) => r.feed));
  return records.map((r) => ({ ...feedFields(r.feed, metas.get(r.feed)), ...counts(r) }));
}

async function describeEpisodes(
  kv: Deno.Kv,
  records: PopRecord[],
): Promise<EpisodePopularity[]> {
  const metas = await feedMetas(kv, records.map((r) => r.feed));
  return await Promise.all(records.map(async (r) => {
    const { guid, enclosureUrl } = decodeItemId(r.item!);
    const meta = metas.get(r.feed);
    return {
      ...feedFields(r.feed, meta),
      rss_source_item: r.item!,
      guid,
      enclosure_url: enclosureUrl,
      item_title: (await episodeTitle(meta, r.item!)) ?? null,
      ...counts(r),
    };
  }));
}

/** Podcasts by current score, best first. */
export async function trendingPodcasts(kv: Deno.Kv, limit: number): Promise<PodcastPopularity[]> {
  const records: PopRecord[] = [];
  for await (const e of kv.list<PopRecord>({ prefix: keys.trendingPrefix("feed") }, { limit })) {
    records.push(e.value);
  }
  return await describeFeeds(kv, records);
}

/** Episodes by current score, best first; of one feed when `feed` is given. */
export async function trendingEpisodes(
  kv: Deno.Kv,
  limit: number,
  feed?: string,
): Promise<EpisodePopularity[]> {
  const prefix = feed === undefined
    ? keys.trendingPrefix("item")
    : keys.trendingByFeedPrefix(await feedHash(feed));
  const records: PopRecord[] = [];
  for await (const e of kv.list<PopRecord>({ prefix }, { limit })) records.push(e.value);
  return await describeEpisodes(kv, records);
}

/** One feed's popularity (zeros when nobody counted it). */
export async function feedPopularity(kv: Deno.Kv, feed: string): Promise<PodcastPopularity> {
  const e = await kv.get<PopRecord>(keys.popTotalKey("feed", await feedHash(feed)));
  const [out] = await describeFeeds(kv, [e.value ?? emptyPopRecord({ feed }, "")]);
  return out;
}

/**
 * One episode's popularity (zeros when nobody counted it; its feed is then `feed` if given,
 * else null).
 */
export async function episodePopularity(
  kv: Deno.Kv,
  item: string,
  feed?: string,
): Promise<EpisodePopularity> {
  const e = await kv.get<PopRecord>(keys.popTotalKey("item", await itemHash(item)));
  const record = e.value ?? (feed ? emptyPopRecord({ feed, item }, "") : null);
  if (record) return (await describeEpisodes(kv, [record]))[0];
  const { guid, enclosureUrl } = decodeItemId(item);
  return {
    rss_source_feed: null,
    feed_url: null,
    feed_title: null,
    feed_author: null,
    feed_cover: null,
    rss_source_item: item,
    guid,
    enclosure_url: enclosureUrl,
    item_title: null,
    ...counts(emptyPopRecord({ feed: "" }, "")),
  };
}

/** A timeline entry as answered. */
export interface TimelineOut {
  id: string;
  type: ActivityKind;
  ts: string;
  rss_source_feed: string;
  feed_url: string;
  rss_source_item?: string;
  user?: string;
  feed_title?: string;
  item_title?: string;
}

/** What a timeline page asks for. */
export interface TimelineQuery {
  limit: number;
  cursor?: string;
  /** Entries to skip first (after the cursor, if any). */
  offset?: number;
  type?: ActivityKind;
  feed?: string;
}

/** Most entries a timeline request reads past a filter before it answers a short page. */
const SCAN_MAX = 5_000;
/** Largest `offset` accepted (it costs a read per skipped entry). */
export const MAX_TIMELINE_OFFSET = 10_000;

const ALIASES: Record<string, ActivityKind> = {
  subscribe: "subscribe",
  subscribed: "subscribe",
  play: "play",
  played: "play",
  save: "save",
  saved: "save",
  like: "save",
  liked: "save",
  share: "share",
  shared: "share",
};

/**
 * The activity kind an `event_type` filter names (`play`, `played`, `like`, …).
 * @throws {ValidationError} for anything else.
 */
export function parseActivityKind(text: string): ActivityKind {
  const name = text.toLowerCase();
  // Own keys only: "constructor" or "__proto__" must not reach a KV key.
  const kind = Object.hasOwn(ALIASES, name) ? ALIASES[name] : undefined;
  if (!kind) {
    throw new ValidationError(
      "validation_failed",
      `event_type must be one of ${ACTIVITY_KINDS.join(", ")}.`,
      { event_type: "unknown event type" },
    );
  }
  return kind;
}

function filterTag(q: TimelineQuery): string {
  return `${q.type ?? "*"}|${q.feed ?? "*"}`;
}

function encodeCursor(key: Deno.KvKey, q: TimelineQuery): string {
  const tail = key.slice(-2);
  const json = JSON.stringify({ k: tail, f: filterTag(q) });
  return base64url(new TextEncoder().encode(json));
}

function decodeCursor(cursor: string, q: TimelineQuery): [number, string] {
  const bad = () => new ValidationError("invalid_cursor", "This cursor is invalid for this query.");
  if (cursor.length > 512 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  try {
    const json = JSON.parse(atob(cursor.replace(/-/g, "+").replace(/_/g, "/")));
    const k = json?.k;
    if (json?.f !== filterTag(q)) throw bad();
    // The cursor becomes part of a KV key: only the shapes this module makes are accepted.
    if (
      !Array.isArray(k) || k.length !== 2 || !Number.isSafeInteger(k[0]) || k[0] < 0 ||
      typeof k[1] !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(k[1])
    ) throw bad();
    return [k[0], k[1]];
  } catch {
    throw bad();
  }
}

/** Gives timeline entries their API shape, with cached titles. */
export async function describeTimeline(
  kv: Deno.Kv,
  entries: readonly TimelineEntry[],
): Promise<TimelineOut[]> {
  const metas = await feedMetas(kv, entries.map((e) => e.feed));
  return await Promise.all(entries.map(async (e) => {
    const meta = metas.get(e.feed);
    const out: TimelineOut = {
      id: e.id,
      type: e.type,
      ts: e.ts,
      rss_source_feed: e.feed,
      feed_url: decodeFeedId(e.feed).feedUrl,
    };
    if (e.item !== undefined) out.rss_source_item = e.item;
    if (e.user !== undefined) out.user = e.user;
    if (meta?.title) out.feed_title = meta.title;
    if (e.item !== undefined) {
      const title = await episodeTitle(meta, e.item);
      if (title) out.item_title = title;
    }
    return out;
  }));
}

/**
 * A page of the public timeline, newest first.
 * @throws {ValidationError} `invalid_cursor` for a cursor of another query.
 */
export async function listTimeline(
  kv: Deno.Kv,
  q: TimelineQuery,
): Promise<{ events: TimelineOut[]; next_cursor: string | null }> {
  // The narrowest index for the filters; the other filter is applied while reading.
  const prefix = q.feed !== undefined
    ? keys.timelineByFeedPrefix(await feedHash(q.feed))
    : q.type !== undefined
    ? keys.timelineByKindPrefix(q.type)
    : keys.timelinePrefix();
  const selector: Deno.KvListSelector = q.cursor
    ? { prefix, start: [...prefix, ...decodeCursor(q.cursor, q), ""] }
    : { prefix };
  const page: TimelineEntry[] = [];
  let skip = q.offset ?? 0;
  let scanned = 0;
  let last: Deno.KvKey | undefined;
  let more = false;
  // Read about one page (plus what is skipped) per round trip, not 500 entries for 20.
  const filtered = q.feed !== undefined && q.type !== undefined;
  const batchSize = filtered ? 500 : Math.min(500, q.limit + 1 + (q.offset ?? 0));
  for await (const e of kv.list<TimelineEntry>(selector, { batchSize })) {
    if (page.length === q.limit || scanned >= SCAN_MAX + (q.offset ?? 0)) {
      more = true;
      break;
    }
    scanned++;
    last = e.key;
    if (q.feed !== undefined && q.type !== undefined && e.value.type !== q.type) continue;
    if (skip > 0) {
      skip--;
      continue;
    }
    page.push(e.value);
  }
  return {
    events: await describeTimeline(kv, page),
    next_cursor: more && last ? encodeCursor(last, q) : null,
  };
}

/** A public profile (SPEC §5). */
export interface PublicProfile {
  username: string;
  since: string;
  playlists: PlaylistOut[];
  recent: TimelineOut[];
}

const PROFILE_RECENT = 20;
const PROFILE_PLAYLISTS = 50;

async function userByName(kv: Deno.Kv, username: string) {
  const name = username.trim().toLowerCase();
  if (!/^[a-z0-9_.-]{3,32}$/.test(name)) return null;
  const id = (await kv.get<string>(keys.usernameKey(name))).value;
  if (!id) return null;
  const user = await kv.get<{ id: string; username: string; created_at: string }>(
    keys.userKey(id),
  );
  return user.value;
}

/**
 * A listener's public profile, or null — the same for a username that never existed and
 * for one with no public activity and no public playlist (no hint either way).
 */
export async function publicProfile(kv: Deno.Kv, username: string): Promise<PublicProfile | null> {
  const user = await userByName(kv, username);
  if (!user) return null;
  const recent: TimelineEntry[] = [];
  const prefix = keys.timelineByUserPrefix(user.id);
  for await (const e of kv.list<TimelineEntry>({ prefix }, { limit: PROFILE_RECENT })) {
    recent.push(e.value);
  }
  const lists = (await listPlaylists(kv, user.id)).filter((p) => p.is_public)
    .slice(0, PROFILE_PLAYLISTS);
  if (recent.length === 0 && lists.length === 0) return null;
  const playlists: PlaylistOut[] = [];
  for (const p of lists) {
    const full = await getPlaylist(kv, user.id, p.id);
    if (full) playlists.push(full);
  }
  return {
    username: user.username,
    since: user.created_at,
    playlists,
    recent: await describeTimeline(kv, recent),
  };
}

/**
 * One public playlist of a listener with the listener's username, or null when it is not
 * public (or not there).
 */
export async function publicPlaylist(
  kv: Deno.Kv,
  username: string,
  id: string,
): Promise<{ username: string; playlist: PlaylistOut } | null> {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id)) return null;
  const user = await userByName(kv, username);
  if (!user) return null;
  const pl = await getPlaylist(kv, user.id, id);
  return pl && pl.is_public && !pl.deleted_at ? { username: user.username, playlist: pl } : null;
}
