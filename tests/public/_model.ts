/**
 * A reference model of the public API (SPEC §5), written from the documented rules alone:
 * it follows each user's actions as the authenticated API answers them, keeps its own
 * traces and dedupe rules, applies the users' current privacy to everything, and cuts time
 * into its own popularity buckets. The property test compares every public answer with it.
 */

/** A privacy level. */
export type Level = "public" | "anonymous" | "private";
/** A kind of public activity (`save` is the SPEC's like). */
export type Kind = "subscribe" | "play" | "save" | "share";

const POINTS: Record<Kind, number> = { subscribe: 10, play: 5, save: 3, share: 2 };
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** One public-activity trace: an action that counts once. */
export interface ModelTrace {
  readonly user: number;
  readonly kind: Kind;
  readonly feed: string;
  readonly item?: string;
  /** Server time (recorded_at), ms. */
  readonly at: number;
  /** The event's own time, as the API gave it. */
  readonly ts: string;
}

/** A timeline entry the model expects (no id: ids are opaque hashes). */
export interface ModelEntry {
  readonly type: Kind;
  readonly rss_source_feed: string;
  readonly rss_source_item?: string;
  readonly user?: string;
  readonly tsMs: number;
  /** What the timeline is ordered by (newest first). */
  readonly sortMs: number;
}

/** Rolled counts of one feed or episode. */
export interface ModelRecord {
  feed: string;
  item?: string;
  /**
   * An episode's feeds: it may be heard under several, and its record names one of them
   * (the API does not say which).
   */
  feeds?: string[];
  score: number;
  score_previous: number;
  plays: number;
  plays_previous: number;
  likes: number;
  likes_previous: number;
  subscriptions: number;
  shares: number;
  plays_people: string[];
}

interface ModelUser {
  readonly id: string;
  readonly username: string;
  level?: Level;
  readonly feeds: Map<string, Level>;
  readonly items: Map<string, Level>;
  readonly subs: Map<string, { sub: number; unsub?: number }>;
  readonly plays: Map<string, { feed: string; position: number; played: boolean; at: number }>;
  readonly saved: Set<string>;
  readonly shared: Set<string>;
  /** Dedupe keys of the traces this user already left. */
  readonly seen: Set<string>;
}

/** What the model says an authenticated call answers. */
export interface Expect {
  readonly status: number;
  /** The event time the answer carries (subscribed_at, updated_at), ms. */
  readonly atMs?: number;
  /** For save/unsave/share: whether an event was written. */
  readonly changed?: boolean;
}

function hourFloor(ms: number): number {
  return Math.floor(ms / HOUR) * HOUR;
}

/** The model of one instance: its users, their settings and traces. */
export class PublicModel {
  readonly users: ModelUser[] = [];
  readonly traces: ModelTrace[] = [];
  readonly #default: Level;
  readonly #bucketMs: number;
  readonly #width: number;

  constructor(defaultPrivacy: Level, periodMs: number) {
    this.#default = defaultPrivacy;
    // 168 buckets per period, at least a second each; a period is W whole buckets.
    this.#bucketMs = Math.max(1000, Math.floor(periodMs / 168));
    this.#width = Math.max(1, Math.round(periodMs / this.#bucketMs));
  }

  addUser(id: string, username: string): number {
    this.users.push({
      id,
      username,
      feeds: new Map(),
      items: new Map(),
      subs: new Map(),
      plays: new Map(),
      saved: new Set(),
      shared: new Set(),
      seen: new Set(),
    });
    return this.users.length - 1;
  }

  #trace(u: number, key: string, t: Omit<ModelTrace, "user">): void {
    const user = this.users[u];
    if (user.seen.has(key)) return;
    user.seen.add(key);
    this.traces.push({ user: u, ...t });
  }

  /** POST /subscriptions. */
  subscribe(u: number, feed: string, now: number): Expect {
    const s = this.users[u].subs.get(feed);
    const active = s !== undefined && (s.unsub === undefined || s.sub > s.unsub);
    if (active) return { status: 200, atMs: s.sub };
    // A new subscription date: never before the last unsubscription.
    const at = s?.unsub !== undefined && s.unsub >= now ? s.unsub + 1 : now;
    this.users[u].subs.set(feed, { sub: at, unsub: s?.unsub });
    this.#trace(u, `sub|${feed}|${at}`, {
      kind: "subscribe",
      feed,
      at: now,
      ts: new Date(at).toISOString(),
    });
    return { status: 201, atMs: at };
  }

  /** DELETE /subscriptions/{feed}. */
  unsubscribe(u: number, feed: string, now: number): Expect {
    const s = this.users[u].subs.get(feed);
    if (!s) return { status: 404 };
    const active = s.unsub === undefined || s.sub > s.unsub;
    if (active) s.unsub = s.sub >= now ? s.sub + 1 : now;
    return { status: 200 };
  }

  /** POST /play. */
  play(
    u: number,
    feed: string,
    item: string,
    position: number,
    played: boolean | undefined,
    now: number,
  ): Expect {
    const user = this.users[u];
    const prev = user.plays.get(item);
    const isPlayed = played ?? prev?.played ?? false;
    if (
      prev && prev.position === position && prev.played === isPlayed && prev.feed === feed
    ) return { status: 200, atMs: prev.at };
    const at = prev && prev.at >= now ? prev.at + 1 : now;
    user.plays.set(item, { feed, position, played: isPlayed, at });
    // One play per episode and UTC day (of the server's time).
    this.#trace(u, `play|${feed}|${item}|${Math.floor(now / DAY)}`, {
      kind: "play",
      feed,
      item,
      at: now,
      ts: new Date(at).toISOString(),
    });
    return { status: 200, atMs: at };
  }

  /** POST/DELETE /episodes/{item}/save, POST /episodes/{item}/share. */
  mark(
    u: number,
    what: "save" | "unsave" | "share",
    feed: string,
    item: string,
    now: number,
  ): Expect {
    const user = this.users[u];
    const ts = new Date(now).toISOString();
    if (what === "unsave") {
      const changed = user.saved.delete(item);
      return { status: 200, changed };
    }
    const set = what === "save" ? user.saved : user.shared;
    if (set.has(item)) return { status: 200, changed: false };
    set.add(item);
    // Once per episode, ever: un-saving and saving again is not a new like.
    this.#trace(u, `${what}|${feed}|${item}`, { kind: what, feed, item, at: now, ts });
    return { status: 200, changed: true };
  }

  /** PUT /privacy (a level) or DELETE /privacy (null). */
  setPrivacy(u: number, target: { feed?: string; item?: string }, level: Level | null): void {
    const user = this.users[u];
    if (target.item !== undefined) {
      if (level) user.items.set(target.item, level);
      else user.items.delete(target.item);
    } else if (target.feed !== undefined) {
      if (level) user.feeds.set(target.feed, level);
      else user.feeds.delete(target.feed);
    } else {
      user.level = level ?? undefined;
    }
  }

  /** Effective privacy: item › feed › user › instance default. */
  levelOf(u: number, feed: string, item?: string): Level {
    const user = this.users[u];
    return (item !== undefined ? user.items.get(item) : undefined) ?? user.feeds.get(feed) ??
      user.level ?? this.#default;
  }

  /** Every visible timeline entry, newest first (entries of equal `sortMs` in no set order). */
  timeline(): ModelEntry[] {
    const out: ModelEntry[] = [];
    for (const t of this.traces) {
      const level = this.levelOf(t.user, t.feed, t.item);
      if (level === "private") continue;
      const anonymous = level === "anonymous";
      out.push({
        type: t.kind,
        rss_source_feed: t.feed,
        ...(t.item === undefined ? {} : { rss_source_item: t.item }),
        ...(anonymous ? {} : { user: this.users[t.user].username }),
        tsMs: anonymous ? hourFloor(Date.parse(t.ts)) : Date.parse(t.ts),
        sortMs: anonymous ? hourFloor(t.at) : t.at,
      });
    }
    return out.sort((a, b) => b.sortMs - a.sortMs);
  }

  /** Users with at least one public trace (the only ones who may be named anywhere). */
  visibleUsers(): Set<number> {
    const out = new Set<number>();
    for (const t of this.traces) {
      if (this.levelOf(t.user, t.feed, t.item) === "public") out.add(t.user);
    }
    return out;
  }

  /** Users with at least one public play (the only ones plays_people may name). */
  publicPlayers(): Set<number> {
    const out = new Set<number>();
    for (const t of this.traces) {
      if (t.kind === "play" && this.levelOf(t.user, t.feed, t.item) === "public") out.add(t.user);
    }
    return out;
  }

  /** Rolled records of every feed (`f|feed`) and episode (`i|item`) as of `now`. */
  records(now: number): Map<string, ModelRecord> {
    const nowBucket = Math.floor(now / this.#bucketMs);
    const out = new Map<string, ModelRecord>();
    const get = (feed: string, item?: string) => {
      const key = item === undefined ? `f|${feed}` : `i|${item}`;
      let r = out.get(key);
      if (!r) {
        r = {
          feed,
          ...(item === undefined ? {} : { item, feeds: [] }),
          score: 0,
          score_previous: 0,
          plays: 0,
          plays_previous: 0,
          likes: 0,
          likes_previous: 0,
          subscriptions: 0,
          shares: 0,
          plays_people: [],
        };
        out.set(key, r);
      }
      return r;
    };
    // Newest public play per entity and user.
    const newest = new Map<string, Map<number, number>>();
    for (const t of this.traces) {
      if (t.item !== undefined) {
        const r = get(t.feed, t.item);
        if (!r.feeds!.includes(t.feed)) r.feeds!.push(t.feed);
      }
      const level = this.levelOf(t.user, t.feed, t.item);
      if (level === "private") continue;
      const age = nowBucket - Math.floor(t.at / this.#bucketMs);
      const period = age < this.#width ? "current" : age < 2 * this.#width ? "previous" : null;
      const targets = [get(t.feed)];
      if (t.item !== undefined) targets.push(get(t.feed, t.item));
      for (const r of targets) {
        if (period === "current") {
          r.score += POINTS[t.kind];
          if (t.kind === "play") r.plays++;
          if (t.kind === "save") r.likes++;
          if (t.kind === "subscribe") r.subscriptions++;
          if (t.kind === "share") r.shares++;
        } else if (period === "previous") {
          r.score_previous += POINTS[t.kind];
          if (t.kind === "play") r.plays_previous++;
          if (t.kind === "save") r.likes_previous++;
        }
      }
      if (t.kind !== "play" || level !== "public") continue;
      for (const key of t.item === undefined ? [`f|${t.feed}`] : [`f|${t.feed}`, `i|${t.item}`]) {
        const m = newest.get(key) ?? new Map<number, number>();
        m.set(t.user, Math.max(m.get(t.user) ?? -Infinity, t.at));
        newest.set(key, m);
      }
    }
    const since = (nowBucket - this.#width + 1) * this.#bucketMs;
    for (const [key, m] of newest) {
      const people = [...m].filter(([, at]) => at >= since)
        .sort(([ua, a], [ub, b]) => b - a || (this.users[ua].id < this.users[ub].id ? -1 : 1))
        .slice(0, 10)
        .map(([u]) => this.users[u].username);
      out.get(key)!.plays_people = people;
    }
    return out;
  }
}

/** True when a record has anything to show (the API then keeps it). */
export function recordShows(r: ModelRecord | undefined): boolean {
  return r !== undefined && (r.score > 0 || r.score_previous > 0 || r.plays_people.length > 0);
}
