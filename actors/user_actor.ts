/**
 * One user's actor: it serialises that user's commands inside this process, caches their
 * state, and runs decide → append → evolve. The KV check in `append` is the truth; on a
 * lost race the actor reloads what it missed and decides again (at most 3 times).
 */
import type { Clock } from "../src/clock.ts";
import { isoAt } from "../src/clock.ts";
import type { Command, CommandMeta } from "../src/domain/commands.ts";
import { decide } from "../src/domain/decide.ts";
import type { Device, StoredEvent, UserEvent } from "../src/domain/events.ts";
import { evolveAll, type UserState } from "../src/domain/state.ts";
import { ConcurrencyError, type EventStore } from "../src/store/event_store.ts";
import { Mailbox } from "./mailbox.ts";

/** A decision: the events to append given the user's current state. */
export type Decision = (state: UserState, meta: CommandMeta) => readonly UserEvent[];

/** A command as the HTTP layer sends it: the actor adds the time and ids. */
export type CommandInput = Command extends infer C ? C extends Command ? Omit<C, "meta"> : never
  : never;

export interface DecisionResult {
  /** The events this decision appended (empty for a no-op). */
  readonly events: readonly StoredEvent[];
  /** The user's state after them. */
  readonly state: UserState;
}

export interface UserActorDeps {
  store: EventStore;
  clock: Clock;
  /** A fresh unique id (event-id prefixes). */
  newId: () => string;
}

export interface UserActorOptions {
  mailboxCapacity: number;
  maxRetries?: number;
}

interface Job {
  decision: Decision;
  device?: Device;
  resolve: (r: DecisionResult) => void;
  reject: (err: unknown) => void;
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

  /** True when no command waits or runs. */
  get idle(): boolean {
    return this.#mailbox.idle;
  }

  /** Runs a decision in turn with this user's other commands. */
  run(decision: Decision, device?: Device): Promise<DecisionResult> {
    return new Promise((resolve, reject) => {
      this.#mailbox.post({ decision, device, resolve, reject });
    });
  }

  /** Runs a domain command (see decide). */
  execute(command: CommandInput, device?: Device): Promise<DecisionResult> {
    return this.run((state, meta) => decide(state, { ...command, meta } as Command), device);
  }

  /** The user's current state, in turn with pending commands. */
  state(): Promise<UserState> {
    return this.run(() => []).then((r) => r.state);
  }

  /** Refuses new commands; resolves when the queued ones are done. */
  drain(): Promise<void> {
    this.#mailbox.close();
    return this.#mailbox.whenIdle();
  }

  async #handle(jobs: Job[]): Promise<void> {
    let pending = jobs;
    for (let attempt = 0; pending.length > 0; attempt++) {
      try {
        // Another process may have appended since: catch up (one short list) first, so
        // no decision and no answer is based on a stale cache.
        const cached = this.#state ?? await this.#deps.store.load(this.userId);
        const missed = await this.#deps.store.readEvents(this.userId, cached.seq);
        this.#state = evolveAll(cached, missed);
        pending = await this.#attempt(pending, this.#state);
      } catch (err) {
        if (err instanceof ConcurrencyError && attempt < this.#maxRetries) {
          // Catch up with what the other writer appended (next turn), then decide again.
          this.#state = err.committed;
          continue;
        }
        this.#state = undefined; // reload from KV next time
        for (const j of pending) j.reject(err);
        return;
      }
    }
  }

  /** Decides every job on a rolling state and appends all their events in one go. */
  async #attempt(jobs: Job[], start: UserState): Promise<Job[]> {
    const now = isoAt(this.#deps.clock.now());
    const decided: { job: Job; events: readonly UserEvent[] }[] = [];
    const all: UserEvent[] = [];
    let rolling = start;
    for (const job of jobs) {
      const meta: CommandMeta = job.device
        ? { now, idPrefix: this.#deps.newId(), device: job.device }
        : { now, idPrefix: this.#deps.newId() };
      let events: readonly UserEvent[];
      try {
        events = job.decision(rolling, meta);
      } catch (err) {
        job.reject(err);
        continue;
      }
      if (events.length > 0) {
        // Number them provisionally so the next job decides on the state after them.
        rolling = evolveAll(
          rolling,
          events.map((e, i) =>
            ({ ...e, seq: rolling.seq + i + 1, user_id: this.userId }) as StoredEvent
          ),
        );
      }
      decided.push({ job, events });
      all.push(...events);
    }
    const appended = all.length > 0
      ? await this.#deps.store.append(this.userId, start, all)
      : { events: [], state: start };
    this.#state = appended.state;
    let offset = 0;
    for (const { job, events } of decided) {
      job.resolve({
        events: appended.events.slice(offset, offset + events.length),
        state: appended.state,
      });
      offset += events.length;
    }
    return [];
  }
}
