/**
 * The event store: a user's stream on Deno KV. `append` is one atomic commit per batch that
 * checks the next seq slot is empty and writes the events, the head, the per-user read
 * models, the outbox marker and (when asked) the projector's wake-up pointer — one per
 * shared commit, not one per decision.
 */
import type { StoredEvent, UserEvent } from "../domain/events.ts";
import { EMPTY_STATE, evolveAll, StateBuilder, type UserState } from "../domain/state.ts";
import { type Clock, isoAt, systemClock } from "../clock.ts";
import { commitOne, type GroupCommitter, KV_LIMITS, withinCommit } from "./group_commit.ts";
import * as keys from "./keys.ts";
import { readModelMutations } from "./read_models.ts";
import { opOf, valueSize } from "./sizing.ts";
import { checkpointHead, readCheckpoint } from "./checkpoints.ts";
import { dayOf, dueDayOf } from "../domain/history.ts";
import { Slices } from "../slices.ts";

/** Another writer appended to this user's stream first. */
export class ConcurrencyError extends Error {
  override name = "ConcurrencyError";
  readonly code = "conflict";
  /** The state as far as this append got before losing the race. */
  readonly committed: UserState;
  constructor(message: string, committed: UserState) {
    super(message);
    this.committed = committed;
  }
}

/** The stream head kept beside the events; only `append` writes it. */
export interface Head {
  seq: number;
}

/** Pending erasure work (`["erase", user, seq | "account"]`). */
export type ErasureMarker =
  | { kind: "history"; seq: number; scope: "user" | "feed" | "item"; feed?: string; item?: string }
  | { kind: "account"; username: string; at: string };

/**
 * The projector's wake-up message: a pointer that only says "look at the outbox". Every
 * append carries this same object, so a group commit enqueues it once for all its users.
 */
export const PROJECT_POINTER: Readonly<{ kind: "project" }> = Object.freeze({ kind: "project" });

export interface EventStoreDeps {
  kv: Deno.Kv;
  /** Stamps `recorded_at` on appended events (default: the system clock). */
  clock?: Clock;
  /** Shares commits between users; without it each batch commits alone. */
  committer?: GroupCommitter;
  /**
   * KV queues exist: enqueue the projector's pointer with each commit (once per shared
   * commit) — unless `onCommit` kicks a projector in this process, which makes the pointer
   * pure cost (another process's projector finds the outbox with its cron sweep anyway).
   */
  useQueue?: boolean;
  /** Called after each successful commit (the projector's in-process kick). */
  onCommit?: (userId: string, toSeq: number) => void;
  /** How a long append rests between its commits (default: a timer; tests record it). */
  rest?: (ms: number) => Promise<void>;
}

const restFor = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Events read per KV round trip when a stream is loaded. */
const PAGE = { batchSize: 100 };

/** Room kept in each commit for the head, outbox marker, queue pointer and counters. */
const RESERVED_MUTATIONS = 8;

/**
 * Mutations of one commit of a long append while other listeners write: each of their
 * writes waits behind at most one such commit (a few milliseconds of SQLite).
 */
const SHARED_COMMIT_MUTATIONS = 30;

/** Appends of more events than this are long (see `SHARED_COMMIT_MUTATIONS`). */
const LONG_APPEND_EVENTS = 100;

/**
 * While other listeners write, a long append rests this many times as long as its last
 * commit took before it sends the next one: it takes at most a third of the write path.
 * Small pieces alone are not enough on a disk-backed KV file: a large sync writes about two
 * pages nobody else touches per play status (its row and its time index, both far from any
 * recent write), and SQLite copies those pages into the database file and fsyncs it at each
 * WAL checkpoint (every 1,000 pages written) inside whichever commit crosses the mark —
 * others' writes waited there (measured with a 40,000-item sync beside four writers in
 * closed loops: their p99 2.0–2.4× idle with no rest, 1.6–1.9× resting 1×, 1.4× resting 2×;
 * the sync then takes ≈ 3× as long while they write, and runs at full speed alone).
 */
const LONG_APPEND_REST = 2;

/** Read-model writes of the commonest events (a play: the play, its old and new time index; a
 * subscription: it and its old and new time index). */
const TOUCHES: Partial<Record<StoredEvent["type"], number>> = {
  played: 3,
  position_updated: 3,
  subscribed: 3,
  unsubscribed: 3,
};

/**
 * Estimate of what one event adds to a commit: its own set plus the read-model writes it can
 * cause (a reorder: every item). The batch built from these estimates is measured before it
 * is committed, and halved when it does not fit (see `EventStore.#buildBatch`).
 */
function costOf(e: StoredEvent, size: number) {
  const touched = e.type === "playlist_reordered" ? e.data.order.length + 1 : TOUCHES[e.type] ?? 5;
  return { mutations: 1 + touched, bytes: size * 3 + touched * 400, keyBytes: (1 + touched) * 80 };
}

/** Loads and appends user event streams. */
export class EventStore {
  #deps: EventStoreDeps;
  /** The day each recent user's due entry was last written by this process. */
  #dueWritten = new Map<string, number>();

  constructor(deps: EventStoreDeps) {
    this.#deps = deps;
  }

  /**
   * A user's current state: the latest checkpoint (if any) + the events after it. Reads
   * again when a checkpoint job or an erasure moved the checkpoint while it read.
   * @throws {Error} when it cannot read a consistent state in a few attempts.
   */
  async load(userId: string): Promise<UserState> {
    const { kv } = this.#deps;
    for (let attempt = 0; attempt < 8; attempt++) {
      const head = await checkpointHead(kv, userId);
      const base = head.value ? await readCheckpoint(kv, userId, head.value) : EMPTY_STATE;
      if (!base) continue; // the checkpoint was being replaced
      // Folded as they are read, in short stretches: other requests run between them.
      const builder = new StateBuilder(base);
      const slices = new Slices();
      let first: number | undefined;
      for await (const e of kv.list<StoredEvent>(keys.eventsAfter(userId, base.seq), PAGE)) {
        first ??= e.value.seq;
        builder.apply(e.value);
        await slices.pause();
      }
      const moved = first !== undefined
        ? first !== base.seq + 1
        : (await checkpointHead(kv, userId)).versionstamp !== head.versionstamp;
      if (moved) continue;
      return builder.build();
    }
    throw new Error(`Could not read a consistent state for ${userId}.`);
  }

  /** The user's events with seq > `afterSeq`, in order. */
  async readEvents(userId: string, afterSeq: number, limit?: number): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    const iter = this.#deps.kv.list<StoredEvent>(
      keys.eventsAfter(userId, afterSeq),
      { batchSize: 500, limit },
    );
    for await (const entry of iter) out.push(entry.value);
    return out;
  }

  /** The user's stream head, or zeros for a new user. */
  async head(userId: string): Promise<Head> {
    const h = await this.#deps.kv.get<Head>(keys.headKey(userId));
    return h.value ?? { seq: 0 };
  }

  /**
   * Appends events after `state.seq`. Inputs larger than one commit are split into
   * consecutive commits that each commit whole; each commit is built while the one before
   * it is written, and handed to KV only once that one landed.
   * @throws {ConcurrencyError} when another writer took the next seq first; its
   * `committed` state says how far this append got.
   */
  async append(
    userId: string,
    state: UserState,
    events: readonly UserEvent[],
  ): Promise<{ events: StoredEvent[]; state: UserState }> {
    const stored: StoredEvent[] = [];
    let committed = state;
    let writing: { ok: Promise<boolean>; batch: StoredEvent[]; next: UserState } | undefined;
    /** How long the last commit took, from its submission until KV answered (ms). */
    let lastCommitMs = 0;
    const landed = async () => {
      if (!writing) return;
      const { ok, batch, next } = writing;
      writing = undefined;
      if (!await ok) {
        throw new ConcurrencyError(
          `Stream of ${userId} moved past seq ${committed.seq}.`,
          committed,
        );
      }
      this.#rememberDue(userId, batch[0].recorded_at);
      stored.push(...batch);
      committed = next;
      this.#deps.onCommit?.(userId, committed.seq);
    };
    let current = state;
    let i = 0;
    try {
      while (i < events.length) {
        const { op, batch, next } = await this.#buildBatch(userId, current, events, i);
        await landed();
        if (
          lastCommitMs > 0 && events.length > LONG_APPEND_EVENTS &&
          this.#deps.committer?.smallWritesWaiting()
        ) {
          await (this.#deps.rest ?? restFor)(lastCommitMs * LONG_APPEND_REST);
        }
        const submitted = performance.now();
        const ok = this.#deps.committer
          ? this.#deps.committer.submit(op)
          : commitOne(this.#deps.kv, op);
        ok.then(() => lastCommitMs = performance.now() - submitted, () => {});
        writing = { ok, batch, next };
        current = next;
        i += batch.length;
      }
      await landed();
    } finally {
      // A build that failed while a commit was in flight: let that commit finish first.
      await writing?.ok.catch(() => {});
    }
    return { events: stored, state: committed };
  }

  /**
   * The due index: the day this append's events turn 45 days old, written at most once per
   * user per day (by this process), so the lifecycle jobs list the users that are due.
   */
  #dueIndex(userId: string, recordedMs: number): Deno.KvMutation[] {
    // Remembered once the commit landed (see append): a lost race writes it again.
    if (this.#dueWritten.get(userId) === dayOf(recordedMs)) return [];
    const day = dueDayOf(recordedMs);
    return [
      { type: "set", key: keys.dueKey(day, userId), value: day },
      { type: "set", key: keys.dueByUserKey(userId, day), value: day },
    ];
  }

  #rememberDue(userId: string, recordedAt: string): void {
    this.#dueWritten.delete(userId);
    if (this.#dueWritten.size >= 100_000) {
      this.#dueWritten.delete(this.#dueWritten.keys().next().value!);
    }
    this.#dueWritten.set(userId, dayOf(Date.parse(recordedAt)));
  }

  /**
   * Takes as many events from `start` as fit one commit and builds that commit: as many as
   * the estimates allow, then half as many while the built commit is over KV's limits.
   */
  async #buildBatch(userId: string, state: UserState, events: readonly UserEvent[], start: number) {
    const recorded_at = isoAt((this.#deps.clock ?? systemClock).now());
    // While other listeners write, a long append (a part of a large sync or import) goes in
    // small commits between theirs; an ordinary one (an upload of 30 actions) stays whole.
    const budget = events.length > LONG_APPEND_EVENTS && this.#deps.committer?.smallWritesWaiting()
      ? SHARED_COMMIT_MUTATIONS
      : KV_LIMITS.mutations - RESERVED_MUTATIONS;
    let max = events.length - start;
    for (;;) {
      const built = await this.#tryBatch(userId, state, events, start, max, recorded_at, budget);
      const { op } = built;
      const m = op.mutations.length + op.enqueues.length;
      if (built.batch.length === 1 || withinCommit(m, op.bytes, op.keyBytes)) return built;
      max = Math.floor(built.batch.length / 2);
    }
  }

  /** Builds the commit of at most `max` events from `start`, as many as the estimates allow. */
  async #tryBatch(
    userId: string,
    state: UserState,
    events: readonly UserEvent[],
    start: number,
    max: number,
    recorded_at: string,
    mutationBudget: number,
  ) {
    let mutationsLeft = mutationBudget;
    let bytesLeft = KV_LIMITS.bytes * 0.6;
    let keyBytesLeft = KV_LIMITS.keyBytes * 0.7;
    const batch: StoredEvent[] = [];
    const sizes = new Map<unknown, number>();
    for (let i = start; i < events.length && batch.length < max; i++) {
      const e = {
        ...events[i],
        seq: state.seq + batch.length + 1,
        user_id: userId,
        recorded_at,
      } as StoredEvent;
      const size = valueSize(e);
      sizes.set(e, size);
      if (size > KV_LIMITS.valueBytes - 1024) {
        throw new RangeError(`Event ${e.type} is ${size} bytes, over KV's value limit.`);
      }
      const cost = costOf(e, size);
      const full = mutationsLeft < cost.mutations || bytesLeft < cost.bytes ||
        keyBytesLeft < cost.keyBytes;
      if (full && batch.length > 0) break;
      batch.push(e);
      mutationsLeft -= cost.mutations;
      bytesLeft -= cost.bytes;
      keyBytesLeft -= cost.keyBytes;
    }
    const next = evolveAll(state, batch);
    const last = next.seq;
    const mutations: Deno.KvMutation[] = batch.map((e) => ({
      type: "set",
      key: keys.eventKey(userId, e.seq),
      value: e,
    }));
    mutations.push(...await readModelMutations(userId, state, next, batch));
    mutations.push(...this.#dueIndex(userId, Date.parse(recorded_at)));
    // An erasure's work (deleting the erased events, their traces…) continues from this
    // marker, also after a crash (src/lifecycle/erase.ts).
    for (const e of batch) {
      if (e.type !== "events_removed") continue;
      const value: ErasureMarker = { kind: "history", seq: e.seq, scope: e.data.scope };
      if (e.feed !== undefined) value.feed = e.feed;
      if (e.item !== undefined) value.item = e.item;
      mutations.push({ type: "set", key: keys.eraseKey(userId, e.seq), value });
    }
    mutations.push(
      {
        type: "set",
        key: keys.headKey(userId),
        value: { seq: last } satisfies Head,
      },
      { type: "set", key: keys.outboxKey(userId, last), value: { seq: last } },
      { type: "sum", key: keys.statKey("appended"), value: new Deno.KvU64(BigInt(batch.length)) },
    );
    const enqueues = this.#deps.useQueue && !this.#deps.onCommit ? [PROJECT_POINTER] : [];
    const checks = [{ key: keys.eventKey(userId, state.seq + 1), versionstamp: null }];
    // Each event was sized above: the op's estimate does not serialise it again.
    const op = opOf(checks, mutations, enqueues, sizes);
    return { op: events.length > LONG_APPEND_EVENTS ? { ...op, bulk: true } : op, batch, next };
  }
}
