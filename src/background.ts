/**
 * The shape every background processor shares (the projection runner, the play-gateway
 * processor, the erase job): an in-process kick that coalesces, a KV queue message of its
 * own `kind` (a pointer, never the work), a cron sweep that drains everything left, and a
 * stop that waits for the current drain. `jobs/` only wires crons and the queue to these.
 */
import { DrainLoop } from "./drain_loop.ts";
import type { Logger } from "./logger.ts";

/** What `jobs/` sees of a background processor. */
export interface BackgroundProcessor {
  /** The `kind` of its KV queue messages, and its name in logs and cron names. */
  readonly kind: string;
  /** Asks for a drain soon; kicks during a drain coalesce into one more. */
  kick(): void;
  /** Handles a KV queue message of its kind (a wake-up pointer). */
  handleMessage(msg: unknown): Promise<void>;
  /** Drains everything pending (the cron sweep, the job CLI, tests). */
  drainAll(): Promise<unknown>;
  /** Resolves when no drain is running. */
  idle(): Promise<void>;
  /** Stops accepting kicks and waits for the current drain. */
  stop(): Promise<void>;
}

/**
 * Base class: subclasses give their `kind` and `drainAll`; kicks, queue messages, idle and
 * stop come from one {@linkcode DrainLoop}.
 */
export abstract class Background implements BackgroundProcessor {
  abstract readonly kind: string;
  #loop: DrainLoop;

  constructor(logger: Logger, what: string) {
    this.#loop = new DrainLoop(
      () => this.drainAll(),
      (err) => logger.error(`${what} failed`, { error: String(err) }),
    );
  }

  abstract drainAll(): Promise<unknown>;

  kick(): void {
    this.#loop.kick();
  }

  async handleMessage(msg: unknown): Promise<void> {
    if ((msg as { kind?: unknown } | null)?.kind !== this.kind) return;
    this.kick();
    await this.idle();
  }

  idle(): Promise<void> {
    return this.#loop.idle();
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }
}
