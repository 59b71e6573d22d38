/** The feed metadata cache (`["feedmeta", feedHash]`): titles for API answers. */
import { feedHash, itemHash } from "./hash.ts";
import * as keys from "./keys.ts";

export interface FeedMeta {
  feed_url: string;
  title?: string;
  author?: string;
  cover?: string;
  fetched_at: string;
  /** Episode titles by item hash (capped so the value stays under KV's 64 KiB). */
  episodes?: Record<string, string>;
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
