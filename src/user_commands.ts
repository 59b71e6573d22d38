/**
 * The port through which everything outside `actors/` runs a user's commands: routes,
 * the play-gateway processor, jobs. `actors/registry.ts` implements it; `src/` depends only
 * on this interface, never on the concrete registry.
 */
import type { Command } from "./domain/commands.ts";
import type { Device, StoredEvent } from "./domain/events.ts";
import type { UserState } from "./domain/state.ts";

/** A command as a caller sends it: the actor adds the time and ids. */
export type CommandInput = Command extends infer C ? C extends Command ? Omit<C, "meta"> : never
  : never;

/** What running a command gave. */
export interface DecisionResult {
  /** The events this command appended (empty for a no-op). */
  readonly events: readonly StoredEvent[];
  /** The user's state before the command (what the answer may compare with). */
  readonly before: UserState;
  /** The user's state after it (and after the commands decided with it). */
  readonly state: UserState;
}

/** Runs domain commands for users, one at a time per user. */
export interface UserCommands {
  /** Runs a domain command through the user's actor. */
  execute(userId: string, command: CommandInput, device?: Device): Promise<DecisionResult>;
  /** The user's current state, after their queued commands. */
  state(userId: string): Promise<UserState>;
}
