/**
 * The port through which everything outside `actors/` runs a user's commands: routes,
 * the play-gateway processor, jobs. `actors/registry.ts` implements it; `src/` depends only
 * on this interface, never on the concrete registry.
 */
import type { Command, CommandMeta } from "./domain/commands.ts";
import type { Device, StoredEvent, UserEvent } from "./domain/events.ts";
import type { UserState } from "./domain/state.ts";

/** A decision: the events to append given the user's current state. */
export type Decision = (state: UserState, meta: CommandMeta) => readonly UserEvent[];

/** A command as a caller sends it: the actor adds the time and ids. */
export type CommandInput = Command extends infer C ? C extends Command ? Omit<C, "meta"> : never
  : never;

/** What running a decision gave. */
export interface DecisionResult {
  /** The events this decision appended (empty for a no-op). */
  readonly events: readonly StoredEvent[];
  /** The user's state after them. */
  readonly state: UserState;
}

/** Runs commands for users, one at a time per user. */
export interface UserCommands {
  /** Runs a decision through the user's actor. */
  run(userId: string, decision: Decision, device?: Device): Promise<DecisionResult>;
  /** Runs a domain command through the user's actor. */
  execute(userId: string, command: CommandInput, device?: Device): Promise<DecisionResult>;
  /** The user's current state, after their queued commands. */
  state(userId: string): Promise<UserState>;
}
