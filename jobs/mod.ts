/** The application's cron jobs; `registerJobs` is the only place that calls Deno.cron. */
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
  }];
}

/** Registers every cron job; abort `signal` to stop them. */
export function registerJobs(deps: AppDeps, signal: AbortSignal): void {
  for (const job of cronJobs(deps)) {
    Deno.cron(job.name, job.schedule, { signal }, job.handler);
  }
}
