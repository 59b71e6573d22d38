/**
 * Turns pending gateway plays (`["gw_play", id]`) into `played` events through each user's
 * actor, deleting a record only once its event is appended (or found to be a no-op), so a
 * play is never lost. Woken by an in-process kick after the gateway's commit, by KV queue
 * pointers where queues exist, and by a one-minute cron sweep (the only wake-up that works
 * everywhere). Two drains seeing the same record are harmless: the second `RecordListen`
 * carries the same time and decides nothing.
 */
import { Background } from "../background.ts";
import { isoAt } from "../clock.ts";
import type { Logger } from "../logger.ts";
import * as keys from "../store/keys.ts";
import { isTransientKvError } from "../store/resilient_kv.ts";
import type { UserCommands } from "../user_commands.ts";
import type { GatewayPlay } from "./gateway.ts";

/** What the processor needs. */
export interface GatewayProcessorDeps {
  readonly kv: Deno.Kv;
  readonly registry: UserCommands;
  readonly logger: Logger;
}

/** Options of {@linkcode GatewayProcessor}. */
export interface GatewayProcessorOptions {
  /** Drain after each gateway commit (default true; tests drive it by hand). */
  autoKick?: boolean;
  /** Records handled at once (default 20). */
  parallel?: number;
  /** Failed attempts after which a record is dropped and logged (default 5). */
  maxAttempts?: number;
}

/** Errors that say "try later", not "this record is bad". */
const TRANSIENT = new Set(["Overloaded", "ShuttingDown", "ConcurrencyError"]);

/** Drains pending gateway plays into the event log. */
export class GatewayProcessor extends Background {
  readonly kind = "gateway";
  readonly #deps: GatewayProcessorDeps;
  readonly #autoKick: boolean;
  readonly #parallel: number;
  readonly #maxAttempts: number;
  #processed = 0;

  constructor(deps: GatewayProcessorDeps, options: GatewayProcessorOptions = {}) {
    super(deps.logger, "gateway drain");
    this.#deps = deps;
    this.#autoKick = options.autoKick ?? true;
    this.#parallel = options.parallel ?? 20;
    this.#maxAttempts = options.maxAttempts ?? 5;
  }

  /** Plays recorded by this process so far (for `/metrics`). */
  get processed(): number {
    return this.#processed;
  }

  /** Called by the gateway after its commit: drains soon, unless auto-kick is off. */
  notify(): void {
    if (this.#autoKick) this.kick();
  }

  /**
   * Processes every pending record once (the cron sweep, tests). Records that fail stay
   * for the next drain, up to the attempt limit.
   */
  async drainAll(): Promise<{ recorded: number; failed: number }> {
    const total = { recorded: 0, failed: 0 };
    const prefix = keys.gatewayPlayPrefix();
    let batch: Deno.KvEntry<GatewayPlay>[] = [];
    const flush = async () => {
      const results = await Promise.all(batch.map((e) => this.#process(e)));
      for (const ok of results) ok ? total.recorded++ : total.failed++;
      batch = [];
    };
    for await (const e of this.#deps.kv.list<GatewayPlay>({ prefix }, { batchSize: 100 })) {
      batch.push(e);
      if (batch.length >= this.#parallel) await flush();
    }
    await flush();
    return total;
  }

  async #process(entry: Deno.KvEntry<GatewayPlay>): Promise<boolean> {
    const { kv, registry, logger } = this.#deps;
    const play = entry.value;
    try {
      // A play pending when its account was deleted must not bring the account's data back.
      if (!(await kv.get(keys.userKey(play.user_id))).value) {
        await kv.atomic().check(entry).delete(entry.key).commit();
        return false;
      }
      await registry.execute(play.user_id, {
        type: "RecordListen",
        data: { feed: play.feed, item: play.item, at: isoAt(play.at) },
      });
      await kv.atomic().check(entry).delete(entry.key).commit();
      this.#processed++;
      return true;
    } catch (err) {
      const name = (err as Error)?.name ?? "";
      // Busy actors and a busy database are "later", never a reason to drop the play.
      if (TRANSIENT.has(name) || isTransientKvError(err)) return false;
      const attempts = (play.attempts ?? 0) + 1;
      const op = kv.atomic().check(entry);
      if (attempts >= this.#maxAttempts) {
        logger.error("gateway play dropped", { id: play.id, error: `${name}` });
        op.delete(entry.key);
      } else {
        op.set(entry.key, { ...play, attempts });
      }
      await op.commit();
      return false;
    }
  }
}
