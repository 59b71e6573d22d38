/** Operations endpoints: `GET /health` and `GET /metrics` (SPEC §8). */
import { Hono } from "hono";
import { EVENT_TYPES } from "../src/domain/events.ts";
import { signedCount } from "../src/projections/public_activity.ts";
import { feedCacheGauges } from "../src/rss/feed_service.ts";
import type { AppDeps } from "../src/services.ts";
import * as keys from "../src/store/keys.ts";
import type { AppEnv } from "./context.ts";

async function stat(kv: Deno.Kv, ...parts: string[]): Promise<number> {
  const e = await kv.get<Deno.KvU64>(keys.statKey(...parts));
  return e.value ? Number(e.value.value) : 0;
}

/** `/health` and `/metrics`. */
export function opsRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/health", async (c) => {
    try {
      await deps.kv.get(keys.statKey("appended"));
      return c.json({ status: "ok", kv: "ok" });
    } catch {
      return c.json({ status: "degraded", kv: "error" }, 503);
    }
  });

  app.get("/metrics", async (c) => {
    const { kv } = deps;
    const appended = await stat(kv, "appended");
    const progress = await deps.projector.progress();
    const slowest = Math.min(appended, ...progress.values());
    const entries = await kv.get<Deno.KvU64>(keys.statKey("timeline_entries"));
    const gauges = [
      {
        name: "balados_events_appended_total",
        help: "Events appended to user streams (counted by the append commit).",
        value: appended,
        type: "counter",
      },
      {
        name: "balados_outbox_backlog_events",
        help: "Appended events the slowest global projection has not passed yet (queue lag).",
        value: Math.max(0, appended - slowest),
      },
      {
        name: "balados_timeline_entries",
        help: "Entries in the public timeline.",
        value: signedCount(entries.value),
      },
      {
        name: "balados_append_commits_total",
        help: "Atomic KV commits made by the append path of this process.",
        value: deps.committer.stats.commits,
        type: "counter",
      },
      {
        name: "balados_append_commit_batches_total",
        help: "Append batches (one decision each) those commits carried.",
        value: deps.committer.stats.ops,
        type: "counter",
      },
      {
        name: "balados_resident_actors",
        help: "User actors resident in this process.",
        value: deps.registry.size,
      },
      ...feedCacheGauges(deps.feeds),
      {
        name: "balados_gateway_plays_recorded_total",
        help: "Play-gateway hits this process turned into events.",
        value: deps.gateway.processed,
        type: "counter",
      },
    ];
    const lag: string[] = [
      "# HELP balados_projection_lag_events Appended events a projection has not passed yet.",
      "# TYPE balados_projection_lag_events gauge",
    ];
    for (const [name, n] of progress) {
      lag.push(`balados_projection_lag_events{projection="${name}"} ${Math.max(0, appended - n)}`);
    }
    const byType: string[] = [
      "# HELP balados_events_projected_total Events projected, by type.",
      "# TYPE balados_events_projected_total counter",
    ];
    for (const type of EVENT_TYPES) {
      byType.push(
        `balados_events_projected_total{type="${type}"} ${await stat(kv, "projected", type)}`,
      );
    }
    const text = deps.metrics.render(gauges) + [...lag, ...byType].join("\n") + "\n";
    return c.body(text, 200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
  });

  return app;
}
