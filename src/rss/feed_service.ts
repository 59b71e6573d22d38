/**
 * The one feed source of the process (SPEC §6): the LRU cache, the per-host connection cap,
 * the per-client limit on cache misses, and the feed metadata writes that follow a fetch.
 * The proxy, the aggregated feeds, the metadata backfill and the refresh job all load
 * feeds through it, so they share one cache and one fetch per feed.
 */
import type { Clock } from "../clock.ts";
import { decodeFeedId, encodeFeedId, encodeItemId, isHttpUrl } from "../domain/ids.ts";
import type { Logger } from "../logger.ts";
import { type FeedMetaInput, saveFeedMeta } from "../store/feed_meta.ts";
import type { Resolver } from "./address.ts";
import type { LruCache } from "./cache.ts";
import { type CachedFeed, createFeedCache, loadFeed } from "./feed_loader.ts";
import { saveFeedEpisodes } from "../store/feed_episodes.ts";
import { type FeedItemIndex, indexFeedItems, itemBytesFromIndex } from "./filter.ts";
import { HostLimiter } from "./host_limiter.ts";
import type { Feed } from "./parse.ts";
import { TokenBuckets } from "./rate_limit.ts";
import { type FetchLike, parseFeedUrl, type SafeFetchOptions } from "./safe_fetch.ts";

/** Tunables; every one has the SPEC default. Tests shorten the timeouts. */
export interface FeedServiceOptions {
  /** One fetch, redirects and body included (default 10 s → 504 upstream_timeout). */
  timeoutMs?: number;
  /** Feeds of an aggregated feed that take longer are skipped (default 9.5 s: SPEC 10 s). */
  deadlineMs?: number;
  /** Feeds fetched at once for one aggregated feed (default 8). */
  concurrency?: number;
  /** Proxy cache misses per client IP: burst (default 60) and refill per minute (60). */
  missBurst?: number;
  missPerMinute?: number;
  /** Connections per origin host (default 4). */
  maxPerHost?: number;
  cache?: { maxEntries?: number; ttlMs?: number; maxBytes?: number };
  /** DNS for the address rule (tests inject one; default `Deno.resolveDns`). */
  resolve?: Resolver;
  /**
   * Let {@linkcode FeedService.backfillMeta} fetch (default false: main.ts turns it on, so
   * that no test listing subscriptions of made-up feed URLs ever reaches the network).
   */
  backfill?: boolean;
}

/** What the service needs from the process. */
export interface FeedServiceDeps {
  readonly kv: Deno.Kv;
  readonly clock: Clock;
  readonly logger: Logger;
  /** `ALLOW_PRIVATE_FEEDS`: lifts the address rule. */
  readonly allowPrivate: boolean;
  /** Injected fetch (tests); left out, the real fetch pins connections to checked addresses. */
  readonly fetch?: FetchLike;
}

/** Feed ids a metadata backfill tries again only after this long. */
const BACKFILL_RETRY_MS = 10 * 60_000;
const BACKFILL_QUEUE_MAX = 200;
const BACKFILL_WORKERS = 2;

/** The metadata a parsed feed gives, episodes newest first. */
export function feedMetaInput(feedUrl: string, feed: Feed): FeedMetaInput {
  const episodes = feed.items
    .filter((i) => i.title && i.enclosure && isHttpUrl(i.enclosure.url))
    .map((i, n) => ({ i, n }))
    .sort((a, b) => (b.i.pubDate ?? -Infinity) - (a.i.pubDate ?? -Infinity) || a.n - b.n)
    .map(({ i }) => ({ item: encodeItemId(i.guid, i.enclosure!.url), title: i.title! }));
  let latestAt: number | undefined;
  for (const i of feed.items) {
    const at = i.enclosure ? i.pubDate : undefined;
    if (at !== undefined && (latestAt === undefined || at > latestAt)) latestAt = at;
  }
  return {
    feed: encodeFeedId(feedUrl),
    feedUrl,
    title: feed.title || undefined,
    author: feed.author,
    cover: feed.cover,
    latestAt,
    episodes,
  };
}

/** Shared feed loading with cache, limits and metadata upkeep. */
export class FeedService {
  /** The public proxy's LRU cache (500 entries, 5 minutes, 64 MiB by default). */
  readonly cache: LruCache<CachedFeed>;
  /**
   * The cache of fetches made for users (personal feeds, metadata refresh, the gateway's
   * check). Kept apart from the proxy's, so an anonymous proxy request never finds a feed
   * warm because someone follows it (a hit would tell, by its latency or the metrics).
   */
  readonly userCache: LruCache<CachedFeed>;
  readonly hostLimiter: HostLimiter;
  /** Cache misses per client IP. */
  readonly missLimiter: TokenBuckets;
  readonly deadlineMs: number;
  readonly concurrency: number;
  readonly #deps: FeedServiceDeps;
  readonly #fetchOptions: Omit<SafeFetchOptions, "etag" | "lastModified" | "signal">;
  readonly #pending = new Set<Promise<unknown>>();
  /** Which feed URLs' metadata a cached body has already been written for (and if wanted). */
  readonly #recorded = new WeakMap<CachedFeed, Map<string, boolean>>();
  readonly #indexes = new WeakMap<CachedFeed, FeedItemIndex>();
  readonly #backfill = { queue: [] as string[], running: 0, tried: new Map<string, number>() };
  readonly #backfillOn: boolean;

  constructor(deps: FeedServiceDeps, options: FeedServiceOptions = {}) {
    this.#deps = deps;
    this.cache = createFeedCache({ ...options.cache, clock: deps.clock });
    this.userCache = createFeedCache({ ...options.cache, clock: deps.clock });
    this.hostLimiter = new HostLimiter(options.maxPerHost ?? 4);
    this.missLimiter = new TokenBuckets({
      capacity: options.missBurst ?? 60,
      perMinute: options.missPerMinute ?? 60,
      clock: deps.clock,
    });
    // Under 10 s, leaving room for the KV reads and the build around the fetches.
    this.deadlineMs = options.deadlineMs ?? 9_500;
    this.concurrency = options.concurrency ?? 8;
    this.#backfillOn = options.backfill ?? false;
    this.#fetchOptions = {
      allowPrivate: deps.allowPrivate,
      timeoutMs: options.timeoutMs ?? 10_000,
      hostLimiter: this.hostLimiter,
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
      ...(options.resolve ? { resolve: options.resolve } : {}),
    };
  }

  /** True when the feed is in the proxy's cache and fresh: serving it costs no fetch. */
  isFresh(feedUrl: string): boolean {
    try {
      return this.cache.isFresh(parseFeedUrl(feedUrl).href);
    } catch {
      return false;
    }
  }

  #cacheFor(purpose: "proxy" | "user"): LruCache<CachedFeed> {
    return purpose === "proxy" ? this.cache : this.userCache;
  }

  /**
   * The feed from the cache or fetched (one fetch for concurrent callers). A newly fetched
   * body updates the feed's metadata in the background; `wanted` marks it as a
   * subscriber's feed, to be kept refreshed (with its episode list stored). The public
   * proxy loads with `purpose: "proxy"`, through its own cache.
   * @throws {FeedError} as {@linkcode loadFeed} does.
   */
  load(
    feedUrl: string,
    options: { wanted?: boolean; purpose?: "proxy" | "user" } = {},
  ): Promise<CachedFeed> {
    const wanted = options.wanted ?? false;
    const cache = this.#cacheFor(options.purpose ?? "user");
    const hit = this.#freshAndRecorded(cache, feedUrl, wanted);
    if (hit) return hit;
    const loading = loadFeed(feedUrl, {
      cache,
      clock: this.#deps.clock,
      fetchOptions: this.#fetchOptions,
    });
    this.track(loading.then(
      (cached) => this.#afterLoad(feedUrl, cached, wanted),
      () => {},
    ));
    return loading;
  }

  /**
   * The cached feed cut down to one item; null when no item has that guid and enclosure.
   * The feed is parsed into an item index once per cached body, so any number of episode
   * requests on a big feed cost one parse.
   * @throws {InvalidFeedError} when the body cannot be cut.
   */
  itemBytes(cached: CachedFeed, guid: string, enclosureUrl: string): Uint8Array | null {
    let index = this.#indexes.get(cached);
    if (!index) this.#indexes.set(cached, index = indexFeedItems(cached.body));
    return itemBytesFromIndex(index, guid, enclosureUrl);
  }

  /**
   * Writes a feed's metadata from a loaded body (the refresh job forces it), and for a
   * subscriber's feed its stored episode list (what personal feeds are built from).
   */
  async recordMeta(
    feedUrl: string,
    cached: CachedFeed,
    options: { wanted?: boolean; force?: boolean } = {},
  ): Promise<boolean> {
    const input = feedMetaInput(feedUrl, cached.feed);
    const now = this.#deps.clock.now();
    if (options.wanted || options.force) {
      await saveFeedEpisodes(this.#deps.kv, input.feed, feedUrl, cached.feed, now);
    }
    return await saveFeedMeta(this.#deps.kv, input, {
      now,
      wanted: options.wanted,
      force: options.force,
    });
  }

  /**
   * Fetches, in the background, feeds that have no metadata yet (the subscription list
   * calls this), at most two at a time, each feed at most once per 10 minutes per process.
   * Errors are logged, never thrown. A no-op unless the `backfill` option is on.
   */
  backfillMeta(feeds: Iterable<string>): void {
    if (!this.#backfillOn) return;
    const b = this.#backfill;
    const now = this.#deps.clock.now();
    for (const feed of feeds) {
      const at = b.tried.get(feed);
      if (at !== undefined && now - at < BACKFILL_RETRY_MS) continue;
      if (b.queue.length >= BACKFILL_QUEUE_MAX) break;
      b.tried.delete(feed);
      b.tried.set(feed, now);
      if (b.tried.size > 10_000) b.tried.delete(b.tried.keys().next().value!);
      b.queue.push(feed);
    }
    while (b.running < BACKFILL_WORKERS && b.queue.length > 0) {
      b.running++;
      this.track(this.#backfillWorker().finally(() => b.running--));
    }
  }

  /** Keeps a background promise until it settles (see {@linkcode settled}). */
  track<T>(work: Promise<T>): Promise<T> {
    const quiet = work.then(() => {}, () => {});
    this.#pending.add(quiet);
    quiet.finally(() => this.#pending.delete(quiet));
    return work;
  }

  /** Resolves once every load and background write started so far has settled. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  async #backfillWorker(): Promise<void> {
    for (let feed = this.#backfill.queue.shift(); feed; feed = this.#backfill.queue.shift()) {
      try {
        await this.load(decodeFeedId(feed).feedUrl, { wanted: true });
      } catch (err) {
        this.#deps.logger.warn("feed metadata backfill failed", {
          code: (err as { code?: string }).code ?? "error",
        });
      }
    }
  }

  /** The hot path: a fresh cached feed whose metadata is already written needs no upkeep. */
  #freshAndRecorded(
    cache: LruCache<CachedFeed>,
    feedUrl: string,
    wanted: boolean,
  ): Promise<CachedFeed> | undefined {
    let key: string;
    try {
      key = parseFeedUrl(feedUrl).href;
    } catch {
      return undefined; // the full path throws the right error
    }
    const entry = cache.isFresh(key) ? cache.peek(key) : undefined;
    const done = entry && this.#recorded.get(entry.value)?.get(feedUrl);
    if (done === undefined || (wanted && !done)) return undefined;
    return cache.get(key, () => Promise.reject(new Error("unreachable: entry is fresh")));
  }

  async #afterLoad(feedUrl: string, cached: CachedFeed, wanted: boolean): Promise<void> {
    let done = this.#recorded.get(cached);
    if (!done) this.#recorded.set(cached, done = new Map());
    const before = done.get(feedUrl);
    if (before === true || (before === false && !wanted)) return;
    done.set(feedUrl, wanted);
    try {
      await this.recordMeta(feedUrl, cached, { wanted });
    } catch (err) {
      done.delete(feedUrl);
      this.#deps.logger.warn("feed metadata write failed", { error: String(err) });
    }
  }
}

/** `/metrics` gauges of the feed cache. */
export function feedCacheGauges(
  feeds: FeedService,
): Array<{ name: string; help: string; value: number; type?: string }> {
  const s = feeds.cache.stats;
  return [
    {
      name: "balados_feed_cache_hits_total",
      help: "Feed cache hits.",
      value: s.hits,
      type: "counter",
    },
    {
      name: "balados_feed_cache_misses_total",
      help: "Feed cache misses (one upstream fetch each).",
      value: s.misses,
      type: "counter",
    },
    {
      name: "balados_feed_cache_coalesced_total",
      help: "Requests that joined a fetch already in flight.",
      value: s.coalesced,
      type: "counter",
    },
    { name: "balados_feed_cache_entries", help: "Feeds in the cache.", value: s.entries },
    {
      name: "balados_feed_cache_bytes",
      help: "Approximate bytes held by the feed cache.",
      value: s.bytes,
    },
  ];
}
