/**
 * The feed metadata cache (`["feedmeta", feedHash]`): titles for API answers, written when a
 * feed is fetched. Feeds a subscriber uses are "wanted": they sit in a refresh index
 * `["feedmeta_due", dueAt, feedHash]` that the refresh job walks in bounded batches; the
 * others expire on their own.
 */
import { isoAt } from "../clock.ts";
import { feedHash, itemHash } from "./hash.ts";
import * as keys from "./keys.ts";

/** What `["feedmeta", feedHash]` holds. */
export interface FeedMeta {
  /** Canonical feed id (absent in entries written before it was added). */
  feed?: string;
  feed_url: string;
  title?: string;
  author?: string;
  cover?: string;
  /** Date of the newest dated episode (RFC 3339), when the feed dates its episodes. */
  latest_at?: string;
  fetched_at: string;
  /** Episode titles by item hash (capped so the value stays under KV's 64 KiB). */
  episodes?: Record<string, string>;
  /** Last time a subscriber's use asked for this feed (RFC 3339). */
  wanted_at?: string;
  /** When the refresh job picks it up again (ms; its index key holds the same time). */
  refresh_at?: number;
}

/** How long a read (or a miss) stays in the per-process cache: titles may lag this much. */
export const FEED_META_CACHE_MS = 60_000;
const CACHE_MAX = 10_000;

/** One cache per KV handle, so tests on separate in-memory KVs never share entries. */
const caches = new WeakMap<Deno.Kv, Map<string, { at: number; meta: FeedMeta | null }>>();

function cacheOf(kv: Deno.Kv) {
  let c = caches.get(kv);
  if (!c) caches.set(kv, c = new Map());
  return c;
}

/** Forgets a feed's cached metadata (call after writing it). */
export function invalidateFeedMeta(kv: Deno.Kv, feed: string): void {
  cacheOf(kv).delete(feed);
}

/**
 * Reads the metadata of many feeds; missing ones are absent. Every API answer with titles
 * needs this, so reads (and misses) are cached in-process for FEED_META_CACHE_MS and the
 * rest fetched with getMany in chunks of 10.
 */
export async function feedMetas(
  kv: Deno.Kv,
  feeds: Iterable<string>,
): Promise<Map<string, FeedMeta>> {
  const cache = cacheOf(kv);
  const now = Date.now();
  const out = new Map<string, FeedMeta>();
  const wanted: string[] = [];
  for (const feed of new Set(feeds)) {
    const hit = cache.get(feed);
    if (hit && now - hit.at < FEED_META_CACHE_MS) {
      if (hit.meta) out.set(feed, hit.meta);
    } else wanted.push(feed);
  }
  for (let i = 0; i < wanted.length; i += 10) {
    const chunk = wanted.slice(i, i + 10);
    const hashes = await Promise.all(chunk.map(feedHash));
    const entries = await kv.getMany<FeedMeta[]>(hashes.map((h) => keys.feedMetaKey(h)));
    entries.forEach((e, j) => {
      if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
      cache.set(chunk[j], { at: now, meta: e.value });
      if (e.value) out.set(chunk[j], e.value);
    });
  }
  return out;
}

/** The title of an episode from its feed's metadata, if known. */
export async function episodeTitle(
  meta: FeedMeta | undefined,
  item: string,
): Promise<string | undefined> {
  if (!meta?.episodes) return undefined;
  return meta.episodes[await itemHash(item)];
}

/** How long after a fetch a wanted feed's metadata is refreshed in the background. */
export const FEED_META_REFRESH_MS = 2 * 3_600_000;
/** A feed stays wanted (kept fresh, kept at all) this long after a subscriber last used it. */
export const FEED_META_WANTED_MS = 30 * 86_400_000;
/** Unchanged metadata is rewritten (new `fetched_at`) at most this often. */
const REWRITE_MS = 3_600_000;
/** `wanted_at` is moved forward at most this often. */
const WANTED_TOUCH_MS = 86_400_000;
/** Budget for the whole value (KV allows 64 KiB; strings may take 2 bytes a character). */
const VALUE_BUDGET = 56 * 1024;
const TITLE_MAX = 300;

/** What a fetched feed says about itself, as the metadata cache keeps it. */
export interface FeedMetaInput {
  /** Canonical feed id. */
  readonly feed: string;
  readonly feedUrl: string;
  readonly title?: string;
  readonly author?: string;
  readonly cover?: string;
  /** Date of the newest dated episode (ms). */
  readonly latestAt?: number;
  /** Episodes newest first: canonical item id and title. */
  readonly episodes: ReadonlyArray<{ readonly item: string; readonly title: string }>;
}

/** How a write came about. */
export interface SaveFeedMetaOptions {
  /** Clock time of the write (ms). */
  readonly now: number;
  /** A subscriber's feed (aggregated feed, subscription list): keep it refreshed. */
  readonly wanted?: boolean;
  /** Write even when nothing changed (the refresh job). */
  readonly force?: boolean;
}

function cap(text: string | undefined, max: number): string | undefined {
  return text === undefined ? undefined : text.slice(0, max);
}

/** Episode titles by item hash, newest first, until the value budget is spent. */
async function cappedEpisodes(
  input: FeedMetaInput,
  spent: number,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let bytes = spent;
  for (const { item, title } of input.episodes) {
    const t = title.slice(0, TITLE_MAX);
    bytes += 2 * (22 + t.length) + 16;
    if (bytes > VALUE_BUDGET) break;
    out[await itemHash(item)] = t;
  }
  return out;
}

function sameEpisodes(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  const ak = Object.keys(a ?? {});
  return ak.length === Object.keys(b).length && ak.every((k) => a![k] === b[k]);
}

function isWanted(meta: Pick<FeedMeta, "wanted_at">, now: number): boolean {
  return meta.wanted_at !== undefined && now - Date.parse(meta.wanted_at) < FEED_META_WANTED_MS;
}

/** Writes `next` over `prev`, moving its refresh index entry; false when `prev` changed. */
async function commitMeta(
  kv: Deno.Kv,
  prev: Deno.KvEntryMaybe<FeedMeta>,
  next: FeedMeta,
  hash: string,
): Promise<boolean> {
  const op = kv.atomic().check(prev);
  const old = prev.value?.refresh_at;
  if (old !== undefined && old !== next.refresh_at) op.delete(keys.feedMetaDueKey(old, hash));
  if (next.refresh_at !== undefined) {
    op.set(prev.key, next).set(keys.feedMetaDueKey(next.refresh_at, hash), next.feed);
  } else {
    // Nobody subscribed keeps it: KV forgets it (a proxied feed leaves no lasting trace).
    op.set(prev.key, next, { expireIn: FEED_META_WANTED_MS });
  }
  return (await op.commit()).ok;
}

/**
 * Stores a feed's metadata when it changed (or is over an hour old, or must be kept
 * wanted), then drops the in-process copy. Returns true when it wrote.
 */
export async function saveFeedMeta(
  kv: Deno.Kv,
  input: FeedMetaInput,
  options: SaveFeedMetaOptions,
): Promise<boolean> {
  const { now } = options;
  const hash = await feedHash(input.feed);
  const prev = await kv.get<FeedMeta>(keys.feedMetaKey(hash));
  const p = prev.value;
  const touched = p?.wanted_at !== undefined && now - Date.parse(p.wanted_at) < WANTED_TOUCH_MS;
  const wantedAt = options.wanted && !touched ? isoAt(now) : p?.wanted_at;
  const base = {
    feed: input.feed,
    feed_url: input.feedUrl.slice(0, 2048),
    title: cap(input.title, TITLE_MAX),
    author: cap(input.author, TITLE_MAX),
    cover: cap(input.cover, 2048),
    latest_at: input.latestAt === undefined ? undefined : isoAt(input.latestAt),
  };
  const spent = 2 * JSON.stringify(base).length + 200;
  const episodes = await cappedEpisodes(input, spent);
  const wanted = isWanted({ wanted_at: wantedAt }, now);
  const unchanged = p !== null && p.title === base.title && p.author === base.author &&
    p.cover === base.cover && p.latest_at === base.latest_at &&
    sameEpisodes(p.episodes, episodes) && p.wanted_at === wantedAt &&
    (p.refresh_at !== undefined) === wanted && now - Date.parse(p.fetched_at) < REWRITE_MS;
  if (unchanged && !options.force) return false;
  const next: FeedMeta = { ...base, fetched_at: isoAt(now), episodes };
  if (wantedAt !== undefined) next.wanted_at = wantedAt;
  if (wanted) next.refresh_at = now + FEED_META_REFRESH_MS;
  for (const k of ["title", "author", "cover", "latest_at"] as const) {
    if (next[k] === undefined) delete next[k];
  }
  const ok = await commitMeta(kv, prev, next, hash);
  if (ok) invalidateFeedMeta(kv, input.feed);
  return ok;
}

/** A feed whose metadata is due for a refresh. */
export interface DueFeedMeta {
  readonly feed: string;
  readonly dueAt: number;
  readonly hash: string;
}

/** Up to `limit` feeds due for a refresh at `now`, earliest first. */
export async function dueFeedMetas(
  kv: Deno.Kv,
  now: number,
  limit: number,
): Promise<DueFeedMeta[]> {
  const out: DueFeedMeta[] = [];
  const prefix = keys.feedMetaDuePrefix();
  const selector = { prefix, end: [...prefix, now + 1] };
  for await (const e of kv.list<string>(selector, { limit })) {
    const [, dueAt, hash] = e.key as [string, number, string];
    out.push({ feed: e.value, dueAt, hash });
  }
  return out;
}

/**
 * Settles a due entry that will not be refetched now: a feed nobody wants any more leaves
 * the refresh index (its metadata then expires), a failing one is retried after the usual
 * interval. A stale index entry is deleted.
 */
export async function postponeFeedMeta(kv: Deno.Kv, due: DueFeedMeta, now: number) {
  const prev = await kv.get<FeedMeta>(keys.feedMetaKey(due.hash));
  if (!prev.value || prev.value.refresh_at !== due.dueAt) {
    await kv.atomic().check(prev).delete(keys.feedMetaDueKey(due.dueAt, due.hash)).commit();
    return;
  }
  const next: FeedMeta = { ...prev.value };
  delete next.refresh_at;
  if (isWanted(prev.value, now)) next.refresh_at = now + FEED_META_REFRESH_MS;
  await commitMeta(kv, prev, next, due.hash);
  invalidateFeedMeta(kv, due.feed);
}

/** Is this metadata still kept fresh for subscribers? */
export function isWantedMeta(meta: FeedMeta, now: number): boolean {
  return isWanted(meta, now);
}
