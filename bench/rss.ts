/**
 * RSS benchmark on loopback: proxy cache hits next to a bare `Deno.serve` answering the same
 * bytes (measured in the same run, so the ratio travels between machines), and a personal
 * feed of 50 subscriptions, cold (fixture origin with 20 ms latency) and warm.
 */
import { createApp } from "../routes/app.ts";
import { createUserToken } from "../src/auth/user_tokens.ts";
import { createUser } from "../src/auth/users.ts";
import { systemClock } from "../src/clock.ts";
import { loadConfig } from "../src/config.ts";
import { encodeFeedId } from "../src/domain/ids.ts";
import { silentLogger } from "../src/logger.ts";
import { createServices } from "../src/services.ts";
import { startFeedServer } from "../tests/_support/feed_server.ts";

/** What {@linkcode benchRss} measured. */
export interface RssBenchResult {
  /** Bare `Deno.serve` with a static body of the feed's size, requests/s. */
  bareReqPerSec: number;
  /** `GET /api/v1/rss/proxy/{feed}` served from the cache, requests/s. */
  proxyHitReqPerSec: number;
  /** proxy / bare. */
  ratio: number;
  proxyP50Ms: number;
  proxyP99Ms: number;
  /** Personal feed of `feeds` subscriptions, every feed fetched (origin latency 20 ms). */
  aggregateColdMs: number;
  /** Median of the same feed with every feed cached. */
  aggregateWarmMs: number;
  aggregateItems: number;
  feeds: number;
  errors: number;
}

/** Options of {@linkcode benchRss}. */
export interface RssBenchOptions {
  requests?: number;
  inFlight?: number;
  feeds?: number;
  originLatencyMs?: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

/** Runs `requests` GETs of `url`, `inFlight` at a time; rate, latencies and errors. */
async function load(url: string, requests: number, inFlight: number) {
  let next = 0;
  let errors = 0;
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < requests) {
      next++;
      const t0 = performance.now();
      const res = await fetch(url);
      await res.arrayBuffer();
      latencies.push(performance.now() - t0);
      if (res.status !== 200) errors++;
    }
  }));
  const perSec = requests / ((performance.now() - started) / 1000);
  latencies.sort((a, b) => a - b);
  return { perSec, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), errors };
}

async function timed(url: string): Promise<{ ms: number; text: string; status: number }> {
  const t0 = performance.now();
  const res = await fetch(url);
  const text = await res.text();
  return { ms: performance.now() - t0, text, status: res.status };
}

/** Runs the RSS benchmark; everything listens on 127.0.0.1 and stops before it returns. */
export async function benchRss(options: RssBenchOptions = {}): Promise<RssBenchResult> {
  const requests = options.requests ?? 5_000;
  const inFlight = options.inFlight ?? 32;
  const feedCount = options.feeds ?? 50;
  const origin = await startFeedServer();
  const kv = await Deno.openKv(":memory:");
  const config = loadConfig({
    KV_PATH: ":memory:",
    KV_QUEUES: "off",
    BASE_URL: "http://127.0.0.1",
    ALLOW_PRIVATE_FEEDS: "1",
    LOG_LEVEL: "silent",
    // One loopback client plays every reader: the per-IP limit would measure itself.
    RATE_LIMIT_ANON: "1000000",
  });
  const deps = createServices({
    kv,
    config,
    clock: systemClock,
    logger: silentLogger,
    passwordIterations: 1_000,
    feedOptions: { missBurst: 1_000_000, missPerMinute: 1_000_000 },
  });
  const app = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    createApp(deps).fetch,
  );
  const base = `http://127.0.0.1:${app.addr.port}`;
  const feedUrl = `${origin.origin}/fixtures/podcast_rss.xml`;
  const body = await (await fetch(feedUrl)).arrayBuffer();
  const bare = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(body, { headers: { "content-type": "application/xml" } }),
  );
  try {
    const proxyUrl = `${base}/api/v1/rss/proxy/${encodeFeedId(feedUrl)}`;
    await (await fetch(proxyUrl)).arrayBuffer(); // warm the cache
    await load(`http://127.0.0.1:${bare.addr.port}/`, Math.min(500, requests), inFlight); // warm-up
    const b = await load(`http://127.0.0.1:${bare.addr.port}/`, requests, inFlight);
    const p = await load(proxyUrl, requests, inFlight);

    const user = await createUser(deps, { username: "rssbench", password: "bench password" });
    const { token } = await createUserToken(deps, user.id, "bench");
    for (let i = 0; i < feedCount; i++) {
      const feed = encodeFeedId(`${origin.origin}/fixtures/podcast_rss.xml?n=${i}`);
      await deps.registry.execute(user.id, { type: "Subscribe", data: { feed } });
    }
    origin.latencyMs = options.originLatencyMs ?? 20;
    const personalUrl = `${base}/rss/${token}/subscriptions`;
    const cold = await timed(personalUrl);
    const warm: number[] = [];
    for (let i = 0; i < 20; i++) warm.push((await timed(personalUrl)).ms);
    warm.sort((a, b) => a - b);
    return {
      bareReqPerSec: b.perSec,
      proxyHitReqPerSec: p.perSec,
      ratio: p.perSec / b.perSec,
      proxyP50Ms: p.p50,
      proxyP99Ms: p.p99,
      aggregateColdMs: cold.ms,
      aggregateWarmMs: percentile(warm, 0.5),
      aggregateItems: (cold.text.match(/<item>/g) ?? []).length,
      feeds: feedCount,
      errors: b.errors + p.errors + (cold.status === 200 ? 0 : 1) +
        (cold.text.includes("<!-- skipped") ? 1 : 0),
    };
  } finally {
    await bare.shutdown();
    await app.shutdown();
    await origin.close();
    await deps.feeds.settled();
    await deps.gateway.stop();
    await deps.registry.drain();
    await deps.projector.stop();
    kv.close();
  }
}

/** Prints a result the way bench/mod.ts prints the others; true when below target. */
export function reportRss(r: RssBenchResult): boolean {
  console.log(`  bare Deno.serve, same bytes         : ${r.bareReqPerSec.toFixed(0)} req/s`);
  console.log(
    `  proxy cache hit                     : ${r.proxyHitReqPerSec.toFixed(0)} req/s ` +
      `(${r.ratio.toFixed(2)}× bare), p50 ${r.proxyP50Ms.toFixed(1)} ms, p99 ${
        r.proxyP99Ms.toFixed(1)
      } ms`,
  );
  console.log(
    `  personal feed, ${r.feeds} feeds, cold      : ${r.aggregateColdMs.toFixed(0)} ms ` +
      `(${r.aggregateItems} items)`,
  );
  console.log(`  personal feed, ${r.feeds} feeds, warm      : ${r.aggregateWarmMs.toFixed(1)} ms`);
  console.log(`  errors                              : ${r.errors}`);
  return r.errors > 0;
}
