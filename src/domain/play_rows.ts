/**
 * Play statuses kept as five numbers a row (40 bytes besides the item id): the time in
 * milliseconds, feed ids and devices interned once per lineage. A status that does not fit
 * (a time not in `toISOString()` form, a number that is not a safe integer, an item other
 * than its key) is kept whole beside them, so reading gives back what was written. Pure.
 */
import type { Device } from "./events.ts";
import { isoOfMs, msOfIso } from "./iso_ms.ts";
import type { RowStore } from "./persistent_map.ts";
import type { PlayState } from "./state.ts";

/** One chunk of rows: five numbers a row, and the rows kept whole. */
export interface PlayChunk {
  /**
   * Per row: `updated_at` in ms, position, duration (NaN: none), started (NaN: none), and
   * a packed word — feed index × 2²², (device index + 1) × 2, played — or NaN for a dead
   * row, -1 for a row kept whole. A plain array of numbers: V8 keeps it unboxed, on its
   * heap (typed arrays cost an allocation outside it per chunk copied).
   */
  readonly d: number[];
  odd?: Map<number, PlayState>;
}

const N = 5;
const DEAD = NaN;
const ODD = -1;
const FEEDS_MAX = 2 ** 30;
const DEVICES_MAX = 2 ** 20;

function whole(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x);
}

/** A fresh row store for play statuses, with its own intern tables. */
export function playRows(): RowStore<string, PlayState, PlayChunk> {
  const feeds: string[] = [];
  const feedIndex = new Map<string, number>();
  const devices: Device[] = [];
  const deviceIndex = new Map<string, number>();

  const feedOf = (feed: string): number => {
    let i = feedIndex.get(feed);
    if (i === undefined) {
      i = feeds.push(feed) - 1;
      feedIndex.set(feed, i);
    }
    return i;
  };
  /** The device's index, or -1 when it has a shape the columns do not keep. */
  const deviceOf = (d: Device): number => {
    if (typeof d !== "object" || d === null || typeof d.id !== "string") return -1;
    let fields = 0;
    for (const k in d) {
      if (k !== "id" && k !== "name") return -1;
      fields++;
    }
    const named = "name" in d;
    if (named && d.name !== undefined && typeof d.name !== "string") return -1;
    if (fields !== (named ? 2 : 1)) return -1;
    // `{ id }`, `{ id, name: undefined }` and `{ id, name }` come back as they were.
    const key = !named
      ? `${d.id}\u0000`
      : d.name === undefined
      ? `${d.id}\u0002`
      : `${d.id}\u0001${d.name}`;
    let i = deviceIndex.get(key);
    if (i === undefined) {
      i = devices.push(named ? { id: d.id, name: d.name } : { id: d.id }) - 1;
      deviceIndex.set(key, i);
    }
    return i;
  };

  return {
    chunk(capacity, from) {
      const d = new Array<number>(capacity * N).fill(DEAD);
      const c: PlayChunk = { d };
      if (from) {
        const rows = Math.min(capacity, from.d.length / N);
        for (let i = 0; i < rows * N; i++) d[i] = from.d[i];
        if (from.odd) {
          for (const [i, p] of from.odd) if (i < rows) (c.odd ??= new Map()).set(i, p);
        }
      }
      return c;
    },
    capacity: (c) => c.d.length / N,
    live: (c, i) => !Number.isNaN(c.d[i * N + 4]),
    read(c, i, key) {
      const j = i * N;
      const word = c.d[j + 4];
      if (word === ODD) return c.odd!.get(i)!;
      const duration = c.d[j + 2], started = c.d[j + 3];
      const device = Math.floor(word / 2) % DEVICES_MAX;
      return {
        feed: feeds[Math.floor(word / 2 ** 22)],
        item: key,
        position: c.d[j + 1],
        played: word % 2 === 1,
        duration: Number.isNaN(duration) ? undefined : duration,
        updated_at: isoOfMs(c.d[j]),
        started: Number.isNaN(started) ? undefined : started,
        device: device === 0 ? undefined : devices[device - 1],
      };
    },
    write(c, i, key, p) {
      const j = i * N;
      const ms = typeof p.updated_at === "string" ? msOfIso(p.updated_at) : NaN;
      const device = p.device === undefined ? -2 : deviceOf(p.device);
      const feed = typeof p.feed === "string" ? feedOf(p.feed) : FEEDS_MAX;
      const fits = p.item === key && whole(p.position) && typeof p.played === "boolean" &&
        !Number.isNaN(ms) && device !== -1 && device < DEVICES_MAX - 1 && feed < FEEDS_MAX &&
        (p.duration === undefined || whole(p.duration)) &&
        (p.started === undefined || whole(p.started));
      if (!fits) {
        c.d[j + 4] = ODD;
        (c.odd ??= new Map()).set(i, p);
        return;
      }
      c.odd?.delete(i);
      c.d[j] = ms;
      c.d[j + 1] = p.position;
      c.d[j + 2] = p.duration ?? NaN;
      c.d[j + 3] = p.started ?? NaN;
      c.d[j + 4] = feed * 2 ** 22 + (device < 0 ? 0 : device + 1) * 2 + (p.played ? 1 : 0);
    },
    kill(c, i) {
      c.d[i * N + 4] = DEAD;
      c.odd?.delete(i);
    },
  };
}
