/**
 * The feed source the RSS routes share (SPEC §6.1, §6.2): safe fetch, parse check and the
 * LRU cache together. A body is cached only once it parses as a feed, so the proxy can
 * serve the bytes as fetched and the aggregated feeds can use the parsed model.
 */
import type { Clock } from "../clock.ts";
import { LruCache } from "./cache.ts";
import { UpstreamError } from "./errors.ts";
import { type Feed, parseFeed } from "./parse.ts";
import { parseFeedUrl, safeFetch, type SafeFetchOptions } from "./safe_fetch.ts";

/** A fetched, parsed feed as the cache holds it. */
export interface CachedFeed {
  /** The body exactly as the origin sent it (decoded from any Content-Encoding). */
  readonly body: Uint8Array;
  readonly feed: Feed;
  readonly contentType?: string;
  readonly finalUrl: string;
  /** When the body was fetched (clock ms); a 304 does not change it. */
  readonly fetchedAt: number;
}

/** What {@linkcode loadFeed} needs. */
export interface FeedLoaderDeps {
  readonly cache: LruCache<CachedFeed>;
  readonly clock: Clock;
  /** Passed to every fetch: `allowPrivate`, `fetch`, `resolve`, limits, host limiter… */
  readonly fetchOptions?: Omit<SafeFetchOptions, "etag" | "lastModified" | "signal">;
}

function stringBytes(value: unknown): number {
  if (typeof value === "string") return value.length * 2;
  if (typeof value !== "object" || value === null) return 8;
  let total = 16;
  for (const v of Object.values(value)) total += stringBytes(v);
  return total;
}

/** Rough memory of a cached feed: the body plus the parsed model's strings (UTF-16). */
export function cachedFeedBytes(entry: CachedFeed): number {
  return entry.body.byteLength + stringBytes(entry.feed);
}

/** The cache of SPEC §6.1 (500 entries, 5 minutes, 64 MiB unless told otherwise). */
export function createFeedCache(
  options: { maxEntries?: number; ttlMs?: number; maxBytes?: number; clock?: Clock } = {},
): LruCache<CachedFeed> {
  return new LruCache<CachedFeed>({ ...options, sizeOf: cachedFeedBytes });
}

/**
 * A feed from the cache, or fetched (one fetch for concurrent callers), revalidated with the
 * origin's validators once expired. Callers share the fetch, so none can cancel it: a
 * route that must answer sooner races it against its own timer.
 * @throws {InvalidUrlError} before any fetch for a non-http(s) URL.
 * @throws {ForbiddenAddressError|UpstreamError|UpstreamTimeoutError|FeedTooLargeError} from
 * the fetch, and {InvalidFeedError} when the body is not a feed; nothing is cached then.
 */
export async function loadFeed(url: string, deps: FeedLoaderDeps): Promise<CachedFeed> {
  const key = parseFeedUrl(url).href;
  return await deps.cache.get(key, async (stale) => {
    const res = await safeFetch(key, {
      ...deps.fetchOptions,
      etag: stale?.etag,
      lastModified: stale?.lastModified,
    });
    if (res.status === 304) {
      if (stale) return { notModified: true };
      throw new UpstreamError("the feed origin answered 304 to an unconditional request");
    }
    const value: CachedFeed = {
      body: res.body,
      feed: parseFeed(res.body),
      contentType: res.contentType,
      finalUrl: res.finalUrl,
      fetchedAt: deps.clock.now(),
    };
    return { value, etag: res.etag, lastModified: res.lastModified };
  });
}
