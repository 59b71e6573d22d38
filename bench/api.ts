/**
 * API benchmark over real HTTP on loopback with signed request JWTs: one big sync
 * (first time, then the same body again) and single position updates from many users,
 * next to the raw KV commit rate measured in the same run.
 */
import { createApp } from "../routes/app.ts";
import { authorizeApp } from "../src/auth/app_tokens.ts";
import { verifyAuthorizationJwt } from "../src/auth/jwt.ts";
import { createUser } from "../src/auth/users.ts";
import { systemClock } from "../src/clock.ts";
import { loadConfig } from "../src/config.ts";
import { encodeFeedId, encodeItemId } from "../src/domain/ids.ts";
import { silentLogger } from "../src/logger.ts";
import { createServices } from "../src/services.ts";
import { authorizationJwt, generateAppKeys, requestJwt } from "../tests/_support/jwt.ts";

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function rawCommitRate(dir: string, commits: number, inFlight: number): Promise<number> {
  const kv = await Deno.openKv(`${dir}/raw.kv`);
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < commits) {
      const i = next++;
      await kv.atomic().set(["raw", i], { position: i, at: new Date().toISOString() }).commit();
    }
  }));
  const rate = commits / ((performance.now() - started) / 1000);
  kv.close();
  return rate;
}

export interface ApiBenchResult {
  rawCommitsPerSec: number;
  syncFirstMs: number;
  syncFirstEvents: number;
  syncAgainMs: number;
  syncAgainEvents: number;
  positionReqPerSec: number;
  positionP50Ms: number;
  positionP99Ms: number;
  errors: number;
}

/** Runs the API benchmark with `users` users making `updates` position updates each. */
export async function benchApi(users = 1000, updates = 5, inFlight = 64): Promise<ApiBenchResult> {
  const dir = await Deno.makeTempDir({ prefix: "balados-api-bench-" });
  const kv = await Deno.openKv(`${dir}/api.kv`);
  const config = loadConfig({ KV_PATH: "bench", KV_QUEUES: "off", BASE_URL: "http://127.0.0.1" });
  const deps = createServices({
    kv,
    config,
    clock: systemClock,
    logger: silentLogger,
    passwordIterations: 1_000,
  });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    createApp(deps).fetch,
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    const keys = await generateAppKeys("ES256");
    const appId = "bench-app";
    const grant = await verifyAuthorizationJwt(
      await authorizationJwt(keys, { appId, nowMs: Date.now(), scopes: ["user.sync"] }),
      { now: Date.now() },
    );
    const tokens: string[] = [];
    for (let u = 0; u < users; u++) {
      const user = await createUser(deps, { username: `bench${u}`, password: "bench password" });
      await authorizeApp(deps, user.id, grant);
      tokens.push(await requestJwt(keys, { appId, sub: user.id, nowMs: Date.now(), ttlS: 3600 }));
    }
    const call = (token: string, method: string, path: string, body: unknown) =>
      fetch(base + path, {
        method,
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });

    // One big sync: 1,000 subscriptions + 5,000 play statuses.
    const now = new Date().toISOString();
    const syncBody = {
      subscriptions: Array.from({ length: 1000 }, (_, i) => ({
        rss_source_feed: encodeFeedId(`https://bench.example.org/feeds/${i}.xml`),
        subscribed_at: now,
      })),
      play_statuses: Array.from({ length: 5000 }, (_, i) => ({
        rss_source_feed: encodeFeedId(`https://bench.example.org/feeds/${i % 1000}.xml`),
        rss_source_item: encodeItemId(`ep-${i}`, `https://bench.example.org/ep${i}.mp3`),
        position: i,
        played: i % 3 === 0,
        updated_at: now,
      })),
    };
    const timedSync = async () => {
      const t0 = performance.now();
      const res = await call(tokens[0], "POST", "/api/v1/sync", syncBody);
      const json = await res.json();
      if (res.status !== 200) throw new Error(`sync: ${res.status} ${JSON.stringify(json)}`);
      return { ms: performance.now() - t0, events: json.events_appended as number };
    };
    const first = await timedSync();
    const again = await timedSync();

    // Position updates: each user creates a play status, then updates its position.
    const item = encodeItemId("bench-ep", "https://bench.example.org/ep.mp3");
    const feed = encodeFeedId("https://bench.example.org/feeds/0.xml");
    for (let u = 0; u < users; u += inFlight) {
      await Promise.all(
        tokens.slice(u, u + inFlight).map(async (t) => {
          const r = await call(t, "POST", "/api/v1/play", {
            rss_source_feed: feed,
            rss_source_item: item,
            position: 0,
          });
          await r.body?.cancel();
        }),
      );
    }
    const jobs: { token: string; position: number }[] = [];
    for (let k = 1; k <= updates; k++) {
      for (const token of tokens) jobs.push({ token, position: k * 10 });
    }
    const latencies: number[] = [];
    let errors = 0, next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: inFlight }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++];
        const t0 = performance.now();
        const r = await call(job.token, "PUT", `/api/v1/play/${item}/position`, {
          position: job.position,
        });
        await r.body?.cancel();
        latencies.push(performance.now() - t0);
        if (r.status !== 200) errors++;
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    await deps.registry.drain();
    await deps.projector.stop();
    return {
      rawCommitsPerSec: await rawCommitRate(dir, 5000, inFlight),
      syncFirstMs: first.ms,
      syncFirstEvents: first.events,
      syncAgainMs: again.ms,
      syncAgainEvents: again.events,
      positionReqPerSec: jobs.length / seconds,
      positionP50Ms: percentile(latencies, 0.5),
      positionP99Ms: percentile(latencies, 0.99),
      errors,
    };
  } finally {
    await server.shutdown();
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
}
