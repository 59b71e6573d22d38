/**
 * The text of a checkpoint. Version 2 (written since big listeners): lines of JSON, each
 * a block of at most 1,000 rows, so a reader parses it line by line as its parts arrive and
 * never holds the whole text; play statuses, saves, shares and gpodder marks are arrays
 * whose feed ids and devices point into tables written once (`F`, `D` lines), and times
 * in `toISOString()` form are numbers (ms). Version 1 (one JSON document of `StateJson`) is
 * still read, and is the shape the export shows a checkpoint in (`stateJsonPieces`).
 */
import type { Device, PrivacyLevel } from "../domain/events.ts";
import { isoOfMs, msOfIso } from "../domain/iso_ms.ts";
import {
  type DeviceState,
  emptyHistoryMap,
  type EpisodeMark,
  type EpisodeMarks,
  historyMap,
  type PlaylistItemState,
  type PlaylistState,
  type PlayState,
  type SubscriptionState,
  type UserState,
} from "../domain/state.ts";

/** The JSON form of a state in version 1 (maps as arrays). */
export interface StateJson {
  seq: number;
  subscriptions: SubscriptionState[];
  plays: PlayState[];
  saved: EpisodeMark[];
  shared: EpisodeMark[];
  playlists: (Omit<PlaylistState, "items"> & { items: PlaylistItemState[] })[];
  privacy: {
    user?: PrivacyLevel;
    feeds: [string, PrivacyLevel][];
    items: [string, { feed?: string; privacy: PrivacyLevel }][];
  };
  /** Absent in checkpoints written before gpodder support. */
  marks?: EpisodeMarks[];
  devices?: DeviceState[];
}

/** Rows per line. */
const BLOCK = 1_000;

type Time = number | string;
/** `[item, feed, position, played, updated, duration, started, device]`, trailing nulls cut. */
type PlayRow = [string, number, number, 0 | 1, Time, number?, number?, number?];
type MarkRow = [string, number, Time];
type MarksRow = [string, number, Time | null, Time | null, Time | null];

function timeOf(ts: string): Time {
  const ms = msOfIso(ts);
  return Number.isNaN(ms) ? ts : ms;
}

function tsOf(t: Time): string {
  return typeof t === "number" ? isoOfMs(t) : t;
}

/** Interning tables: a line of new entries goes out before the rows that use them. */
class Tables {
  readonly #feeds = new Map<string, number>();
  readonly #devices = new Map<string, number>();
  newFeeds: string[] = [];
  newDevices: Device[] = [];
  feed(f: string): number {
    let i = this.#feeds.get(f);
    if (i === undefined) {
      this.#feeds.set(f, i = this.#feeds.size);
      this.newFeeds.push(f);
    }
    return i;
  }
  device(d: Device): number {
    const key = JSON.stringify(d);
    let i = this.#devices.get(key);
    if (i === undefined) {
      this.#devices.set(key, i = this.#devices.size);
      this.newDevices.push(d);
    }
    return i;
  }
  *flush(): Generator<string> {
    if (this.newFeeds.length > 0) yield line("F", this.newFeeds.splice(0));
    if (this.newDevices.length > 0) yield line("D", this.newDevices.splice(0));
  }
}

function line(kind: string, rows: unknown[]): string {
  return `${JSON.stringify({ k: kind, r: rows })}\n`;
}

function* blocks<T, R>(
  values: Iterable<T>,
  kind: string,
  row: (v: T) => R,
  tables?: Tables,
): Generator<string> {
  let rows: R[] = [];
  for (const v of values) {
    rows.push(row(v));
    if (rows.length === BLOCK) {
      if (tables) yield* tables.flush();
      yield line(kind, rows);
      rows = [];
    }
  }
  if (rows.length > 0) {
    if (tables) yield* tables.flush();
    yield line(kind, rows);
  }
}

function playRow(p: PlayState, t: Tables): PlayRow {
  const row: (string | number | null)[] = [
    p.item,
    t.feed(p.feed),
    p.position,
    p.played ? 1 : 0,
    timeOf(p.updated_at),
    p.duration ?? null,
    p.started ?? null,
    p.device === undefined ? null : t.device(p.device),
  ];
  while (row[row.length - 1] === null) row.pop();
  return row as PlayRow;
}

/** A state as version 2 text, line by line. */
export function* checkpointLines(state: UserState): Generator<string> {
  const t = new Tables();
  yield `${JSON.stringify({ v: 2, seq: state.seq, privacy_user: state.privacy.user ?? null })}\n`;
  yield* blocks(state.subscriptions.values(), "subscriptions", (s) => s);
  for (const p of state.playlists.values()) {
    yield line("playlists", [{ ...p, items: [...p.items.values()] }]);
  }
  yield* blocks(state.privacy.feeds, "privacy_feeds", (e) => e);
  yield* blocks(state.privacy.items, "privacy_items", (e) => e);
  yield* blocks((state.devices ?? new Map()).values(), "devices", (d) => d);
  yield* blocks(state.plays.values(), "plays", (p) => playRow(p, t), t);
  const mark = (m: EpisodeMark): MarkRow => [m.item, t.feed(m.feed), timeOf(m.at)];
  yield* blocks(state.saved.values(), "saved", mark, t);
  yield* blocks(state.shared.values(), "shared", mark, t);
  const opt = (ts: string | undefined) => ts === undefined ? null : timeOf(ts);
  yield* blocks(
    (state.marks ?? new Map()).values(),
    "marks",
    (m): MarksRow => [m.item, t.feed(m.feed), opt(m.download), opt(m.delete), opt(m.new)],
    t,
  );
}

/** Rebuilds a state from checkpoint text given in pieces of any size. */
export class CheckpointDecoder {
  #pending = "";
  #legacy: boolean | undefined;
  #seq = 0;
  #privacyUser: PrivacyLevel | undefined;
  #feeds: string[] = [];
  #devices: Device[] = [];
  #subscriptions = new Map<string, SubscriptionState>();
  #playlists = new Map<string, PlaylistState>();
  #privacyFeeds = new Map<string, PrivacyLevel>();
  #privacyItems = new Map<string, { feed?: string; privacy: PrivacyLevel }>();
  #gpDevices = new Map<string, DeviceState>();
  #plays = emptyHistoryMap("plays").edit();
  #saved = emptyHistoryMap("saved").edit();
  #shared = emptyHistoryMap("shared").edit();
  #marks = emptyHistoryMap("marks").edit();

  /** Takes the next piece of text. */
  push(text: string): void {
    this.#pending += text;
    if (this.#legacy === undefined && this.#pending.length >= 6) {
      this.#legacy = !this.#pending.startsWith('{"v":2');
    }
    if (this.#legacy !== false) return;
    let start = 0;
    for (let nl = this.#pending.indexOf("\n"); nl >= 0; nl = this.#pending.indexOf("\n", start)) {
      this.#line(JSON.parse(this.#pending.slice(start, nl)));
      start = nl + 1;
    }
    this.#pending = this.#pending.slice(start);
  }

  /**
   * The state the text described.
   * @throws {SyntaxError} when the text is cut short.
   */
  end(): UserState {
    if (this.#legacy !== false) return stateFromJson(this.#pending);
    if (this.#pending.length > 0) throw new SyntaxError("A checkpoint ends inside a line.");
    return {
      seq: this.#seq,
      subscriptions: this.#subscriptions,
      plays: this.#plays.freeze(),
      saved: this.#saved.freeze(),
      shared: this.#shared.freeze(),
      playlists: this.#playlists,
      privacy: {
        user: this.#privacyUser,
        feeds: this.#privacyFeeds,
        items: this.#privacyItems,
      },
      marks: this.#marks.freeze(),
      devices: this.#gpDevices,
    };
  }

  #line(o: { k?: string; r: unknown[]; seq?: number; privacy_user?: PrivacyLevel | null }) {
    if (o.k === undefined) {
      this.#seq = o.seq!;
      this.#privacyUser = o.privacy_user ?? undefined;
      return;
    }
    const feed = (i: number) => this.#feeds[i];
    switch (o.k) {
      case "F":
        this.#feeds.push(...o.r as string[]);
        return;
      case "D":
        this.#devices.push(...o.r as Device[]);
        return;
      case "subscriptions":
        for (const s of o.r as SubscriptionState[]) this.#subscriptions.set(s.feed, s);
        return;
      case "playlists":
        for (const p of o.r as StateJson["playlists"]) {
          this.#playlists.set(p.id, { ...p, items: new Map(p.items.map((i) => [i.item, i])) });
        }
        return;
      case "privacy_feeds":
        for (const [k, v] of o.r as [string, PrivacyLevel][]) this.#privacyFeeds.set(k, v);
        return;
      case "privacy_items":
        for (const [k, v] of o.r as StateJson["privacy"]["items"]) this.#privacyItems.set(k, v);
        return;
      case "devices":
        for (const d of o.r as DeviceState[]) this.#gpDevices.set(d.id, d);
        return;
      case "plays":
        for (const r of o.r as PlayRow[]) {
          this.#plays.set(r[0], {
            feed: feed(r[1]),
            item: r[0],
            position: r[2],
            played: r[3] === 1,
            duration: r[5] ?? undefined,
            updated_at: tsOf(r[4]),
            started: r[6] ?? undefined,
            device: r[7] == null ? undefined : this.#devices[r[7]],
          });
        }
        return;
      case "saved":
      case "shared": {
        const map = o.k === "saved" ? this.#saved : this.#shared;
        for (const r of o.r as MarkRow[]) {
          map.set(r[0], { feed: feed(r[1]), item: r[0], at: tsOf(r[2]) });
        }
        return;
      }
      case "marks":
        for (const r of o.r as MarksRow[]) {
          const m: { -readonly [K in keyof EpisodeMarks]: EpisodeMarks[K] } = {
            feed: feed(r[1]),
            item: r[0],
          };
          if (r[2] !== null) m.download = tsOf(r[2]);
          if (r[3] !== null) m.delete = tsOf(r[3]);
          if (r[4] !== null) m.new = tsOf(r[4]);
          this.#marks.set(r[0], m);
        }
        return;
      default:
        throw new SyntaxError(`A checkpoint line of unknown kind ${o.k}.`);
    }
  }
}

/** A state as version 1 text (one JSON document). */
export function stateToJson(state: UserState): string {
  return [...stateJsonPieces(state)].join("");
}

/**
 * A state as version 1 text, in pieces of at most 1,000 entries, so that a large state is
 * written out (e.g. into the export) without one string of its whole size.
 */
export function* stateJsonPieces(state: UserState): Generator<string> {
  yield `{"seq":${state.seq},"subscriptions":`;
  yield* arrayPieces(state.subscriptions.values());
  yield `,"plays":`;
  yield* arrayPieces(state.plays.values());
  yield `,"saved":`;
  yield* arrayPieces(state.saved.values());
  yield `,"shared":`;
  yield* arrayPieces(state.shared.values());
  yield `,"playlists":`;
  yield* arrayPieces(
    [...state.playlists.values()].map((p) => ({ ...p, items: [...p.items.values()] })),
  );
  yield `,"privacy":${
    JSON.stringify({
      user: state.privacy.user,
      feeds: [...state.privacy.feeds],
      items: [...state.privacy.items],
    })
  },"marks":`;
  yield* arrayPieces((state.marks ?? new Map()).values());
  yield `,"devices":`;
  yield* arrayPieces((state.devices ?? new Map()).values());
  yield "}";
}

function* arrayPieces(values: Iterable<unknown>): Generator<string> {
  let block: string[] = [];
  let first = true;
  for (const v of values) {
    block.push(JSON.stringify(v));
    if (block.length === BLOCK) {
      yield (first ? "[" : ",") + block.join(",");
      first = false;
      block = [];
    }
  }
  yield (first ? "[" : block.length > 0 ? "," : "") + block.join(",") + "]";
}

/** The state a version 1 text describes. */
export function stateFromJson(text: string): UserState {
  const j = JSON.parse(text) as StateJson;
  return {
    seq: j.seq,
    subscriptions: new Map(j.subscriptions.map((s) => [s.feed, s])),
    plays: historyMap("plays", new Map(j.plays.map((p) => [p.item, p]))),
    saved: historyMap("saved", new Map(j.saved.map((m) => [m.item, m]))),
    shared: historyMap("shared", new Map(j.shared.map((m) => [m.item, m]))),
    playlists: new Map(
      j.playlists.map((p) => [p.id, { ...p, items: new Map(p.items.map((i) => [i.item, i])) }]),
    ),
    privacy: {
      user: j.privacy.user,
      feeds: new Map(j.privacy.feeds),
      items: new Map(j.privacy.items),
    },
    marks: historyMap("marks", new Map((j.marks ?? []).map((m) => [m.item, m]))),
    devices: new Map((j.devices ?? []).map((d) => [d.id, d])),
  };
}
