/**
 * The application's cron and queue glue; `registerJobs` is the only place that calls
 * Deno.cron. The work itself lives in `src/` (background processors, the roll, the refresh).
 */
import type { BackgroundProcessor } from "../src/background.ts";
import { rollPopularity } from "../src/projections/popularity_roll.ts";
import { type RetentionResult, runCheckpoints, runCleanup } from "../src/lifecycle/retention.ts";
import { refreshFeedMeta } from "../src/rss/meta_refresh.ts";
import type { AppDeps } from "../src/services.ts";

export interface CronJob {
  /** Deno.cron names are at most 64 characters. */
  readonly name: string;
  readonly schedule: string;
  readonly handler: () => Promise<void>;
}

/** The background processors: each gets a queue kind and a 1-minute sweep. */
function processors(deps: AppDeps): BackgroundProcessor[] {
  return [deps.projector, deps.gateway, deps.eraser];
}

/** Runs the popularity roll once and records it in the metrics. */
export async function runPopularityRoll(deps: AppDeps, now?: number) {
  const r = await rollPopularity(deps, { now });
  deps.metrics.inc("balados_popularity_rolls_total", "Popularity rolls run by this process.");
  deps.metrics.inc(
    "balados_popularity_roll_seconds_total",
    "Time spent rolling popularity, in seconds.",
    {},
    r.duration_ms / 1000,
  );
  deps.metrics.inc(
    "balados_popularity_roll_records_total",
    "Popularity records recomputed by rolls.",
    {},
    r.entities,
  );
  return r;
}

/** Runs a retention job once and records it in the metrics. */
async function retention(
  deps: AppDeps,
  job: "checkpoint" | "cleanup",
): Promise<RetentionResult> {
  const r = job === "checkpoint" ? await runCheckpoints(deps) : await runCleanup(deps);
  const labels = { job };
  deps.metrics.inc("balados_lifecycle_runs_total", "Lifecycle job runs.", labels);
  deps.metrics.inc(
    "balados_lifecycle_users_total",
    "Users a lifecycle job handled.",
    labels,
    r.users,
  );
  deps.metrics.inc(
    "balados_lifecycle_events_deleted_total",
    "Events the cleanup deleted (older than 45 days and checkpointed).",
    labels,
    r.events_deleted,
  );
  deps.metrics.inc(
    "balados_lifecycle_seconds_total",
    "Time lifecycle jobs took, in seconds.",
    labels,
    r.duration_ms / 1000,
  );
  return r;
}

/** Every cron job with its handler (tests call the handlers directly). */
export function cronJobs(deps: AppDeps): CronJob[] {
  const sweeps = processors(deps).map((p): CronJob => ({
    // The sweep is what makes background work correct everywhere (Deploy has no KV queues).
    name: `${p.kind} sweep`,
    schedule: "* * * * *",
    handler: async () => {
      const r = await p.drainAll();
      deps.logger.debug(`${p.kind} sweep`, { ...(r as Record<string, unknown>) });
    },
  }));
  return [...sweeps, {
    // One job, so the cleanup never overlaps the checkpoints it follows.
    name: "checkpoint and cleanup",
    schedule: "*/5 * * * *",
    handler: async () => {
      const c = await retention(deps, "checkpoint");
      const d = await retention(deps, "cleanup");
      if (c.users + d.users > 0) {
        deps.logger.info("checkpoint and cleanup", { checkpoint: c, cleanup: d });
      }
    },
  }, {
    name: "popularity roll",
    schedule: "*/5 * * * *",
    handler: async () => {
      const r = await runPopularityRoll(deps);
      if (r.entities + r.conflicts > 0) deps.logger.info("popularity roll", { ...r });
    },
  }, {
    name: "feed metadata refresh",
    schedule: "*/15 * * * *",
    handler: async () => {
      const r = await refreshFeedMeta(deps);
      if (r.refreshed + r.failed + r.dropped > 0) {
        deps.logger.info("feed metadata refresh", { ...r });
      }
    },
  }];
}

/**
 * Jobs an operator can run once (`deno task job <name> [--now <RFC 3339>]`), each
 * returning what it did; `--now` sets the clock the job sees.
 */
export function oneOffJobs(deps: AppDeps): Record<string, () => Promise<unknown>> {
  return {
    project: () => deps.projector.drainAll(),
    gateway: () => deps.gateway.drainAll(),
    feedmeta: () => refreshFeedMeta(deps),
    checkpoint: () => retention(deps, "checkpoint"),
    // Projects what is pending first: the cleanup keeps events no projection has passed.
    cleanup: async () => {
      await deps.projector.drainAll();
      return await retention(deps, "cleanup");
    },
    erase: () => deps.eraser.drainAll(),
    // Projects what is pending first, so the roll sees every appended event.
    popularity: async () => {
      await deps.projector.drainAll();
      return await runPopularityRoll(deps);
    },
  };
}

/** The one KV queue handler: routes each pointer message to the processor of its kind. */
export async function handleQueueMessage(deps: AppDeps, msg: unknown): Promise<void> {
  const kind = (msg as { kind?: unknown } | null)?.kind;
  const target = processors(deps).find((p) => p.kind === kind);
  if (target) await target.handleMessage(msg);
  else deps.logger.warn("unknown queue message", { kind: String(kind) });
}

/** Registers every cron job; abort `signal` to stop them. */
export function registerJobs(deps: AppDeps, signal: AbortSignal): void {
  for (const job of cronJobs(deps)) {
    Deno.cron(job.name, job.schedule, { signal }, job.handler);
  }
}
