/**
 * The one runner of every global projection. Append commits leave outbox markers
 * `["outbox", user, seq]`; a pass reads the marked users' events after each projection's
 * cursor `["cursor", name, user]`, asks each projection for its plan, and commits the steps
 * within KV's limits, each commit checking and re-writing the cursors it moves (and the
 * projection's meta, so a rebuild elsewhere stops it). A marker goes once every
 * projection's cursor has passed it. Wake-ups: KV queue pointers, an in-process kick after
 * each append, and the 1-minute cron sweep (the only one that works everywhere).
 */
import { isTransientKvError } from "../store/resilient_kv.ts";
import { Background } from "../background.ts";
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import type { StoredEvent } from "../domain/events.ts";
import type { Logger } from "../logger.ts";
import type { EventStore, Head } from "../store/event_store.ts";
import { KV_LIMITS } from "../store/group_commit.ts";
import * as keys from "../store/keys.ts";
import { keySize, mutationSize } from "../store/sizing.ts";
import type { ForgetScope, GlobalProjection, PlanStep } from "./projection.ts";

/** What the runner needs. */
export interface RunnerDeps {
  readonly kv: Deno.Kv;
  readonly store: EventStore;
  readonly logger: Logger;
  readonly config: Config;
  readonly clock: Clock;
  /**
   * Resolves when a pass may start: while a listener's large sync or import runs, its
   * answer goes first (see `BulkGate`). Absent: at once.
   */
  readonly whenForegroundIdle?: () => Promise<void>;
}

/** Options of {@linkcode ProjectionRunner}. */
export interface RunnerOptions {
  /** Users handled per pass. */
  usersPerPass?: number;
  /** Events read per user per pass. */
  eventsPerUser?: number;
  /** Outbox markers read per pass. */
  markersPerPass?: number;
  /** How long a rebuild may hold a projection before another process may take it over. */
  rebuildLeaseMs?: number;
  /** Test hook: called before each commit; throwing stops the pass there (a crash). */
  beforeCommit?: (commitIndex: number) => void;
}

/** What one pass did. */
export interface PassResult {
  /** Users whose cursors moved. */
  users: number;
  /** Events the slowest-moving projection of each user passed, summed. */
  events: number;
  /** True when it saw no pending marker. */
  empty: boolean;
  /** False when it could neither move a cursor nor clear a marker (try again later). */
  progressed: boolean;
}

/** A projection's stored state: which version its outputs are, and whether they are ready. */
export interface ProjectionMeta {
  version: number;
  state: "ready" | "rebuilding";
  /** Until when a rebuild holds it (ms). */
  until?: number;
}

/** One projection's work on one user in this pass. */
interface Unit {
  def: GlobalProjection;
  userId: string;
  cursor: Deno.KvEntryMaybe<number>;
  meta: Deno.KvEntryMaybe<ProjectionMeta>;
  steps: readonly PlanStep[];
  /** The last seq read for this user: the cursor once every step committed. */
  lastSeq: number;
  /** Cursor value after the steps committed so far. */
  done: number;
  /** Set when one of its commits lost a race (its cursor moved): the rest was not written. */
  failed?: boolean;
}

/** Room kept per commit for counters and rounding of the estimates. */
const RESERVED = { mutations: 20, bytes: 16 * 1024, keyBytes: 4 * 1024 };
const LIMITS = {
  mutations: KV_LIMITS.mutations - RESERVED.mutations,
  bytes: KV_LIMITS.bytes * 0.8 - RESERVED.bytes,
  keyBytes: KV_LIMITS.keyBytes * 0.8 - RESERVED.keyBytes,
};

/** Size of one step in a commit. */
function stepCost(step: PlanStep) {
  let bytes = 0, keyBytes = 0;
  for (const m of step.mutations) {
    const s = mutationSize(m);
    bytes += s.bytes;
    keyBytes += s.keyBytes;
  }
  return { mutations: step.mutations.length, bytes, keyBytes };
}

/** A commit being filled: segments of units, each with its cursor check and set. */
class CommitDraft {
  readonly segments: { unit: Unit; steps: PlanStep[]; to: number }[] = [];
  mutations = 0;
  bytes = 0;
  keyBytes = 0;
  checks = new Set<string>();
  #maxChecks: number;

  constructor(maxChecks: number) {
    this.#maxChecks = maxChecks;
  }

  /** Checks a unit adds (its cursor, and its projection's meta unless already there). */
  checksFor(unit: Unit): number {
    return 1 + (this.checks.has(unit.def.name) ? 0 : 1);
  }

  fits(cost: { mutations: number; bytes: number; keyBytes: number }, checks: number): boolean {
    return this.mutations + cost.mutations + 2 <= LIMITS.mutations &&
      this.bytes + cost.bytes + 200 <= LIMITS.bytes &&
      this.keyBytes + cost.keyBytes + 200 <= LIMITS.keyBytes &&
      this.checks.size + this.segments.length + checks <= this.#maxChecks;
  }

  add(unit: Unit, steps: PlanStep[], to: number, cost: { mutations: number; bytes: number }) {
    this.segments.push({ unit, steps, to });
    this.checks.add(unit.def.name);
    this.mutations += cost.mutations + 2;
    this.bytes += cost.bytes + 200;
    this.keyBytes += keySize(unit.cursor.key) * 2 + 100;
  }
}

/** Drives every registered global projection from the outbox. */
export class ProjectionRunner extends Background {
  readonly kind = "project";
  readonly #deps: RunnerDeps;
  readonly #projections: readonly GlobalProjection[];
  readonly #usersPerPass: number;
  readonly #eventsPerUser: number;
  readonly #markersPerPass: number;
  readonly #leaseMs: number;
  readonly #beforeCommit?: (commitIndex: number) => void;
  #commits = 0;

  constructor(
    deps: RunnerDeps,
    projections: readonly GlobalProjection[],
    options: RunnerOptions = {},
  ) {
    super(deps.logger, "projection pass");
    const names = new Set(projections.map((p) => p.name));
    if (names.size !== projections.length) throw new Error("projection names must be unique");
    this.#deps = deps;
    this.#projections = projections;
    this.#usersPerPass = options.usersPerPass ?? 50;
    this.#eventsPerUser = options.eventsPerUser ?? 200;
    this.#markersPerPass = options.markersPerPass ?? 500;
    this.#leaseMs = options.rebuildLeaseMs ?? 10 * 60_000;
    this.#beforeCommit = options.beforeCommit;
  }

  /** The registered projections. */
  get projections(): readonly GlobalProjection[] {
    return this.#projections;
  }

  /** Runs passes until the outbox is empty or a pass makes no progress. */
  async drainAll(): Promise<{ users: number; events: number }> {
    const total = { users: 0, events: 0 };
    for (let i = 0; i < 100_000; i++) {
      const r = await this.runPass();
      total.users += r.users;
      total.events += r.events;
      if (r.empty || !r.progressed) break;
    }
    return total;
  }

  /** One pass over up to `usersPerPass` marked users. */
  async runPass(): Promise<PassResult> {
    const { kv } = this.#deps;
    await this.#deps.whenForegroundIdle?.();
    const metas = await this.#readyMetas();
    const byUser = new Map<string, number[]>();
    for await (
      const m of kv.list<{ seq: number }>({ prefix: keys.outboxPrefix() }, {
        limit: this.#markersPerPass,
      })
    ) {
      const [, userId, seq] = m.key as [string, string, number];
      if (!byUser.has(userId) && byUser.size >= this.#usersPerPass) break;
      byUser.set(userId, [...(byUser.get(userId) ?? []), seq]);
    }
    if (byUser.size === 0) return { users: 0, events: 0, empty: true, progressed: false };
    const units: Unit[] = [];
    const finalCursor = new Map<string, Map<string, number>>();
    for (const [userId] of byUser) {
      const cursors = await kv.getMany<number[]>(
        this.#projections.map((p) => keys.cursorKey(p.name, userId)),
      );
      const at = new Map(this.#projections.map((p, i) => [p.name, cursors[i].value ?? 0]));
      finalCursor.set(userId, at);
      const ready = this.#projections.map((p, i) => ({ def: p, cursor: cursors[i] }))
        .filter(({ def }) => metas.has(def.name));
      if (ready.length === 0) continue;
      const from = Math.min(...ready.map(({ cursor }) => cursor.value ?? 0));
      const events = await this.#deps.store.readEvents(userId, from, this.#eventsPerUser);
      if (events.length === 0) continue;
      const lastSeq = events[events.length - 1].seq;
      for (const { def, cursor } of ready) {
        const mine = events.filter((e) => e.seq > (cursor.value ?? 0));
        if (mine.length === 0) continue;
        const steps = await this.#plan(def, userId, mine);
        if (steps === null) continue;
        units.push({
          def,
          userId,
          cursor,
          meta: metas.get(def.name)!,
          steps,
          lastSeq,
          done: cursor.value ?? 0,
        });
      }
    }
    const before = new Map(units.map((u) => [u, u.done]));
    await this.#commitUnits(units);
    const moved = new Map<string, number>();
    for (const u of units) {
      const n = u.done - before.get(u)!;
      if (n > 0) moved.set(u.userId, Math.max(moved.get(u.userId) ?? 0, n));
      finalCursor.get(u.userId)!.set(u.def.name, u.done);
    }
    const cleared = await this.#clearMarkers(byUser, finalCursor);
    const events = [...moved.values()].reduce((a, b) => a + b, 0);
    return { users: moved.size, events, empty: false, progressed: moved.size + cleared > 0 };
  }

  /** The projection's plan, or null (logged) when it cannot be made now. */
  async #plan(
    def: GlobalProjection,
    userId: string,
    events: StoredEvent[],
  ): Promise<readonly PlanStep[] | null> {
    const handled = events.filter((e) => def.handles.has(e.type));
    if (handled.length === 0) return [];
    const { kv, config, clock } = this.#deps;
    try {
      const now = clock.now();
      const context = await def.load({ kv, config, now }, userId, handled);
      return def.plan(userId, handled, context, now);
    } catch (err) {
      this.#deps.logger.error("projection plan failed", {
        projection: def.name,
        error: String(err),
      });
      return null;
    }
  }

  /** Packs units into commits; a unit too big for one commit goes in consecutive ones. */
  async #commitUnits(units: Unit[]): Promise<void> {
    const maxChecks = this.#deps.config.maxChecksPerCommit;
    let draft = new CommitDraft(maxChecks);
    const flush = async () => {
      if (draft.segments.length > 0) await this.#commitDraft(draft);
      draft = new CommitDraft(maxChecks);
    };
    for (const unit of units) {
      const costs = unit.steps.map(stepCost);
      const total = costs.reduce(
        (a, c) => ({
          mutations: a.mutations + c.mutations,
          bytes: a.bytes + c.bytes,
          keyBytes: a.keyBytes + c.keyBytes,
        }),
        { mutations: 0, bytes: 0, keyBytes: 0 },
      );
      if (new CommitDraft(maxChecks).fits(total, 2)) {
        if (!draft.fits(total, draft.checksFor(unit))) await flush();
        draft.add(unit, [...unit.steps], unit.lastSeq, total);
        continue;
      }
      // Too big for one commit: consecutive commits of this unit alone.
      await flush();
      let i = 0;
      while (i < unit.steps.length) {
        const piece = new CommitDraft(maxChecks);
        const steps: PlanStep[] = [];
        const cost = { mutations: 0, bytes: 0, keyBytes: 0 };
        while (
          i < unit.steps.length && (steps.length === 0 || piece.fits(
            {
              mutations: cost.mutations + costs[i].mutations,
              bytes: cost.bytes + costs[i].bytes,
              keyBytes: cost.keyBytes + costs[i].keyBytes,
            },
            2,
          ))
        ) {
          cost.mutations += costs[i].mutations;
          cost.bytes += costs[i].bytes;
          cost.keyBytes += costs[i].keyBytes;
          steps.push(unit.steps[i++]);
        }
        const to = i < unit.steps.length ? unit.steps[i].seq - 1 : unit.lastSeq;
        piece.add(unit, steps, Math.max(to, unit.done), cost);
        if (!(await this.#commitDraft(piece))) break;
      }
    }
    await flush();
  }

  /** Commits a draft; when a check fails, each segment is tried alone. */
  async #commitDraft(draft: CommitDraft): Promise<boolean> {
    if (await this.#commitSegments(draft.segments)) return true;
    let all = true;
    for (const s of draft.segments) {
      const ok = draft.segments.length > 1 && await this.#commitSegments([s]);
      if (!ok) s.unit.failed = true;
      all &&= ok;
    }
    return all;
  }

  async #commitSegments(segments: CommitDraft["segments"]): Promise<boolean> {
    this.#beforeCommit?.(this.#commits++);
    const { kv } = this.#deps;
    const atomic = kv.atomic();
    const metaChecked = new Set<string>();
    const progress = new Map<string, number>();
    for (const { unit, steps, to } of segments) {
      atomic.check({ key: unit.cursor.key, versionstamp: unit.cursor.versionstamp });
      if (!metaChecked.has(unit.def.name)) {
        metaChecked.add(unit.def.name);
        atomic.check({ key: unit.meta.key, versionstamp: unit.meta.versionstamp });
      }
      for (const step of steps) atomic.mutate(...step.mutations);
      atomic.set(unit.cursor.key, to);
      const moved = to - unit.done;
      if (moved > 0) progress.set(unit.def.name, (progress.get(unit.def.name) ?? 0) + moved);
    }
    for (const [name, n] of progress) atomic.sum(keys.projectionProgressKey(name), BigInt(n));
    let res: Deno.KvCommitResult | Deno.KvCommitError;
    try {
      res = await atomic.commit();
    } catch (err) {
      // A commit KV refuses (over its limits) fails these users' units only; their markers
      // stay, so they are retried, and the other users of the pass go on.
      if (isTransientKvError(err)) throw err;
      this.#deps.logger.error("projection commit refused", {
        projections: [...new Set(segments.map((s) => s.unit.def.name))].join(","),
        users: [...new Set(segments.map((s) => s.unit.userId))].length,
        error: String(err),
      });
      return false;
    }
    if (!res.ok) return false;
    for (const s of segments) {
      s.unit.cursor = { ...s.unit.cursor, value: s.to, versionstamp: res.versionstamp };
      s.unit.done = s.to;
    }
    return true;
  }

  /** Deletes the markers every projection's cursor has passed; returns how many. */
  async #clearMarkers(
    byUser: Map<string, number[]>,
    cursors: Map<string, Map<string, number>>,
  ): Promise<number> {
    let atomic = this.#deps.kv.atomic();
    let n = 0;
    for (const [userId, seqs] of byUser) {
      const upTo = Math.min(...cursors.get(userId)!.values());
      for (const seq of seqs) {
        if (seq > upTo) continue;
        atomic.delete(keys.outboxKey(userId, seq));
        if (++n % 500 === 0) {
          await atomic.commit();
          atomic = this.#deps.kv.atomic();
        }
      }
    }
    if (n % 500 !== 0) await atomic.commit();
    return n;
  }

  /**
   * The metas of the projections that may run now; rebuilds those that are new, older
   * than their definition, or whose rebuild was abandoned.
   */
  async #readyMetas(): Promise<Map<string, Deno.KvEntryMaybe<ProjectionMeta>>> {
    const { kv, clock } = this.#deps;
    const entries = await kv.getMany<ProjectionMeta[]>(
      this.#projections.map((p) => keys.projectionMetaKey(p.name)),
    );
    const ready = new Map<string, Deno.KvEntryMaybe<ProjectionMeta>>();
    for (const [i, def] of this.#projections.entries()) {
      const entry = entries[i];
      const m = entry.value;
      if (m && m.version === def.version && m.state === "ready") {
        ready.set(def.name, entry);
        continue;
      }
      if (m && m.version > def.version) continue; // a newer process owns it
      if (m?.state === "rebuilding" && (m.until ?? 0) > clock.now()) continue;
      const rebuilt = await this.#rebuild(def, entry);
      if (rebuilt) ready.set(def.name, rebuilt);
    }
    return ready;
  }

  /**
   * Rebuilds one projection: takes a lease on its meta (so concurrent commits of it fail
   * their check), deletes its outputs and cursors, marks every user pending, and marks it
   * ready. Returns the ready meta entry, or null when another process holds it.
   */
  async #rebuild(
    def: GlobalProjection,
    entry: Deno.KvEntryMaybe<ProjectionMeta>,
  ): Promise<Deno.KvEntryMaybe<ProjectionMeta> | null> {
    const { kv, clock, logger } = this.#deps;
    const started = clock.now();
    const lease: ProjectionMeta = {
      version: def.version,
      state: "rebuilding",
      until: started + this.#leaseMs,
    };
    const key = keys.projectionMetaKey(def.name);
    const took = await kv.atomic().check(entry).set(key, lease).commit();
    if (!took.ok) return null;
    let deleted = 0;
    for (const prefix of def.prefixes) deleted += await deletePrefix(kv, prefix);
    deleted += await deletePrefix(kv, keys.cursorPrefix(def.name));
    await kv.delete(keys.projectionProgressKey(def.name));
    const users = await markAllUsers(kv);
    const ready: ProjectionMeta = { version: def.version, state: "ready" };
    const done = await kv.atomic().check({ key, versionstamp: took.versionstamp }).set(key, ready)
      .commit();
    if (!done.ok) return null;
    logger.info("projection rebuilt", {
      projection: def.name,
      version: def.version,
      deleted,
      users,
    });
    return { key, value: ready, versionstamp: done.versionstamp };
  }

  /**
   * Rebuilds the named projections (all by default) from the event streams and drains
   * them (`deno task projections:rebuild`).
   */
  async rebuild(names?: readonly string[]): Promise<{ users: number; events: number }> {
    const { kv } = this.#deps;
    for (const def of this.#projections) {
      if (names && !names.includes(def.name)) continue;
      // Forget the meta: the next pass sees the projection as new and rebuilds it.
      await kv.delete(keys.projectionMetaKey(def.name));
    }
    await this.#readyMetas();
    return await this.drainAll();
  }

  /**
   * Takes back what a user contributed to every projection within `scope` (erasures, the
   * 45-day cleanup). Each commit checks and re-writes the user's cursor, so a projection
   * pass racing with it loses its check and runs again on what is left.
   * @throws {Error} when a projection stays contended after several attempts.
   */
  async forget(userId: string, scope: ForgetScope): Promise<void> {
    const { kv, config, clock } = this.#deps;
    for (const def of this.#projections) {
      if (!def.forget) continue;
      for (let attempt = 0;; attempt++) {
        const [cursor, meta] = await kv.getMany<[number, ProjectionMeta]>([
          keys.cursorKey(def.name, userId),
          keys.projectionMetaKey(def.name),
        ]);
        const at = cursor.value ?? 0;
        const steps = (await def.forget({ kv, config, now: clock.now() }, userId, scope))
          .map((s) => ({ ...s, seq: at + 1 }));
        if (steps.length === 0) break;
        const unit: Unit = { def, userId, cursor, meta, steps, lastSeq: at, done: at };
        if (await this.#commitUnit(unit)) break;
        if (attempt >= 5) throw new Error(`forget on ${def.name} for ${userId} kept conflicting`);
      }
    }
  }

  /** Commits one unit alone (in as many commits as it needs); false when one lost a race. */
  async #commitUnit(unit: Unit): Promise<boolean> {
    await this.#commitUnits([unit]);
    return !unit.failed;
  }

  /** Events each projection has passed, for the lag metric. */
  async progress(): Promise<Map<string, number>> {
    const entries = await this.#deps.kv.getMany<Deno.KvU64[]>(
      this.#projections.map((p) => keys.projectionProgressKey(p.name)),
    );
    return new Map(
      this.#projections.map((p, i) => [p.name, Number(entries[i].value?.value ?? 0n)]),
    );
  }
}

/** Deletes every key under `prefix` (and the key equal to it), in commits of 500. */
export async function deletePrefix(kv: Deno.Kv, prefix: Deno.KvKey): Promise<number> {
  let n = 0;
  let atomic = kv.atomic().delete(prefix);
  let pending = 1;
  for await (const e of kv.list({ prefix }, { batchSize: 500 })) {
    atomic.delete(e.key);
    n++;
    if (++pending === 500) {
      await atomic.commit();
      atomic = kv.atomic();
      pending = 0;
    }
  }
  if (pending > 0) await atomic.commit();
  return n;
}

/** Sets an outbox marker at every user's head, so every projection looks at them again. */
async function markAllUsers(kv: Deno.Kv): Promise<number> {
  let atomic = kv.atomic();
  let pending = 0, users = 0;
  for await (const h of kv.list<Head>({ prefix: keys.headPrefix() }, { batchSize: 500 })) {
    const userId = h.key[1] as string;
    atomic.set(keys.outboxKey(userId, h.value.seq), { seq: h.value.seq });
    users++;
    if (++pending === 500) {
      await atomic.commit();
      atomic = kv.atomic();
      pending = 0;
    }
  }
  if (pending > 0) await atomic.commit();
  return users;
}
