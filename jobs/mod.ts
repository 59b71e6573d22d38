/** The application's cron jobs; `registerJobs` is the only place that calls Deno.cron. */
import { refreshFeedMeta } from "../src/rss/meta_refresh.ts";
import type { AppDeps } from "../src/services.ts";

export interface CronJob {
  readonly name: string;
  readonly schedule: string;
  readonly handler: () => Promise<void>;
}

/** Every cron job with its handler (tests call the handlers directly). */
export function cronJobs(deps: AppDeps): CronJob[] {
  return [{
    // The sweep is what makes projection correct everywhere (Deploy has no KV queues).
    name: "projector sweep",
    schedule: "* * * * *",
    handler: async () => {
      const { users, events } = await deps.projector.drainAll();
      if (events > 0) deps.logger.info("projector sweep", { users, events });
    },
  }, {
    // Plays the gateway made durable but no kick or queue message turned into events.
    name: "play gateway sweep",
    schedule: "* * * * *",
    handler: async () => {
      const { recorded, failed } = await deps.gateway.drainAll();
      if (recorded + failed > 0) deps.logger.info("play gateway sweep", { recorded, failed });
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
 * Jobs an operator can run once (`deno task job <name>`), each returning what it did.
 * The SPEC §7 lifecycle jobs (checkpoint, cleanup, popularity) are not built yet.
 */
export function oneOffJobs(deps: AppDeps): Record<string, () => Promise<unknown>> {
  return {
    project: () => deps.projector.drainAll(),
    gateway: () => deps.gateway.drainAll(),
    feedmeta: () => refreshFeedMeta(deps),
  };
}

/** The one KV queue handler: routes each pointer message to its processor. */
export async function handleQueueMessage(deps: AppDeps, msg: unknown): Promise<void> {
  const kind = (msg as { kind?: unknown } | null)?.kind;
  if (kind === "project") await deps.projector.handleMessage(msg);
  else if (kind === "gateway") await deps.gateway.handleMessage(msg);
  else deps.logger.warn("unknown queue message", { kind: String(kind) });
}

/** Registers every cron job; abort `signal` to stop them. */
export function registerJobs(deps: AppDeps, signal: AbortSignal): void {
  for (const job of cronJobs(deps)) {
    Deno.cron(job.name, job.schedule, { signal }, job.handler);
  }
}
