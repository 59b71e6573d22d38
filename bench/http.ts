/**
 * HTTP write-path benchmark with an out-of-process client (issue 13, item 3). `wrk` (or, when
 * it is not installed, this file run as a separate Deno process) loads `main.ts`, itself a
 * subprocess on a loopback port with a temporary KV file, through 64 connections: a bare
 * `Deno.serve` (another subprocess), `GET /health`, `GET /api/v1/me` and
 * `PUT /api/v1/play/{item}/position` for 1,000 users, rotating a pool of pre-signed request
 * JWTs; then `/health` and the PUT again with the connection guard off. Next to raw KV
 * commits with 64 in flight from a separate process on the same kind of file. The server's
 * main thread and SQLite writer thread are timed per phase from /proc, so each request's
 * cost on either thread is printed without a profiler.
 *
 * Run as a program, it is one of the helper processes:
 *   deno run -A bench/http.ts raw-kv <kv path> <seconds> <in flight>
 *   deno run -A bench/http.ts bare <port>
 *   deno run -A bench/http.ts load <spec.json>        (the client when wrk is absent)
 */
import { authorizeApp } from "../src/auth/app_tokens.ts";
import { verifyAuthorizationJwt } from "../src/auth/jwt.ts";
import { createUser } from "../src/auth/users.ts";
import { systemClock } from "../src/clock.ts";
import { loadConfig } from "../src/config.ts";
import { encodeFeedId, encodeItemId } from "../src/domain/ids.ts";
import { silentLogger } from "../src/logger.ts";
import { createServices } from "../src/services.ts";
import { authorizationJwt, generateAppKeys, requestJwt } from "../tests/_support/jwt.ts";
import { freePort, waitForHealth } from "../tests/_support/process.ts";
import { spawnMain } from "./_main_process.ts";

/** What to run. */
export interface HttpBenchOptions {
  readonly users?: number;
  readonly connections?: number;
  /** Seconds each measured phase lasts (after a short warm-up). */
  readonly seconds?: number;
  /** Write a V8 CPU profile of the server (guard on) into this directory. */
  readonly profileDir?: string;
  /** Use the Deno client even when wrk is installed. */
  readonly forceDenoClient?: boolean;
}

/** One load phase as the client saw it, with the server threads' CPU over it. */
export interface HttpPhase {
  readonly name: string;
  readonly requests: number;
  readonly seconds: number;
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Connection errors, timeouts and answers other than 2xx. */
  readonly errors: number;
  /** 2xx answers, the warm-up's included. */
  readonly answered: number;
  /** Server main-thread CPU per request (µs); absent for the bare server. */
  readonly mainUsPerReq?: number;
  /** Server SQLite-writer CPU per request (µs). */
  readonly sqliteUsPerReq?: number;
  /** Share of the phase's wall time each thread was busy. */
  readonly mainBusy?: number;
  readonly sqliteBusy?: number;
}

export interface HttpBenchResult {
  readonly client: string;
  readonly users: number;
  readonly connections: number;
  readonly kvDir: string;
  readonly rawKvPerSec: number;
  /** The raw process's main and SQLite-writer CPU per commit (µs). */
  readonly rawMainUs: number;
  readonly rawSqliteUs: number;
  readonly bare: HttpPhase;
  readonly health: HttpPhase;
  readonly me: HttpPhase;
  readonly put: HttpPhase;
  readonly healthNoGuard: HttpPhase;
  readonly putNoGuard: HttpPhase;
  /** Events appended by the server against PUTs answered 200 (lost writes when short). */
  readonly appendedShort: number;
  /** Decisions per atomic commit during the PUTs (group commit at work). */
  readonly decisionsPerCommit: number;
  readonly profile?: string;
  readonly serverLog: string;
}

const ITEM = encodeItemId("bench-ep", "https://bench.example.org/ep.mp3");
const FEED = encodeFeedId("https://bench.example.org/feeds/0.xml");
const PUT_PATH = `/api/v1/play/${ITEM}/position`;
const SELF = new URL(import.meta.url).pathname;

function hasWrk(): boolean {
  try {
    new Deno.Command("wrk", { args: ["--version"], stdout: "null", stderr: "null" }).outputSync();
    return true;
  } catch {
    return false;
  }
}

/**
 * CPU seconds of the process's main thread and its SQLite writer thread (`sw-*`), from
 * /proc (read by `cat`: the bench task may run programs but not read /proc itself).
 */
async function threadCpu(pid: number): Promise<{ main: number; sqlite: number }> {
  const out = { main: 0, sqlite: 0 };
  const r = await new Deno.Command("sh", {
    args: ["-c", `cat /proc/${pid}/task/*/stat 2>/dev/null`],
    stdout: "piped",
  }).output();
  for (const stat of new TextDecoder().decode(r.stdout).split("\n")) {
    const m = /^(\d+) \((.*)\) (.*)$/.exec(stat);
    if (!m) continue;
    const f = m[3].split(" ");
    const s = (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks
    if (Number(m[1]) === pid) out.main += s;
    else if (m[2].startsWith("sw-")) out.sqlite += s;
  }
  return out;
}

/** Raw KV commits, `inFlight` at once, for `seconds`, in a separate process. */
async function rawKvRate(
  path: string,
  seconds: number,
  inFlight: number,
): Promise<{ perSec: number; mainUs: number; sqliteUs: number }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SELF, "raw-kv", path, String(seconds), String(inFlight)],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("raw KV process failed");
  const r = JSON.parse(new TextDecoder().decode(out.stdout));
  return { perSec: r.commits / r.s, mainUs: r.mainUs, sqliteUs: r.sqliteUs };
}

/** Creates the users, their app approval and a play status each; returns request JWTs. */
async function seed(path: string, users: number, baseUrl: string): Promise<string[]> {
  const kv = await Deno.openKv(path);
  const config = loadConfig({ KV_PATH: path, KV_QUEUES: "off", BASE_URL: baseUrl });
  const deps = createServices({
    kv,
    config,
    clock: systemClock,
    logger: silentLogger,
    passwordIterations: 1_000,
  });
  try {
    const keys = await generateAppKeys("ES256");
    const appId = "bench-app";
    const grant = await verifyAuthorizationJwt(
      await authorizationJwt(keys, { appId, nowMs: Date.now(), scopes: ["user.sync"] }),
      { now: Date.now() },
    );
    const tokens: string[] = [];
    for (let u = 0; u < users; u += 16) {
      await Promise.all(Array.from({ length: Math.min(16, users - u) }, async (_, k) => {
        const user = await createUser(deps, {
          username: `bench${u + k}`,
          password: "bench password",
        });
        await authorizeApp(deps, user.id, grant);
        await deps.registry.execute(user.id, {
          type: "RecordPlay",
          data: { feed: FEED, item: ITEM, position: 0 },
        });
        tokens[u + k] = await requestJwt(keys, {
          appId,
          sub: user.id,
          nowMs: Date.now(),
          ttlS: 3600,
        });
      }));
    }
    await deps.registry.drain();
    await deps.projector.drainAll();
    return tokens;
  } finally {
    await deps.projector.stop();
    await deps.gateway.stop();
    await deps.eraser.stop();
    kv.close();
  }
}

/** What the client sends in one phase. */
interface LoadSpec {
  url: string;
  method: "GET" | "PUT";
  path: string;
  /** Bearer tokens rotated request by request (none: no Authorization header). */
  tokens: string[];
  connections: number;
  seconds: number;
  /** The Deno client's first position (each run its own range, as in the wrk script). */
  positionBase?: number;
}

interface LoadResult {
  requests: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

/** Each script run starts its positions here, so no PUT repeats an earlier one (a no-op). */
let positionBase = 0;

/**
 * A wrk Lua script rotating the tokens; `done` prints one JSON line. Each thread walks the
 * tokens from its own offset and sends positions from its own range: a position never
 * repeats, so every PUT appends an event.
 */
function wrkScript(spec: LoadSpec): string {
  const tokens = spec.tokens.map((t) => JSON.stringify(t)).join(",\n");
  positionBase += 100_000_000;
  return `
local tokens = {${tokens}}
local method = "${spec.method}"
local path = "${spec.path}"
local base = ${positionBase}
local threads = 0
local counter = 0
setup = function(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
init = function(args)
  counter = 0
end
request = function()
  counter = counter + 1
  local headers = {}
  if #tokens > 0 then
    headers["Authorization"] = "Bearer " .. tokens[((tid * 104729 + counter) % #tokens) + 1]
  end
  if method == "PUT" then
    headers["Content-Type"] = "application/json"
    local position = string.format("%d", base + tid * 10000000 + counter)
    return wrk.format("PUT", path, headers, '{"position":' .. position .. '}')
  end
  return wrk.format("GET", path, headers)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"us":%d,"p50":%d,"p99":%d,"errors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
`;
}

async function runWrk(dir: string, spec: LoadSpec): Promise<LoadResult> {
  const script = `${dir}/load.lua`;
  await Deno.writeTextFile(script, wrkScript(spec));
  const out = await new Deno.Command("wrk", {
    args: [
      "-t2",
      `-c${spec.connections}`,
      `-d${spec.seconds}s`,
      "--timeout",
      "10s",
      "-s",
      script,
      spec.url,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const line = text.split("\n").find((l) => l.startsWith("BENCH_JSON "));
  if (!out.success || !line) {
    throw new Error(`wrk failed: ${text}${new TextDecoder().decode(out.stderr)}`);
  }
  const r = JSON.parse(line.slice("BENCH_JSON ".length));
  return {
    requests: r.requests,
    seconds: r.us / 1e6,
    p50Ms: r.p50 / 1000,
    p99Ms: r.p99 / 1000,
    errors: r.errors,
  };
}

async function runDenoClient(dir: string, spec: LoadSpec): Promise<LoadResult> {
  const file = `${dir}/load.json`;
  positionBase += 100_000_000;
  await Deno.writeTextFile(file, JSON.stringify({ ...spec, positionBase }));
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SELF, "load", file],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("the Deno load client failed");
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

type Client = (dir: string, spec: LoadSpec) => Promise<LoadResult>;

/** Warms up, then measures one phase, timing the server's threads when `pid` is given. */
async function phase(
  client: Client,
  dir: string,
  name: string,
  spec: LoadSpec,
  pid?: number,
): Promise<HttpPhase> {
  const warm = await client(dir, { ...spec, seconds: Math.min(2, spec.seconds) });
  const before = pid ? await threadCpu(pid) : undefined;
  const r = await client(dir, spec);
  const after = pid ? await threadCpu(pid) : undefined;
  const out: HttpPhase = {
    name,
    requests: r.requests,
    seconds: r.seconds,
    reqPerSec: r.requests / r.seconds,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    errors: r.errors,
    answered: warm.requests - warm.errors + r.requests - r.errors,
  };
  if (!before || !after) return out;
  const main = after.main - before.main, sqlite = after.sqlite - before.sqlite;
  return {
    ...out,
    mainUsPerReq: (main * 1e6) / r.requests,
    sqliteUsPerReq: (sqlite * 1e6) / r.requests,
    mainBusy: main / r.seconds,
    sqliteBusy: sqlite / r.seconds,
  };
}

interface Server {
  child: Deno.ChildProcess;
  base: string;
  logs: Promise<string[]>;
  stop(signal?: Deno.Signal): Promise<void>;
}

async function startMain(
  dir: string,
  kvPath: string,
  env: Record<string, string>,
  flags: string[] = [],
): Promise<Server> {
  const { child, base, logs } = spawnMain({
    cwd: dir,
    kvPath,
    env: { RATE_LIMIT_USER: "1000000", RATE_LIMIT_ANON: "1000000", ...env },
    flags,
  });
  let stopped = false;
  const stop = async (signal: Deno.Signal = "SIGKILL") => {
    if (stopped) return;
    stopped = true;
    try {
      child.kill(signal);
    } catch {
      // it ended already
    }
    await child.status;
  };
  try {
    await (await waitForHealth(`${base}/health`, 60_000)).body?.cancel();
  } catch (err) {
    await stop();
    throw new Error(`main.ts did not start: ${(await logs).join("").trim()}`, { cause: err });
  }
  return { child, base, logs, stop };
}

/**
 * One `GET /api/v1/me` per token, 64 at a time: a fresh server verifies each signature
 * once (then remembers it), which belongs to no measured phase.
 */
async function warmTokens(base: string, tokens: string[]): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: 64 }, async () => {
    while (next < tokens.length) {
      const res = await fetch(`${base}/api/v1/me`, {
        headers: { Authorization: `Bearer ${tokens[next++]}` },
      });
      await res.body?.cancel();
    }
  }));
}

/** The server's append counters: events appended, commits, and decisions they carried. */
async function appendStats(base: string) {
  const text = await (await fetch(`${base}/metrics`)).text();
  const value = (name: string) =>
    Number(text.split("\n").find((l) => l.startsWith(`${name} `))?.split(" ")[1] ?? NaN);
  return {
    events: value("balados_events_appended_total"),
    commits: value("balados_append_commits_total"),
    decisions: value("balados_append_commit_batches_total"),
  };
}

/** Runs the whole HTTP benchmark. */
export async function benchHttp(options: HttpBenchOptions = {}): Promise<HttpBenchResult> {
  const users = options.users ?? 1000;
  const connections = options.connections ?? 64;
  const seconds = options.seconds ?? 8;
  const wrk = !options.forceDenoClient && hasWrk();
  const client: Client = wrk ? runWrk : runDenoClient;
  const dir = await Deno.makeTempDir({ prefix: "balados-http-bench-" });
  const kvPath = `${dir}/http.kv`;
  const servers: Server[] = [];
  try {
    const raw = await rawKvRate(`${dir}/raw.kv`, 5, connections);
    const spec = (url: string, method: "GET" | "PUT", path: string, tokens: string[]) => ({
      url,
      method,
      path,
      tokens,
      connections,
      seconds,
    });

    const barePort = freePort();
    const bareChild = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", SELF, "bare", String(barePort)],
      stdout: "null",
      stderr: "inherit",
    }).spawn();
    let bare: HttpPhase;
    try {
      const url = `http://127.0.0.1:${barePort}`;
      await (await waitForHealth(url)).body?.cancel();
      bare = await phase(client, dir, "bare Deno.serve", spec(url, "GET", "/", []));
    } finally {
      bareChild.kill("SIGKILL");
      await bareChild.status;
    }

    const tokens = await seed(kvPath, users, "http://127.0.0.1");
    const profileFlags = options.profileDir
      ? ["--cpu-prof", `--cpu-prof-dir=${options.profileDir}`, "--cpu-prof-name=http.cpuprofile"]
      : [];
    // BASE_URL differs per run (the port); the request JWTs carry no aud, so they all serve.
    const reads = await startMain(dir, kvPath, { CONN_GUARD: "on" });
    servers.push(reads);
    const health = await phase(
      client,
      dir,
      "GET /health",
      spec(reads.base, "GET", "/health", []),
      reads.child.pid,
    );
    await warmTokens(reads.base, tokens);
    const me = await phase(
      client,
      dir,
      "GET /api/v1/me",
      spec(reads.base, "GET", "/api/v1/me", tokens),
      reads.child.pid,
    );
    await reads.stop();
    // A server of its own, so a profile holds the PUTs alone.
    const writes = await startMain(dir, kvPath, { CONN_GUARD: "on" }, profileFlags);
    servers.push(writes);
    await warmTokens(writes.base, tokens);
    const before = await appendStats(writes.base);
    const put = await phase(
      client,
      dir,
      "PUT position",
      spec(writes.base, "PUT", PUT_PATH, tokens),
      writes.child.pid,
    );
    const after = await appendStats(writes.base);
    // SIGTERM when profiling: the profile is written on exit.
    await writes.stop(options.profileDir ? "SIGTERM" : "SIGKILL");

    const off = await startMain(dir, kvPath, { CONN_GUARD: "off" });
    servers.push(off);
    await warmTokens(off.base, tokens);
    const healthNoGuard = await phase(
      client,
      dir,
      "GET /health, guard off",
      spec(off.base, "GET", "/health", []),
      off.child.pid,
    );
    const putNoGuard = await phase(
      client,
      dir,
      "PUT position, guard off",
      spec(off.base, "PUT", PUT_PATH, tokens),
      off.child.pid,
    );
    await off.stop();
    const serverLog = (await Promise.all(servers.map((s) => s.logs))).flat().join("").trim();
    return {
      client: wrk ? "wrk" : "deno (wrk not installed)",
      users,
      connections,
      kvDir: dir,
      rawKvPerSec: raw.perSec,
      rawMainUs: raw.mainUs,
      rawSqliteUs: raw.sqliteUs,
      bare,
      health,
      me,
      put,
      healthNoGuard,
      putNoGuard,
      // The warm-up's PUTs count too: the appended total must cover every 200 answered.
      appendedShort: Math.max(0, put.answered - (after.events - before.events)),
      decisionsPerCommit: (after.decisions - before.decisions) / (after.commits - before.commits),
      profile: options.profileDir ? `${options.profileDir}/http.cpuprofile` : undefined,
      serverLog,
    };
  } finally {
    for (const s of servers) await s.stop();
    for (const s of servers) await s.logs.catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
}

/** Prints the result; true when a mark is missed or a request failed. */
export function reportHttp(r: HttpBenchResult): boolean {
  const line = (p: HttpPhase, extra = "") => {
    const cpu = p.mainUsPerReq === undefined
      ? ""
      : `, main ${p.mainUsPerReq.toFixed(0)} µs/req (${(p.mainBusy! * 100).toFixed(0)} %)` +
        `, sqlite ${p.sqliteUsPerReq!.toFixed(0)} µs/req (${(p.sqliteBusy! * 100).toFixed(0)} %)`;
    console.log(
      `  ${p.name.padEnd(24)}: ${p.reqPerSec.toFixed(0).padStart(7)} req/s, p50 ${
        p.p50Ms.toFixed(1)
      } ms, p99 ${p.p99Ms.toFixed(1)} ms, errors ${p.errors}${cpu}${extra}`,
    );
  };
  const x = (a: number, b: number) => `${(a / b).toFixed(3)}×`;
  console.log(`  client: ${r.client}, ${r.connections} connections; KV files in ${r.kvDir}`);
  console.log(
    `  raw KV commits, ${r.connections} in flight, separate process: ${
      r.rawKvPerSec.toFixed(0)
    } commits/s, main ${r.rawMainUs.toFixed(0)} µs/commit, sqlite ${
      r.rawSqliteUs.toFixed(0)
    } µs/commit`,
  );
  line(r.bare);
  line(r.health, ` (${x(r.health.reqPerSec, r.bare.reqPerSec)} bare)`);
  line(r.me, ` (${x(r.me.reqPerSec, r.bare.reqPerSec)} bare)`);
  line(r.put, ` (${x(r.put.reqPerSec, r.bare.reqPerSec)} bare)`);
  line(r.healthNoGuard);
  line(r.putNoGuard);
  const ratio = r.put.reqPerSec / r.rawKvPerSec;
  const p99 = r.put.p99Ms;
  console.log(
    `  PUT ÷ raw KV            : ${ratio.toFixed(2)}×  (mark ≥ 0.5×, aim 1.0×)`,
  );
  console.log(`  PUT ÷ GET /health       : ${x(r.put.reqPerSec, r.health.reqPerSec)}`);
  console.log(`  PUT p99                 : ${p99.toFixed(1)} ms  (mark < 50 ms)`);
  console.log(
    `  guard on ÷ off          : /health ${x(r.health.reqPerSec, r.healthNoGuard.reqPerSec)}, PUT ${
      x(r.put.reqPerSec, r.putNoGuard.reqPerSec)
    }`,
  );
  if (r.put.mainUsPerReq !== undefined && r.me.mainUsPerReq !== undefined) {
    console.log(
      `  main thread per PUT     : ${r.put.mainUsPerReq.toFixed(0)} µs = ${
        x(r.put.mainUsPerReq, r.me.mainUsPerReq)
      } GET /api/v1/me's`,
    );
  }
  console.log(
    `  PUTs answered 200 but not appended: ${r.appendedShort}; ${
      r.decisionsPerCommit.toFixed(1)
    } decisions per commit`,
  );
  if (r.profile) console.log(`  server CPU profile: ${r.profile}`);
  const phases = [r.bare, r.health, r.me, r.put, r.healthNoGuard, r.putNoGuard];
  const failed = ratio < 0.5 || p99 >= 50 || r.appendedShort > 0 ||
    phases.some((p) => p.errors > 0);
  if (phases.some((p) => p.errors > 0) && r.serverLog) {
    console.log(`  server log (tail):\n${r.serverLog}`);
  }
  return failed;
}

/** `raw-kv`: commits one event-sized value per commit, `inFlight` at once. */
async function rawKvMain(path: string, seconds: number, inFlight: number): Promise<void> {
  const kv = await Deno.openKv(path);
  let commits = 0;
  const cpu0 = await threadCpu(Deno.pid);
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async (_, w) => {
    for (let i = 0; performance.now() < until; i++) {
      const user = `u${(w * 7919 + i) % 1000}`;
      const r = await kv.atomic().set(["raw", user, `${w}-${i}`], {
        type: "position_updated",
        id: `raw-${w}-${i}`,
        ts: new Date().toISOString(),
        item: ITEM,
        data: { position: i },
        seq: i,
        user_id: user,
        recorded_at: new Date().toISOString(),
      }).commit();
      if (!r.ok) throw new Error("raw commit failed");
      commits++;
    }
  }));
  const s = (performance.now() - started) / 1000;
  const cpu1 = await threadCpu(Deno.pid);
  kv.close();
  const us = (a: number, b: number) => ((b - a) * 1e6) / commits;
  console.log(JSON.stringify({
    commits,
    s,
    mainUs: us(cpu0.main, cpu1.main),
    sqliteUs: us(cpu0.sqlite, cpu1.sqlite),
  }));
}

/** `load`: the client when wrk is absent — keep-alive fetch on `connections` loops. */
async function loadMain(file: string): Promise<void> {
  const spec = JSON.parse(await Deno.readTextFile(file)) as LoadSpec;
  const latencies: number[] = [];
  let errors = 0, counter = 0;
  const until = performance.now() + spec.seconds * 1000;
  const started = performance.now();
  await Promise.all(Array.from({ length: spec.connections }, async () => {
    while (performance.now() < until) {
      const n = counter++;
      const headers: Record<string, string> = {};
      if (spec.tokens.length > 0) {
        headers.Authorization = `Bearer ${spec.tokens[n % spec.tokens.length]}`;
      }
      if (spec.method === "PUT") headers["Content-Type"] = "application/json";
      const t0 = performance.now();
      try {
        const res = await fetch(spec.url + spec.path, {
          method: spec.method,
          headers,
          body: spec.method === "PUT"
            ? JSON.stringify({ position: (spec.positionBase ?? 0) + n })
            : undefined,
        });
        await res.arrayBuffer();
        if (res.status >= 300) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t0);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  console.log(JSON.stringify(
    {
      requests: latencies.length,
      seconds,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      errors,
    } satisfies LoadResult,
  ));
}

if (import.meta.main) {
  const [mode, ...args] = Deno.args;
  if (mode === "raw-kv") await rawKvMain(args[0], Number(args[1]), Number(args[2]));
  else if (mode === "bare") {
    Deno.serve(
      { hostname: "127.0.0.1", port: Number(args[0]), onListen: () => {} },
      () => new Response("ok"),
    );
  } else if (mode === "load") await loadMain(args[0]);
  else {
    console.error(
      "usage: bench/http.ts raw-kv <path> <seconds> <in flight> | bare <port> | load <spec>",
    );
    Deno.exit(2);
  }
}
