/** Operations endpoints: `GET /health` and `GET /metrics` (SPEC §8). */
import { Hono } from "hono";
import type { Context } from "hono";
import { sameSecret } from "../src/auth/random.ts";
import { clientIp } from "./client_ip.ts";
import { HttpError } from "./errors.ts";
import { signedCount } from "../src/projections/public_activity.ts";
import { feedCacheGauges } from "../src/rss/feed_service.ts";
import type { AppDeps } from "../src/services.ts";
import * as keys from "../src/store/keys.ts";
import type { AppEnv } from "./context.ts";

async function stat(kv: Deno.Kv, ...parts: string[]): Promise<number> {
  const e = await kv.get<Deno.KvU64>(keys.statKey(...parts));
  return e.value ? Number(e.value.value) : 0;
}

/** Loopback clients (after trusted proxies), or anyone with the METRICS_TOKEN. */
function metricsAllowed(c: Context<AppEnv>, deps: AppDeps): boolean {
  const token = deps.config.metricsToken;
  const given = /^Bearer\s+(\S+)$/i.exec(c.req.header("Authorization") ?? "")?.[1];
  if (token !== "" && given !== undefined) return sameSecret(given, token);
  const ip = clientIp(c, deps.config.trustedProxies);
  return ip === "127.0.0.1" || ip === "::1" || ip.startsWith("127.") || ip === "::ffff:127.0.0.1";
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
    if (!metricsAllowed(c, deps)) {
      throw new HttpError(
        403,
        "forbidden",
        "Metrics are for the operator: send the METRICS_TOKEN.",
        {
          headers: { "WWW-Authenticate": 'Bearer realm="metrics"' },
        },
      );
    }
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
      {
        name: "balados_resident_actor_bytes",
        help: "Estimated bytes of the states resident actors cache (MAX_ACTOR_MEMORY_MB).",
        value: deps.registry.residentBytes,
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
    // No count by event type: a private listener's single subscribe or play would show.
    const text = deps.metrics.render(gauges) + lag.join("\n") + "\n";
    return c.body(text, 200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
  });

  return app;
}
