/**
 * A map from keys to numbers that never grows a large table at once. V8 grows a `Map` by
 * rehashing it whole into one twice its size: measured on Deno 2.9.6, 31 ms at 131,072
 * entries and 67–92 ms at 262,144 — a pause every other listener's request waits behind
 * while one big listener's actor wakes up or syncs. Past `SPLIT_AT` string keys the index
 * is spread over `SHARDS` maps by a hash of each key, so a rehash only
 * ever copies one shard (≈ 2 ms at 2 million keys; the split itself ≈ 3 ms). Pure.
 */

/** Keys held in one map before the index is spread over shards. */
const SPLIT_AT = 4_096;
/** Shards of a spread index (a power of two). */
const SHARDS = 256;
/**
 * FNV-1a of the key's length, its last 12 characters and 12 spread over the rest: which
 * shard holds it. Item ids often share long prefixes and suffixes (a feed's URL, a tracking
 * parameter), so the end alone will not do; hashing every character of a 130-character id
 * costs 8× a Map lookup (measured), the sample about 2×. Keys that agree on every sampled
 * character share a shard: no worse than one Map.
 */
function shardOf(key: unknown): number {
  if (typeof key !== "string") return 0;
  const n = key.length;
  let h = Math.imul(0x811c9dc5 ^ n, 0x01000193);
  const tail = Math.max(0, n - 12);
  const step = Math.max(1, Math.floor(tail / 12));
  for (let i = tail % step; i < tail; i += step) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  for (let i = tail; i < n; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h ^ (h >>> 16)) & (SHARDS - 1);
}

/** Keys to numbers, set and read (nothing is ever removed: see `PersistentMap`). */
export class KeyIndex<K> {
  #one: Map<K, number> | undefined = new Map();
  #shards: Map<K, number>[] | undefined;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Keys in its largest map: what one growth of the index copies at most. */
  get largestMap(): number {
    return this.#one?.size ?? Math.max(...this.#shards!.map((m) => m.size));
  }

  get(key: K): number | undefined {
    return this.#one !== undefined ? this.#one.get(key) : this.#shards![shardOf(key)].get(key);
  }

  set(key: K, value: number): this {
    const map = this.#one ?? this.#shards![shardOf(key)];
    const before = map.size;
    map.set(key, value);
    if (map.size === before) return this;
    this.#size++;
    if (this.#one !== undefined && this.#size > SPLIT_AT) this.#spread();
    return this;
  }

  #spread(): void {
    const shards = Array.from({ length: SHARDS }, () => new Map<K, number>());
    for (const [k, v] of this.#one!) shards[shardOf(k)].set(k, v);
    this.#shards = shards;
    this.#one = undefined;
  }
}
