/**
 * The public activity projection (SPEC §5): every subscribe, play, save and share leaves a
 * trace in the user's own key space (`["trace", user, feed, item, id]`, private data that
 * records its current visibility); traces that are public or anonymous become timeline
 * entries (anonymous ones with no user identifier anywhere in their keys or values) and
 * popularity counts per time bucket; public plays feed `plays_people`. A privacy change
 * re-evaluates only that user's traces in its scope, both ways, reading that user's
 * traces: its cost grows with them, not with anybody's history.
 */
import { isoAt } from "../clock.ts";
import {
  type ActivityKind,
  activityOf,
  bucketOf,
  counts,
  type PopularityClock,
  popularityClock,
  recordedMs,
  timelineTime,
} from "../domain/activity.ts";
import type { PrivacyLevel, StoredEvent } from "../domain/events.ts";
import { type PrivacyOverrides, visibilityOf } from "../domain/privacy.ts";
import { feedHash, itemHash, shortHash } from "../store/hash.ts";
import * as keys from "../store/keys.ts";
import type { PrivacyRecord } from "../store/read_models.ts";
import type { ForgetScope, GlobalProjection, PlanStep } from "./projection.ts";

/** A user's record of one public-activity trace. */
export interface Trace {
  readonly kind: ActivityKind;
  readonly feed: string;
  readonly item?: string;
  /** When it happened, as the event says. */
  readonly ts: string;
  /** The server's time of the event (`recorded_at`, ms). */
  readonly at: number;
  /** Its visibility as last projected. */
  readonly level: PrivacyLevel;
  /** Its timeline entry id (a hash of the event id: unlinkable to other entries). */
  readonly eid: string;
  /**
   * Its entry id while anonymous: another hash of the event id, so an entry seen while
   * public cannot be recognised once its listener turns anonymous.
   */
  readonly aid?: string;
}

/** A timeline entry as stored (and answered). */
export interface TimelineEntry {
  readonly id: string;
  readonly type: ActivityKind;
  readonly ts: string;
  readonly feed: string;
  readonly item?: string;
  /** The username, for public entries only. */
  readonly user?: string;
}

/** What popularity entity records hold: the canonical ids. */
export interface PopEntity {
  readonly feed: string;
  readonly item?: string;
}

interface LoadedTrace {
  readonly fh: string;
  readonly ih: string;
  readonly tid: string;
  readonly value: Trace;
}

/** What the plan needs about one user (read by `load`). */
export interface PublicContext {
  /** Null when the account is gone: nothing of it is public. */
  readonly username: string | null;
  readonly overrides: PrivacyOverrides;
  readonly defaultPrivacy: PrivacyLevel;
  readonly pop: PopularityClock;
  /** `f:<feed>`, `i:<item>`, `e:<event id>`, `a:<event id>` → hash. */
  readonly hashes: ReadonlyMap<string, string>;
  /** Existing traces by `fh/ih/tid`. */
  readonly traces: ReadonlyMap<string, LoadedTrace>;
  /** The user's newest public play per entity, by `feed/<fh>` or `item/<ih>`. */
  readonly persons: ReadonlyMap<string, number>;
}

/** Buckets older than the roll's window by more than this are no longer counted into. */
export const BUCKET_GRACE = 2;

const U64 = 1n << 64n;

/** A KV sum that adds `n` (negative: wraps around, so the stored sum goes down). */
export function wrappingSum(key: Deno.KvKey, n: number): Deno.KvMutation {
  const v = BigInt(n);
  return { type: "sum", key, value: new Deno.KvU64(v >= 0n ? v : U64 + v) };
}

/** Reads a wrapping KvU64 count back as a signed number. */
export function signedCount(v: Deno.KvU64 | null | undefined): number {
  if (!v) return 0;
  return Number(v.value >= U64 / 2n ? v.value - U64 : v.value);
}

/** The timeline entry ids of an event's trace: one while public, another while anonymous. */
async function addEntryIds(hashes: Map<string, string>, eventId: string): Promise<void> {
  hashes.set(`e:${eventId}`, await shortHash(`pub:${eventId}`));
  hashes.set(`a:${eventId}`, await shortHash(`anon:${eventId}`));
}

const traceMapKey = (fh: string, ih: string, tid: string) => `${fh}/${ih}/${tid}`;

/** What the people recomputation needs to know about one feed or episode. */
interface EntityFacts {
  readonly entity: PopEntity;
  /** Feed hashes of its traces (an episode may sit under several feeds). */
  readonly feeds: Set<string>;
  /** Episode hashes of its traces (for a feed). */
  readonly items: Set<string>;
  newestPublicPlay?: number;
}

/** The plan's working copy of the user's traces and person pointers. */
class Plan {
  readonly steps: PlanStep[] = [];
  readonly traces: Map<string, LoadedTrace>;
  readonly persons: Map<string, number>;
  readonly #userId: string;
  readonly #ctx: PublicContext;
  readonly #nowBucket: number;

  constructor(userId: string, ctx: PublicContext, now: number) {
    this.#userId = userId;
    this.#ctx = ctx;
    this.traces = new Map(ctx.traces);
    this.persons = new Map(ctx.persons);
    this.#nowBucket = bucketOf(ctx.pop, now);
  }

  hash(prefix: "f" | "i" | "e" | "a", id: string): string {
    const h = this.#ctx.hashes.get(`${prefix}:${id}`);
    if (h === undefined) throw new Error(`public projection: no hash loaded for ${prefix}`);
    return h;
  }

  level(feed: string, item?: string): PrivacyLevel {
    if (this.#ctx.username === null) return "private";
    return visibilityOf(this.#ctx.overrides, { feed, item }, this.#ctx.defaultPrivacy);
  }

  /** Adds or removes a trace's timeline entries (at its `level`). */
  timeline(out: Deno.KvMutation[], t: LoadedTrace, add: boolean): void {
    const { value: v } = t;
    if (!counts(v.level)) return;
    const at = timelineTime(v.level, v.at);
    const id = v.level === "anonymous" ? v.aid ?? v.eid : v.eid;
    const entry: TimelineEntry = {
      id,
      type: v.kind,
      ts: v.level === "anonymous" ? isoAt(timelineTime(v.level, Date.parse(v.ts))) : v.ts,
      feed: v.feed,
      ...(v.item === undefined ? {} : { item: v.item }),
      ...(v.level === "public" ? { user: this.#ctx.username! } : {}),
    };
    const targets = [
      keys.timelineKey(at, id),
      keys.timelineByFeedKey(t.fh, at, id),
      keys.timelineByKindKey(v.kind, at, id),
    ];
    if (v.level === "public") targets.push(keys.timelineByUserKey(this.#userId, at, id));
    for (const key of targets) {
      out.push(add ? { type: "set", key, value: entry } : { type: "delete", key });
    }
    out.push(wrappingSum(keys.statKey("timeline_entries"), add ? 1 : -1));
  }

  /** Adds `sign` × the trace to its bucket's counts (skipped once the bucket left the window). */
  count(out: Deno.KvMutation[], t: LoadedTrace, sign: 1 | -1): void {
    const { pop } = this.#ctx;
    const bucket = bucketOf(pop, t.value.at);
    if (bucket < this.#nowBucket - 2 * pop.width - BUCKET_GRACE) return;
    const feedEntity: PopEntity = { feed: t.value.feed };
    const entities: [kind: "feed" | "item", hash: string, value: PopEntity][] = [
      ["feed", t.fh, feedEntity],
    ];
    if (t.value.item !== undefined && t.ih !== "") {
      entities.push(["item", t.ih, { feed: t.value.feed, item: t.value.item }]);
    }
    for (const [kind, hash, value] of entities) {
      out.push(wrappingSum(keys.popCountKey(kind, hash, bucket, t.value.kind), sign));
      out.push({ type: "set", key: keys.popBucketKey(bucket, kind, hash), value });
      out.push({ type: "set", key: keys.popDirtyKey(kind, hash), value });
    }
  }

  /**
   * Points a person pointer at `at` (or nowhere); mutations only when it moves. A move
   * marks the entity dirty: `plays_people` changes even when no count does (public ↔
   * anonymous).
   */
  person(
    out: Deno.KvMutation[],
    kind: "feed" | "item",
    hash: string,
    entity: PopEntity | undefined,
    at: number | undefined,
  ) {
    const id = `${kind}/${hash}`;
    const prev = this.persons.get(id);
    if (prev === at) return;
    const userId = this.#userId;
    if (entity) out.push({ type: "set", key: keys.popDirtyKey(kind, hash), value: entity });
    if (prev !== undefined) {
      out.push({ type: "delete", key: keys.popPersonKey(kind, hash, prev, userId) });
    }
    if (at === undefined) {
      out.push({ type: "delete", key: keys.publicPersonKey(userId, kind, hash) });
      this.persons.delete(id);
      return;
    }
    out.push({
      type: "set",
      key: keys.popPersonKey(kind, hash, at, userId),
      value: { username: this.#ctx.username },
    });
    out.push({ type: "set", key: keys.publicPersonKey(userId, kind, hash), value: { at } });
    this.persons.set(id, at);
  }

  /** A new trace for an event (no-op when the same activity is already traced). */
  add(e: StoredEvent, kind: ActivityKind, tid: string): void {
    const fh = this.hash("f", e.feed!);
    const ih = e.item === undefined ? "" : this.hash("i", e.item);
    const mapKey = traceMapKey(fh, ih, tid);
    if (this.traces.has(mapKey)) return;
    const value: Trace = {
      kind,
      feed: e.feed!,
      ...(e.item === undefined ? {} : { item: e.item }),
      ts: e.ts,
      at: recordedMs(e),
      level: this.level(e.feed!, e.item),
      eid: this.hash("e", e.id),
      aid: this.hash("a", e.id),
    };
    const t: LoadedTrace = { fh, ih, tid, value };
    const out: Deno.KvMutation[] = [
      { type: "set", key: keys.traceKey(this.#userId, fh, ih, tid), value },
    ];
    this.timeline(out, t, true);
    if (counts(value.level)) this.count(out, t, 1);
    if (kind === "play" && value.level === "public") {
      for (const [k, h] of [["feed", fh], ["item", ih]] as const) {
        const prev = this.persons.get(`${k}/${h}`);
        const entity: PopEntity = k === "feed"
          ? { feed: e.feed! }
          : { feed: e.feed!, item: e.item };
        if (prev === undefined || value.at > prev) this.person(out, k, h, entity, value.at);
      }
    }
    this.traces.set(mapKey, t);
    this.steps.push({ seq: e.seq, mutations: out });
  }

  /** Re-evaluates the traces of a privacy change's scope; then their entities' people. */
  reevaluate(seq: number, scope: { fh?: string; ih?: string }): void {
    const inScope = [...this.traces.values()]
      .filter((t) =>
        (scope.fh === undefined || t.fh === scope.fh) &&
        (scope.ih === undefined || t.ih === scope.ih)
      )
      .sort((a, b) => a.value.at - b.value.at || (a.value.eid < b.value.eid ? -1 : 1));
    for (const t of inScope) {
      const level = this.level(t.value.feed, t.value.item);
      if (level === t.value.level) continue;
      const out: Deno.KvMutation[] = [];
      this.timeline(out, t, false);
      const next: LoadedTrace = { ...t, value: { ...t.value, level } };
      this.timeline(out, next, true);
      if (counts(t.value.level) !== counts(level)) this.count(out, t, counts(level) ? 1 : -1);
      out.push({
        type: "set",
        key: keys.traceKey(this.#userId, t.fh, t.ih, t.tid),
        value: next.value,
      });
      this.traces.set(traceMapKey(t.fh, t.ih, t.tid), next);
      this.steps.push({ seq, mutations: out });
    }
    // People: recomputed for every entity in scope (also after a crash midway).
    const index = this.#entityIndex();
    const entities = new Set<string>([...this.persons.keys(), ...index.keys()]);
    const scoped = [...entities].filter((id) => this.#inScope(id, scope, index)).sort();
    this.#people(seq, scoped, index);
  }

  /** Removes the traces `which` selects (with their entries and counts); then people. */
  forget(which: (t: LoadedTrace) => boolean): void {
    const gone = [...this.traces.entries()].filter(([, t]) => which(t))
      .sort(([a], [b]) => a < b ? -1 : 1);
    const entities = new Set<string>();
    for (const [mapKey, t] of gone) {
      const out: Deno.KvMutation[] = [];
      this.timeline(out, t, false);
      if (counts(t.value.level)) this.count(out, t, -1);
      out.push({ type: "delete", key: keys.traceKey(this.#userId, t.fh, t.ih, t.tid) });
      this.traces.delete(mapKey);
      this.steps.push({ seq: 0, mutations: out });
      entities.add(`feed/${t.fh}`);
      if (t.ih !== "") entities.add(`item/${t.ih}`);
    }
    for (const id of this.persons.keys()) entities.add(id);
    this.#people(0, [...entities].sort(), this.#entityIndex());
  }

  /**
   * Points each entity's person pointer at the user's newest public play of it: one step
   * per entity, so a user with thousands of them never needs one oversized commit.
   */
  #people(seq: number, ids: readonly string[], index: Map<string, EntityFacts>): void {
    for (const id of ids) {
      const [kind, hash] = id.split("/") as ["feed" | "item", string];
      const facts = index.get(id);
      const out: Deno.KvMutation[] = [];
      this.person(out, kind, hash, facts?.entity, facts?.newestPublicPlay);
      if (out.length > 0) this.steps.push({ seq, mutations: out });
    }
  }

  /** Per feed and episode of the user's traces: what it is, its feeds, its newest public play. */
  #entityIndex(): Map<string, EntityFacts> {
    const index = new Map<string, EntityFacts>();
    const note = (id: string, entity: PopEntity, fh: string, t: LoadedTrace) => {
      let f = index.get(id);
      if (!f) index.set(id, f = { entity, feeds: new Set(), items: new Set() });
      f.feeds.add(fh);
      if (t.ih !== "") f.items.add(t.ih);
      if (t.value.kind === "play" && t.value.level === "public") {
        if (f.newestPublicPlay === undefined || t.value.at > f.newestPublicPlay) {
          f.newestPublicPlay = t.value.at;
        }
      }
    };
    for (const t of this.traces.values()) {
      note(`feed/${t.fh}`, { feed: t.value.feed }, t.fh, t);
      if (t.ih !== "" && t.value.item !== undefined) {
        note(`item/${t.ih}`, { feed: t.value.feed, item: t.value.item }, t.fh, t);
      }
    }
    return index;
  }

  #inScope(id: string, scope: { fh?: string; ih?: string }, index: Map<string, EntityFacts>) {
    if (scope.fh === undefined && scope.ih === undefined) return true;
    const [kind, hash] = id.split("/");
    const facts = index.get(id);
    if (scope.ih !== undefined) {
      if (kind === "item") return hash === scope.ih;
      // A feed is in an episode's scope when one of the episode's traces is under it.
      return facts?.items.has(scope.ih) ?? false;
    }
    if (kind === "feed") return hash === scope.fh;
    // An episode is in a feed's scope when one of its traces is under that feed.
    return facts?.feeds.has(scope.fh!) ?? false;
  }
}

/** True when a trace is within what is forgotten. */
function forgotten(t: LoadedTrace, scope: ForgetScope): boolean {
  if (scope.kind === "account") return true;
  if (scope.kind === "before") return t.value.at < scope.before;
  const h = scope.history;
  if (h.scope === "user") return true;
  if (h.scope === "feed") return t.value.feed === h.feed;
  return t.value.item !== undefined && t.value.item === h.item;
}

/** Pure: the steps that take back the user's traces within `scope` (exported for tests). */
export function planForget(
  userId: string,
  ctx: PublicContext,
  scope: ForgetScope,
  now: number,
): PlanStep[] {
  const plan = new Plan(userId, ctx, now);
  plan.forget((t) => forgotten(t, scope));
  return plan.steps;
}

/**
 * Pure: the steps a user's new events cause, given what `load` read. Exported for tests.
 */
export function planPublicActivity(
  userId: string,
  events: readonly StoredEvent[],
  ctx: PublicContext,
  now: number,
): PlanStep[] {
  const plan = new Plan(userId, ctx, now);
  for (const e of events) {
    if (e.type === "privacy_changed") {
      const scope = e.data.scope;
      // An item override holds for the episode under any feed, not only the one it names.
      plan.reevaluate(e.seq, {
        fh: scope === "feed" ? plan.hash("f", e.feed!) : undefined,
        ih: scope === "item" ? plan.hash("i", e.item!) : undefined,
      });
      continue;
    }
    const a = activityOf(e);
    if (a && e.feed !== undefined) plan.add(e, a.kind, a.traceId);
  }
  return plan.steps;
}

async function getAll<T>(kv: Deno.Kv, list: Deno.KvKey[]): Promise<Deno.KvEntryMaybe<T>[]> {
  const out: Deno.KvEntryMaybe<T>[] = [];
  for (let i = 0; i < list.length; i += 10) {
    out.push(...await kv.getMany<T[]>(list.slice(i, i + 10)));
  }
  return out;
}

/** Reads the user's privacy overrides: all of them, or those of the given feeds and items. */
async function loadOverrides(
  kv: Deno.Kv,
  userId: string,
  all: boolean,
  feeds: Map<string, string>,
  items: Map<string, string>,
): Promise<PrivacyOverrides> {
  const views: PrivacyRecord[] = [];
  if (all) {
    for await (const e of kv.list<PrivacyRecord>({ prefix: keys.privacyPrefix(userId) })) {
      views.push(e.value);
    }
  } else {
    const wanted = [
      keys.privacyKey(userId, "user", ""),
      ...[...feeds.values()].map((h) => keys.privacyKey(userId, "feed", h)),
      ...[...items.values()].map((h) => keys.privacyKey(userId, "item", h)),
    ];
    for (const e of await getAll<PrivacyRecord>(kv, wanted)) if (e.value) views.push(e.value);
  }
  const overrides = {
    user: undefined as PrivacyLevel | undefined,
    feeds: new Map<string, PrivacyLevel>(),
    items: new Map<string, { privacy: PrivacyLevel }>(),
  };
  for (const v of views) {
    if (v.scope === "user") overrides.user = v.privacy;
    else if (v.scope === "feed" && v.feed) overrides.feeds.set(v.feed, v.privacy);
    else if (v.scope === "item" && v.item) {
      overrides.items.set(v.item, { privacy: v.privacy });
    }
  }
  return overrides;
}

/** The public activity projection's definition. */
export const publicActivityProjection: GlobalProjection<PublicContext> = {
  name: "public",
  // 2: anonymous entries get ids of their own.
  version: 2,
  handles: new Set(["subscribed", "played", "saved", "shared", "privacy_changed"]),
  prefixes: [
    ["trace"],
    ["pub_person"],
    keys.timelinePrefix(),
    keys.timelineByFeedPrefix(),
    keys.timelineByKindPrefix(),
    keys.timelineByUserPrefix(),
    keys.popCountPrefix(),
    keys.popBucketPrefix(),
    keys.popDirtyPrefix(),
    keys.popPersonPrefix(),
    keys.popTotalPrefix(),
    keys.trendingPrefix(),
    keys.trendingByFeedPrefix(),
    keys.popRollKey(),
    keys.statKey("timeline_entries"),
  ],

  async load(env, userId, events) {
    const { kv, config } = env;
    const user = await kv.get<{ username: string }>(keys.userKey(userId));
    const hashes = new Map<string, string>();
    const feeds = new Map<string, string>();
    const items = new Map<string, string>();
    for (const e of events) {
      if (e.feed !== undefined && !feeds.has(e.feed)) feeds.set(e.feed, await feedHash(e.feed));
      if (e.item !== undefined && !items.has(e.item)) items.set(e.item, await itemHash(e.item));
      await addEntryIds(hashes, e.id);
    }
    for (const [f, h] of feeds) hashes.set(`f:${f}`, h);
    for (const [i, h] of items) hashes.set(`i:${i}`, h);

    const changes = events.filter((e) => e.type === "privacy_changed");
    // Any change reads all the user's traces: an episode may be traced under several
    // feeds (traces are keyed by feed first), and an item override, like an episode's
    // plays_people pointer after a feed change, concerns its traces under every feed.
    const wholeUser = changes.length > 0;
    const overrides = await loadOverrides(kv, userId, changes.length > 0, feeds, items);

    const traces = new Map<string, LoadedTrace>();
    const take = (key: Deno.KvKey, value: Trace) => {
      const [, , fh, ih, tid] = key as [string, string, string, string, string];
      traces.set(traceMapKey(fh, ih, tid), { fh, ih, tid, value });
    };
    const wanted: Deno.KvKey[] = [];
    if (wholeUser) {
      const prefix = keys.tracePrefix(userId);
      for await (const e of kv.list<Trace>({ prefix }, { batchSize: 500 })) take(e.key, e.value);
    } else {
      for (const e of events) {
        const a = activityOf(e);
        if (!a || e.feed === undefined) continue;
        const ih = e.item === undefined ? "" : items.get(e.item)!;
        wanted.push(keys.traceKey(userId, feeds.get(e.feed)!, ih, a.traceId));
      }
    }
    for (const e of await getAll<Trace>(kv, wanted)) if (e.value) take(e.key, e.value);

    const persons = new Map<string, number>();
    if (wholeUser) {
      for await (const e of kv.list<{ at: number }>({ prefix: keys.publicPersonPrefix(userId) })) {
        persons.set(`${String(e.key[2])}/${String(e.key[3])}`, e.value.at);
      }
    } else {
      const ids = new Set<string>();
      for (const e of events) {
        if (e.type !== "played" && e.type !== "privacy_changed") continue;
        if (e.feed !== undefined) ids.add(`feed/${feeds.get(e.feed)}`);
        if (e.item !== undefined) ids.add(`item/${items.get(e.item)}`);
      }
      for (const t of traces.values()) {
        if (t.value.kind !== "play") continue;
        ids.add(`feed/${t.fh}`);
        if (t.ih !== "") ids.add(`item/${t.ih}`);
      }
      const list = [...ids];
      const entries = await getAll<{ at: number }>(
        kv,
        list.map((id) => {
          const [kind, hash] = id.split("/") as ["feed" | "item", string];
          return keys.publicPersonKey(userId, kind, hash);
        }),
      );
      entries.forEach((e, i) => {
        if (e.value) persons.set(list[i], e.value.at);
      });
    }
    return {
      username: user.value?.username ?? null,
      overrides,
      defaultPrivacy: config.defaultPrivacy,
      pop: popularityClock(config.popularityPeriodMs),
      hashes,
      traces,
      persons,
    };
  },

  plan: planPublicActivity,

  async forget(env, userId, scope) {
    const { kv, config } = env;
    // All the user's traces: an episode heard under several feeds keeps its other plays.
    const traces = new Map<string, LoadedTrace>();
    for await (
      const e of kv.list<Trace>({ prefix: keys.tracePrefix(userId) }, { batchSize: 500 })
    ) {
      const [, , tfh, ih, tid] = e.key as [string, string, string, string, string];
      traces.set(traceMapKey(tfh, ih, tid), { fh: tfh, ih, tid, value: e.value });
    }
    const persons = new Map<string, number>();
    for await (const e of kv.list<{ at: number }>({ prefix: keys.publicPersonPrefix(userId) })) {
      persons.set(`${String(e.key[2])}/${String(e.key[3])}`, e.value.at);
    }
    const user = await kv.get<{ username: string }>(keys.userKey(userId));
    const ctx: PublicContext = {
      username: user.value?.username ?? null,
      overrides: { feeds: new Map(), items: new Map() },
      defaultPrivacy: config.defaultPrivacy,
      pop: popularityClock(config.popularityPeriodMs),
      hashes: new Map(),
      traces,
      persons,
    };
    if (scope.kind === "account") return planForget(userId, ctx, scope, env.now);
    return await planForgetKept(kv, userId, ctx, scope, env.now);
  },
};

/**
 * Forgetting what the 45-day cleanup or an erasure deleted: a trace goes, but one that a
 * kept event also makes comes back from the first such event, at its level now, as a
 * rebuild from the kept events gives — repeats of an activity share one trace (a play per
 * episode and day, a save per episode), and an erased episode may have been played again
 * before its erasure was finished.
 */
async function planForgetKept(
  kv: Deno.Kv,
  userId: string,
  ctx: PublicContext,
  scope: ForgetScope,
  now: number,
): Promise<PlanStep[]> {
  const gone = new Set(
    [...ctx.traces.values()].filter((t) => forgotten(t, scope))
      .map((t) => traceMapKey(t.fh, t.ih, t.tid)),
  );
  const hashes = new Map<string, string>();
  const kept: { e: StoredEvent; kind: ActivityKind; tid: string }[] = [];
  if (gone.size > 0) {
    const events = kv.list<StoredEvent>({ prefix: keys.eventPrefix(userId) }, { batchSize: 500 });
    for await (const { value: e } of events) {
      const a = activityOf(e);
      if (!a || e.feed === undefined) continue;
      const fh = await feedHash(e.feed);
      const ih = e.item === undefined ? "" : await itemHash(e.item);
      if (!gone.delete(traceMapKey(fh, ih, a.traceId))) continue;
      hashes.set(`f:${e.feed}`, fh);
      if (e.item !== undefined) hashes.set(`i:${e.item}`, ih);
      await addEntryIds(hashes, e.id);
      kept.push({ e, kind: a.kind, tid: a.traceId });
      if (gone.size === 0) break;
    }
  }
  const overrides = kept.length > 0
    ? await loadOverrides(kv, userId, true, new Map(), new Map())
    : ctx.overrides;
  const plan = new Plan(userId, { ...ctx, overrides, hashes }, now);
  plan.forget((t) => forgotten(t, scope));
  for (const k of kept) plan.add(k.e, k.kind, k.tid);
  return plan.steps;
}
