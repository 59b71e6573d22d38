/**
 * What a global projection is: a definition the runner (runner.ts) drives. A projection
 * reads what it needs about one user (`load`, the only I/O), then plans — purely — the KV
 * mutations that user's new events cause, as atomic steps. The runner packs steps into
 * commits within KV's limits, each carrying the (projection, user) cursor check, so a
 * duplicate, late or concurrent run changes nothing and a crash between commits resumes
 * where it stopped.
 */
import type { Config } from "../config.ts";
import type { EventType, StoredEvent } from "../domain/events.ts";
import type { HistoryScope } from "../domain/history.ts";

/** Mutations that must commit together, completing (part of) the event at `seq`. */
export interface PlanStep {
  /** The event this step belongs to; the cursor passes it once all its steps committed. */
  readonly seq: number;
  readonly mutations: readonly Deno.KvMutation[];
}

/** What `load` and `plan` may know besides the events. */
export interface ProjectionEnv {
  readonly kv: Deno.Kv;
  readonly config: Config;
  /** The runner's clock, in ms. */
  readonly now: number;
}

/** What of a user's contributions a projection must take back. */
export type ForgetScope =
  | { readonly kind: "history"; readonly history: HistoryScope }
  | { readonly kind: "before"; readonly before: number }
  | { readonly kind: "account" };

/** A global projection, registered with the runner. */
export interface GlobalProjection<Context = unknown> {
  /** Stable name: its cursors are `["cursor", name, user]`. */
  readonly name: string;
  /** Bumping it makes the runner rebuild this projection alone. */
  readonly version: number;
  /** Event types it reacts to; other events only move its cursor. */
  readonly handles: ReadonlySet<EventType>;
  /** Every key prefix it writes (rebuild deletes them; erasure and tests list them). */
  readonly prefixes: readonly Deno.KvKey[];
  /** Reads what `plan` needs for these events of one user (handled types only). */
  load(env: ProjectionEnv, userId: string, events: readonly StoredEvent[]): Promise<Context>;
  /**
   * Pure: the steps these events cause, in seq order. A plan may be re-made after a crash
   * between its commits: from the state the committed steps left, it must plan only what
   * is still missing (write absolute values, or deltas guarded by a stored marker).
   */
  plan(
    userId: string,
    events: readonly StoredEvent[],
    context: Context,
    now: number,
  ): readonly PlanStep[];
  /**
   * The steps that take back what a user contributed within a scope: an erased history,
   * events past retention (`before`, ms of `recorded_at`), or the whole account. Their
   * `seq` is ignored. Absent when the projection keeps nothing per user.
   */
  forget?(env: ProjectionEnv, userId: string, scope: ForgetScope): Promise<readonly PlanStep[]>;
}
