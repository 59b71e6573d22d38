/**
 * gpodder benchmark, out of process: `main.ts` runs as a subprocess on a free loopback port
 * with a temporary KV file, and this process is the client (fetch, keep-alive, bounded
 * concurrency). Each user logs in once with HTTP Basic (an app password, as AntennaPod's
 * Nextcloud set-up makes) and then sends only the `sessionid` cookie, uploading its
 * episode actions in batches of 30 one after the other; then every user downloads them
 * (since=0), uploads one more batch with the cookie and one in Nextcloud mode (Basic on
 * every request), and downloads incrementally (since = the timestamp of its first
 * download: exactly those 60 actions). Next to raw KV commits of the same number of events
 * (30 per commit, 64 in flight), measured in this process before the server starts.
 */
import { createAppPassword } from "../src/auth/app_passwords.ts";
import { createUser } from "../src/auth/users.ts";
import { systemClock } from "../src/clock.ts";
import { loadConfig } from "../src/config.ts";
import { silentLogger } from "../src/logger.ts";
import { waitForHealth } from "../tests/_support/process.ts";
import { spawnMain } from "./_main_process.ts";

/** What to run. */
export interface GpodderBenchOptions {
  readonly users?: number;
  readonly actionsPerUser?: number;
  readonly batch?: number;
  /** Users syncing at once (each sends its own requests one after the other). */
  readonly inFlight?: number;
  /** Write a V8 CPU profile of the server into this directory. */
  readonly profileDir?: string;
}

/** Rate and latency of one phase. */
export interface Phase {
  readonly requests: number;
  readonly actions: number;
  readonly seconds: number;
  readonly actionsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  /** The first failed answer, to say why. */
  readonly firstError?: string;
}

export interface GpodderBenchResult {
  readonly users: number;
  readonly actionsPerUser: number;
  readonly batch: number;
  readonly inFlight: number;
  /** Raw KV: the same number of events, one commit per batch, 64 in flight. */
  readonly rawEventsPerSec: number;
  readonly login: Phase;
  readonly upload: Phase;
  readonly download: Phase;
  readonly incrementalUpload: Phase;
  /** Nextcloud mode: Basic on every request (the password check is remembered). */
  readonly basicUpload: Phase;
  readonly incrementalDownload: Phase;
  /** Actions a first download answered per user that were not the user's own (must be 0). */
  readonly missing: number;
  /** The server's append and projection counters at the end. */
  readonly serverMetrics: string[];
  readonly serverLog: string;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0
    ? 0
    : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

function phase(
  latencies: number[],
  actions: number,
  seconds: number,
  errors: number,
  firstError?: string,
): Phase {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    ...(firstError === undefined ? {} : { firstError }),
    requests: latencies.length,
    actions,
    seconds,
    actionsPerSec: actions / seconds,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    errors,
  };
}

/** Runs `work(i)` for i in [0, n) with at most `inFlight` at once. */
async function pool(n: number, inFlight: number, work: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, inFlight) }, async () => {
    while (next < n) await work(next++);
  }));
}

const gpTime = (ms: number) => new Date(ms).toISOString().slice(0, 19);

/** A user's episode actions as AntennaPod sends them (mostly plays, some downloads). */
function actionsOf(u: number, from: number, count: number, now: number): unknown[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    const pod = (u * 7 + (i % 20)) % 100;
    const base = {
      podcast: `https://feeds.example.org/podcast-${pod}.xml`,
      episode: `https://cdn.example.org/podcast-${pod}/episode-${i}.mp3`,
      guid: `urn:bench:${pod}:${i}`,
      device: "antennapod",
      timestamp: gpTime(now - (10_000 - i) * 1000),
    };
    return i % 5 === 4
      ? { ...base, action: "download" }
      : { ...base, action: "play", started: 0, position: 60 + i, total: 3600 };
  });
}

/** Raw KV: `events` event-sized values, `batch` per commit, `inFlight` commits at once. */
async function rawEventRate(path: string, events: number, batch: number, inFlight: number) {
  const kv = await Deno.openKv(path);
  try {
    const commits = Math.ceil(events / batch);
    const started = performance.now();
    await pool(commits, inFlight, async (c) => {
      const op = kv.atomic();
      for (let i = c * batch; i < Math.min(events, (c + 1) * batch); i++) {
        op.set(["raw", `u${c % 200}`, i], {
          type: "played",
          id: `raw-${i}`,
          ts: new Date().toISOString(),
          feed: "https://feeds.example.org/podcast-1.xml",
          item: `urn:bench:1:${i}\nhttps://cdn.example.org/podcast-1/episode-${i}.mp3`,
          data: { position: i, played: false, duration: 3600, started: 0 },
          seq: i,
          user_id: `u${c % 200}`,
          recorded_at: new Date().toISOString(),
        });
      }
      await op.commit();
    });
    return events / ((performance.now() - started) / 1000);
  } finally {
    kv.close();
  }
}

/** Creates the users and their app passwords in the KV file the server will open. */
async function seedUsers(path: string, users: number): Promise<string[]> {
  const kv = await Deno.openKv(path);
  try {
    const deps = {
      kv,
      config: loadConfig({ KV_PATH: path }),
      clock: systemClock,
      logger: silentLogger,
      passwordIterations: 1_000,
    };
    const passwords: string[] = [];
    let n = 0;
    await pool(users, 16, async (u) => {
      const user = await createUser(deps, { username: `gp${u}`, password: "bench password" });
      const pw = await createAppPassword(deps, user.id, "AntennaPod", () => `pw${n++}`);
      passwords[u] = pw.password;
    });
    return passwords;
  } finally {
    kv.close();
  }
}

/** Runs the gpodder benchmark. */
export async function benchGpodder(options: GpodderBenchOptions = {}): Promise<GpodderBenchResult> {
  const users = options.users ?? 200;
  const perUser = options.actionsPerUser ?? 500;
  const batch = options.batch ?? 30;
  const inFlight = options.inFlight ?? 32;
  const dir = await Deno.makeTempDir({ prefix: "balados-gpodder-bench-" });
  const kvPath = `${dir}/gp.kv`;
  let raw: number, passwords: string[];
  try {
    raw = await rawEventRate(`${dir}/raw.kv`, users * perUser, batch, 64);
    passwords = await seedUsers(kvPath, users);
  } catch (err) {
    await Deno.remove(dir, { recursive: true });
    throw err;
  }
  const flags = options.profileDir
    ? ["--cpu-prof", `--cpu-prof-dir=${options.profileDir}`, "--cpu-prof-name=gpodder.cpuprofile"]
    : [];
  const { child, base, logs } = spawnMain({
    cwd: dir,
    kvPath,
    env: { TRUSTED_PROXIES: "127.0.0.1" },
    flags,
  });
  let stopped = false;
  // SIGKILL, not SIGTERM: a graceful stop waits until the projector has drained its whole
  // backlog (minutes after this load), and every acknowledged write is committed already.
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    child.kill(options.profileDir ? "SIGTERM" : "SIGKILL"); // a profile is written on exit
    await child.status;
  };
  try {
    await (await waitForHealth(`${base}/health`, 60_000)).body?.cancel();
    const cookies: string[] = [];
    const call = async (
      u: number,
      method: string,
      path: string,
      body?: unknown,
      basicOnly = false,
    ): Promise<{ ms: number; status: number; json: Record<string, unknown>; text: string }> => {
      const t0 = performance.now();
      const headers: Record<string, string> = cookies[u] && !basicOnly
        ? { Cookie: cookies[u] }
        : { Authorization: `Basic ${btoa(`gp${u}:${passwords[u]}`)}` };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      // 200 listeners do not share one address: the server trusts loopback as a proxy.
      headers["X-Forwarded-For"] = `10.0.${u >> 8}.${u & 255}`;
      const res = await fetch(base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      const ms = performance.now() - t0;
      const setCookie = res.headers.get("set-cookie");
      if (setCookie && !cookies[u]) cookies[u] = setCookie.split(";")[0];
      return { ms, status: res.status, json: text ? JSON.parse(text) : {}, text };
    };
    const run = async (
      requestsOf: (
        u: number,
      ) => Promise<{ ms: number; status: number; actions: number; text: string }[]>,
    ): Promise<Phase> => {
      const latencies: number[] = [];
      let actions = 0, errors = 0;
      let firstError: string | undefined;
      const t0 = performance.now();
      await pool(users, inFlight, async (u) => {
        for (const r of await requestsOf(u)) {
          latencies.push(r.ms);
          if (r.status !== 200) {
            errors++;
            firstError ??= `${r.status} ${r.text.slice(0, 200)}`;
          } else actions += r.actions;
        }
      });
      return phase(latencies, actions, (performance.now() - t0) / 1000, errors, firstError);
    };

    const login = await run(async (u) => {
      const r = await call(u, "POST", `/api/2/auth/gp${u}/login.json`);
      return [{ ...r, actions: 0 }];
    });
    const now = Date.now();
    const upload = await run(async (u) => {
      const out = [];
      for (let from = 0; from < perUser; from += batch) {
        const size = Math.min(batch, perUser - from);
        const body = actionsOf(u, from, size, now);
        const r = await call(u, "POST", `/api/2/episodes/gp${u}.json`, body);
        out.push({ ...r, actions: size });
      }
      return out;
    });
    const since: number[] = [];
    let missing = 0;
    const download = await run(async (u) => {
      const r = await call(u, "GET", `/api/2/episodes/gp${u}.json?since=0`);
      const got = (r.json.actions as unknown[] | undefined)?.length ?? 0;
      if (r.status === 200) missing += Math.max(0, perUser - got);
      since[u] = r.json.timestamp as number;
      return [{ ...r, actions: got }];
    });
    // Past the second the first download answered for, so "since" finds only what is new.
    await new Promise((r) => setTimeout(r, 1_100));
    const incrementalUpload = await run(async (u) => {
      const body = actionsOf(u, perUser, batch, now);
      const r = await call(u, "POST", `/api/2/episodes/gp${u}.json`, body);
      return [{ ...r, actions: batch }];
    });
    // AntennaPod's Nextcloud mode: Basic (an app password) on every request, no cookie.
    const basicUpload = await run(async (u) => {
      const body = actionsOf(u, perUser + batch, batch, now)
        .map((a) => ({ ...(a as Record<string, unknown>), device: undefined }));
      const path = "/index.php/apps/gpoddersync/episode_action/create";
      return [{ ...await call(u, "POST", path, body, true), actions: batch }];
    });
    const incrementalDownload = await run(async (u) => {
      const r = await call(u, "GET", `/api/2/episodes/gp${u}.json?since=${since[u]}`);
      return [{ ...r, actions: (r.json.actions as unknown[] | undefined)?.length ?? 0 }];
    });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    await stop();
    return {
      users,
      actionsPerUser: perUser,
      batch,
      inFlight,
      rawEventsPerSec: raw,
      login,
      upload,
      download,
      incrementalUpload,
      basicUpload,
      incrementalDownload,
      missing,
      serverMetrics: metrics.split("\n").filter((l) =>
        /^balados_(append_commit|events_appended|outbox_backlog|projection_lag)/.test(l)
      ),
      serverLog: (await logs).join("").trim(),
    };
  } finally {
    await stop();
    await logs.catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
}

const OPODSYNC = { upload: 9_000, download: 80_000, basicEveryRequest: 300 };

/** Prints the result; true when something failed (errors, lost actions). */
export function reportGpodder(r: GpodderBenchResult): boolean {
  const f = (n: number) => n.toFixed(0).padStart(7);
  const line = (name: string, p: Phase, extra = "") =>
    console.log(
      `  ${name.padEnd(30)}: ${f(p.actionsPerSec)} actions/s, ${p.requests} requests, ` +
        `p50 ${p.p50Ms.toFixed(1)} ms, p99 ${p.p99Ms.toFixed(1)} ms, errors ${p.errors}${extra}` +
        (p.firstError ? `\n    first error: ${p.firstError}` : ""),
    );
  console.log(
    `  raw KV, ${r.batch} events per commit, 64 in flight: ${f(r.rawEventsPerSec)} events/s`,
  );
  console.log(
    `  log-in (Basic, app password)  : ${r.login.requests} requests, p50 ${
      r.login.p50Ms.toFixed(1)
    } ms, p99 ${r.login.p99Ms.toFixed(1)} ms, errors ${r.login.errors}`,
  );
  const vs = (ours: number, theirs: number) =>
    ` (${(ours / r.rawEventsPerSec).toFixed(2)}× raw; oPodSync ≈ ${theirs}/s)`;
  line("upload, batches of 30, cookie", r.upload, vs(r.upload.actionsPerSec, OPODSYNC.upload));
  line("download since=0", r.download, vs(r.download.actionsPerSec, OPODSYNC.download));
  line("incremental upload (1 batch)", r.incrementalUpload);
  line(
    "Nextcloud mode, Basic each time",
    r.basicUpload,
    ` (oPodSync checking the password on every request < ${OPODSYNC.basicEveryRequest}/s)`,
  );
  line(
    "incremental download (since)",
    r.incrementalDownload,
    `, ${(r.incrementalDownload.actions / r.users).toFixed(1)} actions per user (${
      2 * r.batch
    } new)`,
  );
  console.log(`  actions missing from first downloads: ${r.missing}`);
  for (const m of r.serverMetrics) console.log(`  server: ${m}`);
  const phases = [
    r.login,
    r.upload,
    r.download,
    r.incrementalUpload,
    r.basicUpload,
    r.incrementalDownload,
  ];
  const failed = r.missing > 0 || phases.some((p) => p.errors > 0);
  if (failed && r.serverLog) console.log(`  server log (tail):\n${r.serverLog}`);
  return failed;
}
