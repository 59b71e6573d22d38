/**
 * One user's actor: it serialises that user's commands inside this process, caches their
 * state, and runs decide → append → evolve. The KV check in `append` is the truth; on a
 * lost race the actor reloads what it missed and decides again (at most 3 times). A command
 * too large for one decision (a sync of thousands of items) runs as consecutive parts, each
 * decided and committed on its own, so other users' commands run between them.
 */
import type { Clock } from "../src/clock.ts";
import { isoAt } from "../src/clock.ts";
import type { Command, CommandMeta } from "../src/domain/commands.ts";
import { decide } from "../src/domain/decide.ts";
import { slices, splitSync } from "../src/domain/split.ts";
import type { Device, StoredEvent, UserEvent } from "../src/domain/events.ts";
import { estimateStateBytes, evolveAll, type UserState } from "../src/domain/state.ts";
import { ConcurrencyError, type EventStore } from "../src/store/event_store.ts";
import type { CommandInput, DecisionResult } from "../src/user_commands.ts";
import type { BulkGate } from "../src/bulk_gate.ts";
import { Mailbox } from "./mailbox.ts";

/** What a job decides: a domain command, or nothing (a read of the state in turn). */
type Decision = (state: UserState, meta: CommandMeta) => readonly UserEvent[];

export interface UserActorDeps {
  store: EventStore;
  clock: Clock;
  /** A fresh unique id (event-id prefixes). */
  newId: () => string;
  /** Told while a large command runs part by part (background work waits for it). */
  bulk?: BulkGate;
}

export interface UserActorOptions {
  mailboxCapacity: number;
  maxRetries?: number;
}

interface Job {
  decision: Decision;
  /** A large command's consecutive parts (then `decision` is unused). */
  parts?: readonly Decision[];
  device?: Device;
  resolve: (r: DecisionResult) => void;
  reject: (err: unknown) => void;
}

/** The parts a command runs as: itself alone, unless it is a large sync or import. */
export function commandParts(command: CommandInput): CommandInput[] {
  switch (command.type) {
    case "SyncState":
      return splitSync(command.data).map((data) => ({ ...command, data }));
    case "SubscribeMany":
      return slices(command.data.feeds).map((feeds) => ({ ...command, data: { feeds } }));
    default:
      return [command];
  }
}

function decisionOf(command: CommandInput): Decision {
  return (state, meta) => decide(state, { ...command, meta } as Command);
}

/** The in-process actor for one user. */
export class UserActor {
  readonly userId: string;
  #deps: UserActorDeps;
  #state: UserState | undefined;
  #mailbox: Mailbox<Job>;
  #maxRetries: number;

  constructor(userId: string, deps: UserActorDeps, options: UserActorOptions) {
    this.userId = userId;
    this.#deps = deps;
    this.#maxRetries = options.maxRetries ?? 3;
    this.#mailbox = new Mailbox((jobs) => this.#handle(jobs), {
      capacity: options.mailboxCapacity,
    });
  }

  /** Estimated bytes of the cached state (0 when none is cached). */
  get estimatedBytes(): number {
    return this.#state ? estimateStateBytes(this.#state) : 0;
  }

  /** True when no command waits or runs. */
  get idle(): boolean {
    return this.#mailbox.idle;
  }

  #post(decision: Decision, device?: Device, parts?: Decision[]): Promise<DecisionResult> {
    return new Promise((resolve, reject) => {
      this.#mailbox.post({ decision, parts, device, resolve, reject });
    });
  }

  /**
   * Runs a domain command (see decide) in turn with this user's other commands. A large
   * one commits part by part: when a part fails, the parts before it stay committed (a
   * retry finds them done) and the error is the command's.
   */
  execute(command: CommandInput, device?: Device): Promise<DecisionResult> {
    const parts = commandParts(command);
    if (parts.length === 1) return this.#post(decisionOf(command), device);
    return this.#post(decisionOf(command), device, parts.map(decisionOf));
  }

  /** The user's current state, in turn with pending commands. */
  state(): Promise<UserState> {
    return this.#post(() => []).then((r) => r.state);
  }

  /** Refuses new commands; resolves when the queued ones are done. */
  drain(): Promise<void> {
    this.#mailbox.close();
    return this.#mailbox.whenIdle();
  }

  /** Runs a mailbox batch: rounds of ordinary commands, large commands part by part. */
  async #handle(jobs: Job[]): Promise<void> {
    let round: Job[] = [];
    for (const job of jobs) {
      if (!job.parts) {
        round.push(job);
        continue;
      }
      if (round.length > 0) await this.#round(round);
      round = [];
      await this.#inParts(job, job.parts);
    }
    if (round.length > 0) await this.#round(round);
  }

  /**
   * Runs a large command's parts one round each; every round waits for KV (its commits,
   * or the check of a no-op), which is when other users' commands get their turn.
   */
  async #inParts(job: Job, parts: readonly Decision[]): Promise<void> {
    const end = this.#deps.bulk?.begin();
    let outcome: { ok: DecisionResult } | { error: unknown };
    try {
      outcome = await this.#partByPart(job, parts);
    } finally {
      end?.(); // before the answer: whoever awaits it finds the gate open
    }
    "ok" in outcome ? job.resolve(outcome.ok) : job.reject(outcome.error);
  }

  async #partByPart(
    job: Job,
    parts: readonly Decision[],
  ): Promise<{ ok: DecisionResult } | { error: unknown }> {
    let before: UserState | undefined;
    let state: UserState | undefined;
    const events: StoredEvent[] = [];
    for (const decision of parts) {
      let settled: { ok: DecisionResult } | { error: unknown } | undefined;
      await this.#round([{
        decision,
        device: job.device,
        resolve: (ok) => settled = { ok },
        reject: (error) => settled = { error },
      }]);
      if (!settled || "error" in settled) return { error: settled?.error };
      before ??= settled.ok.before;
      state = settled.ok.state;
      events.push(...settled.ok.events);
    }
    return { ok: { events, before: before!, state: state! } };
  }

  /**
   * Decides a round of jobs on the cached state and appends. The cache can only be stale if
   * another process wrote this user: a write then loses its KV check and retries after
   * catching up, and an answer that appends nothing (a no-op, a refusal) is checked against
   * KV before it is given, so no answer rests on a stale cache.
   */
  async #round(jobs: Job[]): Promise<void> {
    let state = this.#state;
    let caughtUp = false;
    for (let attempt = 0;; attempt++) {
      try {
        if (!state) {
          state = await this.#deps.store.load(this.userId);
          caughtUp = true;
        } else if (!caughtUp && attempt > 0) {
          state = await this.#catchUp(state);
          caughtUp = true;
        }
        let round = this.#decideAll(jobs, state);
        if (!caughtUp && (round.events.length === 0 || round.failed)) {
          const fresh = await this.#catchUp(state);
          caughtUp = true;
          if (fresh !== state) round = this.#decideAll(jobs, state = fresh);
        }
        this.#state = state;
        const appended = round.events.length > 0
          ? await this.#deps.store.append(this.userId, state, round.events)
          : { events: [], state };
        this.#state = appended.state;
        let offset = 0;
        for (const d of round.decided) {
          if ("error" in d) {
            d.job.reject(d.error);
            continue;
          }
          const events = appended.events.slice(offset, offset + d.count);
          d.job.resolve({ events, before: d.before, state: appended.state });
          offset += d.count;
        }
        return;
      } catch (err) {
        if (err instanceof ConcurrencyError && attempt < this.#maxRetries) {
          state = err.committed; // what did land; the rest is read on the next turn
          caughtUp = false;
          continue;
        }
        this.#state = undefined; // reload from KV next time
        for (const j of jobs) j.reject(err);
        return;
      }
    }
  }

  async #catchUp(state: UserState): Promise<UserState> {
    const missed = await this.#deps.store.readEvents(this.userId, state.seq);
    return missed.length > 0 ? evolveAll(state, missed) : state;
  }

  /** Decides every job on a rolling state (nothing is settled here). */
  #decideAll(jobs: Job[], start: UserState) {
    const now = isoAt(this.#deps.clock.now());
    const decided:
      ({ job: Job; count: number; before: UserState } | { job: Job; error: unknown })[] = [];
    const events: UserEvent[] = [];
    let rolling = start;
    let failed = false;
    for (const job of jobs) {
      const meta: CommandMeta = job.device
        ? { now, idPrefix: this.#deps.newId(), device: job.device }
        : { now, idPrefix: this.#deps.newId() };
      let produced: readonly UserEvent[];
      const before = rolling;
      try {
        produced = job.decision(rolling, meta);
      } catch (error) {
        decided.push({ job, error });
        failed = true;
        continue;
      }
      if (produced.length > 0) {
        // Number them provisionally so the next job decides on the state after them.
        rolling = evolveAll(
          rolling,
          produced.map((e, i) =>
            ({
              ...e,
              seq: rolling.seq + i + 1,
              user_id: this.userId,
              recorded_at: now,
            }) as StoredEvent
          ),
        );
      }
      decided.push({ job, count: produced.length, before });
      events.push(...produced);
    }
    return { decided, events, failed };
  }
}
