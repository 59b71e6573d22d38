/**
 * An ordered map whose versions share their storage, so a new version costs what changed,
 * not what the map holds (a listener with 200,000 play statuses must not copy them on every
 * command). It reads like a `Map` — same iteration order, insertion order with a re-added
 * key at the end — behind the `ReadonlyMap` interface. Pure.
 *
 * Layout: every key ever inserted in a lineage of versions gets a row in a shared,
 * append-only table (`keys`, `index`); a version holds chunks of row values (copied on
 * write, `CHUNK` rows each) and how many rows it spans. A row a version does not hold is
 * dead in that version's chunks. Iterating in row order is insertion order: a key inserted
 * anew takes a row after every row the version spans (a fresh row, or the row another
 * version already gave it when that one lies past this version's end), and a key re-added
 * after a delete takes a fresh row recorded in the version's small `remap`. Versions that
 * leave many dead rows are compacted into a fresh lineage when they are frozen.
 */

import { KeyIndex } from "./key_index.ts";

/** How a map keeps its values in chunks of rows (e.g. as columns of numbers). */
export interface RowStore<K, V, C> {
  /** A chunk of `capacity` rows, all dead, or a copy of `from`'s rows that fit. */
  chunk(capacity: number, from?: C): C;
  capacity(chunk: C): number;
  live(chunk: C, i: number): boolean;
  /** The value of live row `i`. */
  read(chunk: C, i: number, key: K): V;
  write(chunk: C, i: number, key: K, value: V): void;
  kill(chunk: C, i: number): void;
}

/** Rows per chunk (a version copies at most one chunk per row it changes). */
const SHIFT = 8;
const CHUNK = 1 << SHIFT;
const MASK = CHUNK - 1;

interface Lineage<K, V, C> {
  readonly keys: K[];
  readonly index: KeyIndex<K>;
  readonly store: RowStore<K, V, C>;
}

interface Parts<K, V, C> {
  lineage: Lineage<K, V, C>;
  chunks: (C | undefined)[];
  rows: number;
  size: number;
  remap: Map<K, number> | undefined;
}

/** Values kept as they are, one array slot per row (`undefined` marks a dead row). */
export function objectRows<K, V>(): RowStore<K, V, (V | undefined)[]> {
  return {
    chunk(capacity, from) {
      const c = new Array<V | undefined>(capacity).fill(undefined);
      if (from) { for (let i = 0; i < Math.min(capacity, from.length); i++) c[i] = from[i]; }
      return c;
    },
    capacity: (c) => c.length,
    live: (c, i) => c[i] !== undefined,
    read: (c, i) => c[i]!,
    write(c, i, _key, value) {
      c[i] = value;
    },
    kill(c, i) {
      c[i] = undefined;
    },
  };
}

/**
 * A persistent ordered map. Read it like a `ReadonlyMap`; change it through `edit()`, which
 * gives a version that takes `set` and `delete` until `freeze()`.
 * @example
 * const a = PersistentMap.empty(objectRows<string, number>);
 * const b = a.edit().set("x", 1).freeze(); // a is still empty
 */
export class PersistentMap<K, V, C = unknown> implements ReadonlyMap<K, V> {
  #p: Parts<K, V, C>;
  #newStore: () => RowStore<K, V, C>;
  /** Set while the version may change: chunk indexes it already copied. */
  #owned: Set<number> | undefined;
  #ownsChunkList = false;
  #ownsRemap = false;

  private constructor(p: Parts<K, V, C>, newStore: () => RowStore<K, V, C>, editing: boolean) {
    this.#p = p;
    this.#newStore = newStore;
    this.#owned = editing ? new Set() : undefined;
  }

  /** An empty map whose rows `newStore()` keeps. */
  static empty<K, V, C>(newStore: () => RowStore<K, V, C>): PersistentMap<K, V, C> {
    return new PersistentMap(freshParts(newStore), newStore, false);
  }

  /** A map with the entries of `source`, in its order. */
  static from<K, V, C>(
    source: Iterable<readonly [K, V]>,
    newStore: () => RowStore<K, V, C>,
  ): PersistentMap<K, V, C> {
    const m = new PersistentMap(freshParts(newStore), newStore, true);
    for (const [k, v] of source) m.set(k, v);
    return m.freeze();
  }

  get size(): number {
    return this.#p.size;
  }

  /** Rows the version spans, dead ones included (what its storage grows with). */
  get span(): number {
    return this.#p.rows;
  }

  /** True while `set` and `delete` are allowed (between `edit()` and `freeze()`). */
  get editing(): boolean {
    return this.#owned !== undefined;
  }

  get(key: K): V | undefined {
    const row = this.#rowOf(key);
    if (row < 0) return undefined;
    return this.#p.lineage.store.read(this.#p.chunks[row >>> SHIFT]!, row & MASK, key);
  }

  has(key: K): boolean {
    return this.#rowOf(key) >= 0;
  }

  /** A new version to change; this one stays as it is. */
  edit(): PersistentMap<K, V, C> {
    return new PersistentMap({ ...this.#p }, this.#newStore, true);
  }

  /**
   * Ends the changes: the version is read-only from now on. A version that has come to
   * span many dead rows is compacted first (in time proportional to its size, which the
   * deletions that made those rows paid for).
   */
  freeze(): this {
    if (!this.#owned) return this;
    const p = this.#p;
    const dead = p.rows - p.size;
    const moved = p.remap?.size ?? 0;
    if ((dead > 1_024 && dead > p.size) || (moved > 1_024 && moved > p.size / 4)) {
      this.#p = this.#compacted();
    }
    this.#owned = undefined;
    this.#ownsChunkList = false;
    this.#ownsRemap = false;
    return this;
  }

  /**
   * Sets a value; a key that is not in the map goes last.
   * @throws {TypeError} when the version is frozen.
   */
  set(key: K, value: V): this {
    this.#mutable();
    const p = this.#p;
    const { keys, index } = p.lineage;
    // One lookup in the lineage's index serves both questions below (a big listener's load
    // sets 200,000 keys: the index is most of its cost).
    const first = index.get(key);
    const at = this.#liveRow(p.remap?.get(key) ?? first);
    if (at >= 0) {
      this.#write(at, key, value);
      return this;
    }
    let row: number;
    if (first === undefined) {
      row = keys.length;
      keys.push(key);
      index.set(key, row);
    } else if (first < p.rows) {
      // The key's first row lies among this version's rows (deleted here): re-added, it
      // goes last, on a fresh row of its own.
      row = keys.length;
      keys.push(key);
      this.#remap().set(key, row);
    } else {
      // Another version gave it a row past this version's end: last here too.
      row = first;
    }
    p.rows = row + 1;
    p.size++;
    this.#write(row, key, value);
    return this;
  }

  /**
   * Deletes a key; true when it was there.
   * @throws {TypeError} when the version is frozen.
   */
  delete(key: K): boolean {
    this.#mutable();
    const row = this.#rowOf(key);
    if (row < 0) return false;
    this.#p.lineage.store.kill(this.#chunk(row >>> SHIFT, 0), row & MASK);
    this.#p.size--;
    return true;
  }

  *entries(): MapIterator<[K, V]> {
    const { lineage: { keys, store }, chunks, rows } = this.#p;
    for (let ci = 0; ci < chunks.length; ci++) {
      const c = chunks[ci];
      if (c === undefined) continue;
      const base = ci << SHIFT;
      const end = Math.min(store.capacity(c), rows - base);
      for (let i = 0; i < end; i++) {
        if (store.live(c, i)) {
          const key = keys[base + i];
          yield [key, store.read(c, i, key)];
        }
      }
    }
  }

  *keys(): MapIterator<K> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  forEach(fn: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }

  get [Symbol.toStringTag](): string {
    return "PersistentMap";
  }

  /** The live row of `key` in this version, or -1. */
  #rowOf(key: K): number {
    const p = this.#p;
    return this.#liveRow(p.remap?.get(key) ?? p.lineage.index.get(key));
  }

  /** `row` when it is live in this version, else -1. */
  #liveRow(row: number | undefined): number {
    const p = this.#p;
    if (row === undefined || row >= p.rows) return -1;
    const c = p.chunks[row >>> SHIFT];
    const store = p.lineage.store;
    const i = row & MASK;
    return c !== undefined && i < store.capacity(c) && store.live(c, i) ? row : -1;
  }

  #mutable(): void {
    if (!this.#owned) throw new TypeError("This map version is frozen: edit() it first.");
  }

  #write(row: number, key: K, value: V): void {
    this.#p.lineage.store.write(
      this.#chunk(row >>> SHIFT, (row & MASK) + 1),
      row & MASK,
      key,
      value,
    );
  }

  /** Chunk `ci`, owned by this version and holding at least `need` rows. */
  #chunk(ci: number, need: number): C {
    const p = this.#p;
    const owned = this.#owned!;
    if (!this.#ownsChunkList) {
      p.chunks = p.chunks.slice();
      this.#ownsChunkList = true;
    }
    while (p.chunks.length <= ci) p.chunks.push(undefined);
    const store = p.lineage.store;
    const c = p.chunks[ci];
    const capacity = c === undefined ? 0 : store.capacity(c);
    if (c !== undefined && owned.has(ci) && capacity >= need) return c;
    // A chunk grows by doubling, so a small map stays small.
    let grown = Math.max(capacity, 4);
    while (grown < need) grown *= 2;
    const copy = store.chunk(Math.min(grown, CHUNK), c);
    p.chunks[ci] = copy;
    owned.add(ci);
    return copy;
  }

  #remap(): Map<K, number> {
    const p = this.#p;
    if (!this.#ownsRemap) {
      p.remap = new Map(p.remap);
      this.#ownsRemap = true;
    }
    return p.remap!;
  }

  /** This version's entries on a fresh lineage with no dead rows. */
  #compacted(): Parts<K, V, C> {
    const fresh = new PersistentMap(freshParts(this.#newStore), this.#newStore, true);
    for (const [k, v] of this.entries()) fresh.set(k, v);
    return fresh.#p;
  }
}

function freshParts<K, V, C>(newStore: () => RowStore<K, V, C>): Parts<K, V, C> {
  return {
    lineage: { keys: [], index: new KeyIndex<K>(), store: newStore() },
    chunks: [],
    rows: 0,
    size: 0,
    remap: undefined,
  };
}
