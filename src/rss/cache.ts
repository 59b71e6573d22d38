/**
 * An in-memory LRU cache for fetched feeds (SPEC §6.1): bounded by entry count and by total
 * bytes, entries fresh for a TTL, one loader call per cold key however many callers wait
 * (single flight). An expired entry is kept until evicted so its validators (ETag,
 * Last-Modified) can be sent upstream: a "not modified" answer makes it fresh again.
 */
import { type Clock, systemClock } from "../clock.ts";

/** A cached value with the validators its origin gave. */
export interface CacheEntry<V> {
  readonly value: V;
  readonly etag?: string;
  readonly lastModified?: string;
  /** When the value was stored or last confirmed (clock ms). */
  readonly storedAt: number;
}

/** What a loader answers: a new value, or "the stale one is still good". */
export type CacheLoad<V> =
  | { readonly value: V; readonly etag?: string; readonly lastModified?: string }
  | { readonly notModified: true };

/** Loads a value; receives the expired entry, if any, to revalidate it. */
export type CacheLoader<V> = (stale: CacheEntry<V> | undefined) => Promise<CacheLoad<V>>;

/** Options of {@linkcode LruCache}. */
export interface LruCacheOptions<V> {
  /** Bytes a value takes, for the byte budget. */
  sizeOf: (value: V) => number;
  /** Default 500. */
  maxEntries?: number;
  /** Default 5 minutes. */
  ttlMs?: number;
  /** Default 64 MiB. */
  maxBytes?: number;
  clock?: Clock;
}

/** Counters for `/metrics`; all but `entries` and `bytes` only grow. */
export interface CacheStats {
  readonly hits: number;
  readonly misses: number;
  /** Callers that joined a load already in flight. */
  readonly coalesced: number;
  /** Expired entries the origin confirmed (304). */
  readonly revalidated: number;
  readonly evictions: number;
  readonly entries: number;
  readonly bytes: number;
}

interface Slot<V> extends CacheEntry<V> {
  readonly bytes: number;
}

/**
 * LRU cache with TTL, byte budget and single-flight loading.
 * @example
 * ```ts
 * const cache = new LruCache<Uint8Array>({ sizeOf: (b) => b.byteLength });
 * const body = await cache.get(url, async (stale) => ({ value: await download(url) }));
 * ```
 */
export class LruCache<V> {
  readonly #sizeOf: (value: V) => number;
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  readonly #maxBytes: number;
  readonly #clock: Clock;
  // A Map iterates in insertion order: re-inserting on use keeps the oldest first.
  readonly #slots = new Map<string, Slot<V>>();
  readonly #inflight = new Map<string, Promise<V>>();
  #bytes = 0;
  #stats = { hits: 0, misses: 0, coalesced: 0, revalidated: 0, evictions: 0 };

  constructor(options: LruCacheOptions<V>) {
    this.#sizeOf = options.sizeOf;
    this.#maxEntries = options.maxEntries ?? 500;
    this.#ttlMs = options.ttlMs ?? 5 * 60_000;
    this.#maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.#clock = options.clock ?? systemClock;
  }

  /** Counters and current size. */
  get stats(): CacheStats {
    return { ...this.#stats, entries: this.#slots.size, bytes: this.#bytes };
  }

  /**
   * The fresh value for `key`, or the loader's (one call for all concurrent callers).
   * @throws whatever the loader throws; nothing is cached then, and a stale entry stays.
   */
  get(key: string, loader: CacheLoader<V>): Promise<V> {
    const slot = this.#slots.get(key);
    if (slot && this.#clock.now() - slot.storedAt < this.#ttlMs) {
      this.#stats.hits++;
      this.#touch(key, slot);
      return Promise.resolve(slot.value);
    }
    const pending = this.#inflight.get(key);
    if (pending) {
      this.#stats.coalesced++;
      return pending;
    }
    this.#stats.misses++;
    const loading = this.#load(key, slot, loader).finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, loading);
    return loading;
  }

  /** True when `key` holds a value within its TTL (recency and counters untouched). */
  isFresh(key: string): boolean {
    const slot = this.#slots.get(key);
    return slot !== undefined && this.#clock.now() - slot.storedAt < this.#ttlMs;
  }

  /** The entry for `key`, fresh or not, without touching its recency. */
  peek(key: string): CacheEntry<V> | undefined {
    const slot = this.#slots.get(key);
    return slot &&
      {
        value: slot.value,
        etag: slot.etag,
        lastModified: slot.lastModified,
        storedAt: slot.storedAt,
      };
  }

  /** Drops `key`; true when it was there. */
  delete(key: string): boolean {
    const slot = this.#slots.get(key);
    if (!slot) return false;
    this.#slots.delete(key);
    this.#bytes -= slot.bytes;
    return true;
  }

  async #load(key: string, stale: Slot<V> | undefined, loader: CacheLoader<V>): Promise<V> {
    const result = await loader(stale && this.peek(key));
    if ("notModified" in result) {
      if (!stale) throw new Error("the loader answered not-modified with nothing cached");
      this.#stats.revalidated++;
      this.#store(key, { ...stale, storedAt: this.#clock.now() });
      return stale.value;
    }
    const { value, etag, lastModified } = result;
    const bytes = this.#sizeOf(value);
    this.#store(key, { value, etag, lastModified, bytes, storedAt: this.#clock.now() });
    return value;
  }

  #touch(key: string, slot: Slot<V>): void {
    this.#slots.delete(key);
    this.#slots.set(key, slot);
  }

  #store(key: string, slot: Slot<V>): void {
    this.delete(key);
    // A value larger than the whole budget is served but never kept.
    if (slot.bytes > this.#maxBytes) return;
    this.#slots.set(key, slot);
    this.#bytes += slot.bytes;
    for (const oldest of this.#slots.keys()) {
      if (this.#slots.size <= this.#maxEntries && this.#bytes <= this.#maxBytes) break;
      if (oldest === key) continue;
      this.delete(oldest);
      this.#stats.evictions++;
    }
  }
}
