/**
 * Creates user actors on demand, passivates idle ones after a timeout (injected clock),
 * keeps at most `maxResident` of them (least recently used go first) and drains them all
 * on shutdown.
 */
import type { Device } from "../src/domain/events.ts";
import type { UserState } from "../src/domain/state.ts";
import type { CommandInput, DecisionResult, UserCommands } from "../src/user_commands.ts";
import { ShuttingDown } from "./mailbox.ts";
import { UserActor, type UserActorDeps } from "./user_actor.ts";

export interface RegistryOptions {
  /** Idle time after which an actor is passivated, in ms. */
  idleMs: number;
  maxResident: number;
  /** Most estimated bytes of cached state all resident actors may hold together. */
  maxResidentBytes?: number;
  mailboxCapacity: number;
}

interface Entry {
  actor: UserActor;
  lastUsed: number;
}

/** All resident user actors of this process. */
export class ActorRegistry implements UserCommands {
  #deps: UserActorDeps;
  #options: RegistryOptions;
  /** Insertion order is recency order: an access moves the entry to the end. */
  #actors = new Map<string, Entry>();
  #closed = false;

  constructor(deps: UserActorDeps, options: RegistryOptions) {
    this.#deps = deps;
    this.#options = options;
  }

  /** Number of resident actors. */
  get size(): number {
    return this.#actors.size;
  }

  /** Estimated bytes of the states resident actors cache. */
  get residentBytes(): number {
    let n = 0;
    for (const e of this.#actors.values()) n += e.actor.estimatedBytes;
    return n;
  }

  /** Runs a domain command through the user's actor. */
  execute(userId: string, command: CommandInput, device?: Device): Promise<DecisionResult> {
    return this.#actor(userId).execute(command, device);
  }

  /** The user's current state, after their queued commands. */
  state(userId: string): Promise<UserState> {
    return this.#actor(userId).state();
  }

  /**
   * Passivates actors idle for longer than the timeout, then idle ones (largest first)
   * while the cached states are over the memory budget; returns how many went.
   */
  sweep(): number {
    const cutoff = this.#deps.clock.now() - this.#options.idleMs;
    let removed = 0;
    for (const [id, e] of this.#actors) {
      if (e.lastUsed <= cutoff && e.actor.idle) {
        this.#actors.delete(id);
        removed++;
      }
    }
    return removed + this.#shedBytes(0);
  }

  /** Passivates idle actors, largest first, until `room` more bytes fit the budget. */
  #shedBytes(room: number): number {
    const max = this.#options.maxResidentBytes;
    if (max === undefined) return 0;
    let total = this.residentBytes;
    if (total + room <= max) return 0;
    const idle = [...this.#actors].filter(([, e]) => e.actor.idle)
      .map(([id, e]) => ({ id, bytes: e.actor.estimatedBytes }))
      .sort((a, b) => b.bytes - a.bytes);
    let removed = 0;
    for (const { id, bytes } of idle) {
      if (total + room <= max) break;
      this.#actors.delete(id);
      total -= bytes;
      removed++;
    }
    return removed;
  }

  /** Stops accepting commands and waits until every queued one is done. */
  async drain(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#actors.values()].map((e) => e.actor.drain()));
  }

  #actor(userId: string): UserActor {
    if (this.#closed) throw new ShuttingDown();
    const now = this.#deps.clock.now();
    let entry = this.#actors.get(userId);
    if (entry) {
      this.#actors.delete(userId);
    } else {
      this.#evictForRoom();
      entry = {
        actor: new UserActor(userId, this.#deps, {
          mailboxCapacity: this.#options.mailboxCapacity,
        }),
        lastUsed: now,
      };
    }
    entry.lastUsed = now;
    this.#actors.set(userId, entry);
    return entry.actor;
  }

  /** Makes room for one more actor by passivating the least recently used idle ones. */
  #evictForRoom(): void {
    this.#shedBytes(4_096);
    if (this.#actors.size < this.#options.maxResident) return;
    for (const [id, e] of this.#actors) {
      if (this.#actors.size < this.#options.maxResident) return;
      if (e.actor.idle) this.#actors.delete(id);
    }
  }
}
