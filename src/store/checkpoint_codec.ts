/**
 * The text of a checkpoint. Version 2 (written since big listeners): lines of JSON, each
 * a block of at most 50 rows (100 before: both read alike), so a reader parses it line by
 * line as its parts arrive and never holds the whole text; play statuses, saves, shares and
 * gpodder marks are arrays whose feed ids and devices point into tables written once (`F`,
 * `D` lines), and times in `toISOString()` form are numbers (ms). Version 1 (one JSON
 * document of `StateJson`) is still read, and is the shape the export shows a checkpoint in
 * (`stateJsonPieces`).
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

/**
 * Rows per line. A line is parsed and applied at once (about 7 KB of play statuses, under
 * 1 ms): the longest stretch a waking actor holds the event loop. Lines of 100 rows left
 * others' p99 during a big listener's wake-up at 2.1× idle, 50 at 1.6–1.8× (measured).
 */
const BLOCK = 50;

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

/** The sections of a version 2 text, in the order they are written. */
const SECTIONS = [
  "subscriptions",
  "playlists",
  "privacy_feeds",
  "privacy_items",
  "devices",
  "plays",
  "saved",
  "shared",
  "marks",
] as const;
type Section = typeof SECTIONS[number];

type Line = { k?: string; r: unknown[]; seq?: number; privacy_user?: PrivacyLevel | null };

/**
 * Cuts checkpoint text (given in pieces of any size) into its lines and turns each line's
 * rows back into the domain's values; a version 1 text is kept whole (`legacy`).
 */
class LineReader {
  #pending = "";
  legacy: boolean | undefined;
  seq = 0;
  privacyUser: PrivacyLevel | undefined;
  #feeds: string[] = [];
  #devices: Device[] = [];

  /** Takes a piece; calls `each` for every line it completes (header and tables aside). */
  push(text: string, each: (section: Section, values: unknown[]) => void): void {
    this.#pending += text;
    if (this.legacy === undefined && this.#pending.length >= 6) {
      this.legacy = !this.#pending.startsWith('{"v":2');
    }
    if (this.legacy !== false) return;
    let start = 0;
    for (let nl = this.#pending.indexOf("\n"); nl >= 0; nl = this.#pending.indexOf("\n", start)) {
      const line = JSON.parse(this.#pending.slice(start, nl)) as Line;
      start = nl + 1;
      if (line.k === undefined) {
        this.seq = line.seq!;
        this.privacyUser = line.privacy_user ?? undefined;
      } else if (line.k === "F") this.#feeds.push(...line.r as string[]);
      else if (line.k === "D") this.#devices.push(...line.r as Device[]);
      else if ((SECTIONS as readonly string[]).includes(line.k)) {
        each(line.k as Section, this.#values(line.k as Section, line.r));
      } else throw new SyntaxError(`A checkpoint line of unknown kind ${line.k}.`);
    }
    this.#pending = this.#pending.slice(start);
  }

  /**
   * What is left: a version 1 text whole, or "" after a complete version 2 text.
   * @throws {SyntaxError} when a version 2 text ends inside a line.
   */
  end(): string {
    if (this.legacy !== false) return this.#pending;
    if (this.#pending.length > 0) throw new SyntaxError("A checkpoint ends inside a line.");
    return "";
  }

  #values(section: Section, rows: unknown[]): unknown[] {
    const feed = (i: number) => this.#feeds[i];
    switch (section) {
      case "plays":
        return (rows as PlayRow[]).map((r): PlayState => ({
          feed: feed(r[1]),
          item: r[0],
          position: r[2],
          played: r[3] === 1,
          duration: r[5] ?? undefined,
          updated_at: tsOf(r[4]),
          started: r[6] ?? undefined,
          device: r[7] == null ? undefined : this.#devices[r[7]],
        }));
      case "saved":
      case "shared":
        return (rows as MarkRow[]).map((r): EpisodeMark => ({
          feed: feed(r[1]),
          item: r[0],
          at: tsOf(r[2]),
        }));
      case "marks":
        return (rows as MarksRow[]).map((r) => {
          const m: { -readonly [K in keyof EpisodeMarks]: EpisodeMarks[K] } = {
            feed: feed(r[1]),
            item: r[0],
          };
          if (r[2] !== null) m.download = tsOf(r[2]);
          if (r[3] !== null) m.delete = tsOf(r[3]);
          if (r[4] !== null) m.new = tsOf(r[4]);
          return m;
        });
      default:
        return rows;
    }
  }
}

/** Rebuilds a state from checkpoint text given in pieces of any size. */
export class CheckpointDecoder {
  #reader = new LineReader();
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
    this.#reader.push(text, (section, values) => {
      switch (section) {
        case "subscriptions":
          for (const s of values as SubscriptionState[]) this.#subscriptions.set(s.feed, s);
          return;
        case "playlists":
          for (const p of values as StateJson["playlists"]) {
            this.#playlists.set(p.id, { ...p, items: new Map(p.items.map((i) => [i.item, i])) });
          }
          return;
        case "privacy_feeds":
          for (const [k, v] of values as [string, PrivacyLevel][]) this.#privacyFeeds.set(k, v);
          return;
        case "privacy_items":
          for (const [k, v] of values as StateJson["privacy"]["items"]) {
            this.#privacyItems.set(k, v);
          }
          return;
        case "devices":
          for (const d of values as DeviceState[]) this.#gpDevices.set(d.id, d);
          return;
        case "plays":
          for (const p of values as PlayState[]) this.#plays.set(p.item, p);
          return;
        case "saved":
        case "shared": {
          const map = section === "saved" ? this.#saved : this.#shared;
          for (const m of values as EpisodeMark[]) map.set(m.item, m);
          return;
        }
        case "marks":
          for (const m of values as EpisodeMarks[]) this.#marks.set(m.item, m);
          return;
      }
    });
  }

  /**
   * The state the text described.
   * @throws {SyntaxError} when the text is cut short.
   */
  end(): UserState {
    const r = this.#reader;
    const legacy = r.end();
    if (r.legacy !== false) return stateFromJson(legacy);
    return {
      seq: r.seq,
      subscriptions: this.#subscriptions,
      plays: this.#plays.freeze(),
      saved: this.#saved.freeze(),
      shared: this.#shared.freeze(),
      playlists: this.#playlists,
      privacy: { user: r.privacyUser, feeds: this.#privacyFeeds, items: this.#privacyItems },
      marks: this.#marks.freeze(),
      devices: this.#gpDevices,
    };
  }
}

/**
 * Turns checkpoint text, as it arrives, into the version 1 document (`StateJson`, the
 * shape the export shows), a line's worth at a time: the whole state is never held. The
 * fields come in the order the lines do.
 */
export class CheckpointJson {
  #reader = new LineReader();
  /** Index of the open section in SECTIONS (-1: none yet). */
  #open = -1;
  #first = true;

  /** Takes the next piece of text; gives the next piece of the document. */
  push(text: string): string {
    const out: string[] = [];
    this.#reader.push(text, (section, values) => {
      this.#moveTo(SECTIONS.indexOf(section), out);
      for (const v of values) {
        out.push((this.#first ? "" : ",") + JSON.stringify(v));
        this.#first = false;
      }
    });
    if (this.#reader.legacy === true) {
      // A version 1 text is the document already: it goes through as it comes.
      out.push(this.#reader.end());
      this.#reader = new LineReader();
      this.#reader.legacy = true;
    }
    return out.join("");
  }

  /**
   * The end of the document.
   * @throws {SyntaxError} when the text is cut short.
   */
  end(): string {
    const rest = this.#reader.end();
    if (this.#reader.legacy !== false) return rest;
    const out: string[] = [];
    this.#moveTo(SECTIONS.length, out);
    return out.join("") + "}";
  }

  /** Closes the open section and opens (empty) every one up to `to`. */
  #moveTo(to: number, out: string[]): void {
    const r = this.#reader;
    if (this.#open === -1) out.push(`{"seq":${r.seq}`);
    while (this.#open < to) {
      const closing = SECTIONS[this.#open] as Section | undefined;
      if (closing !== undefined) out.push(closing === "privacy_items" ? "]}" : "]");
      const opening = SECTIONS[++this.#open] as Section | undefined;
      if (opening === "privacy_feeds") {
        const user = r.privacyUser === undefined ? "" : `"user":${JSON.stringify(r.privacyUser)},`;
        out.push(`,"privacy":{${user}"feeds":[`);
      } else if (opening === "privacy_items") out.push(`,"items":[`);
      else if (opening !== undefined) out.push(`,"${opening}":[`);
      this.#first = true;
    }
  }
}

/** A state as version 1 text (one JSON document). */
export function stateToJson(state: UserState): string {
  return [...stateJsonPieces(state)].join("");
}

/**
 * A state as version 1 text, in pieces of at most 500 entries, so that a large state is
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
