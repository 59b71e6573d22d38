/**
 * Lifecycle benchmark (SPEC §7): the 45-day checkpoint and cleanup jobs, an actor's wake-up
 * (`load`) before and after a checkpoint, and the streamed export — each as a ratio against
 * a baseline measured in the same run, on fresh KV files in a temp dir.
 *
 * 1. Flat jobs: KV A holds D due users and I inactive users; KV B the same D due users and
 *    10×I inactive users. `runCheckpoints` + `runCleanup` must cost the same on both (they
 *    list the due index, never all users): ratio B/A, in rounds that alternate the sides.
 * 2. Wake-up: `store.load` of a user with 100,000 events, before and after checkpoint +
 *    cleanup, for two shapes of history: every event another episode (a state of 100,000
 *    play statuses), and 1,000 episodes whose positions move again and again.
 * 3. Export: `GET /api/v1/export` through the real app with a signed request JWT, the body
 *    consumed as a stream, against a raw `kv.list` of the same events + `JSON.stringify`.
 */
import { createApp } from "../routes/app.ts";
import { authorizeApp } from "../src/auth/app_tokens.ts";
import { verifyAuthorizationJwt } from "../src/auth/jwt.ts";
import { createUser } from "../src/auth/users.ts";
import { isoAt } from "../src/clock.ts";
import { loadConfig } from "../src/config.ts";
import type { UserEvent } from "../src/domain/events.ts";
import { RETENTION_MS } from "../src/domain/history.ts";
import { encodeFeedId, encodeItemId } from "../src/domain/ids.ts";
import { EMPTY_STATE, type UserState } from "../src/domain/state.ts";
import {
  checkpointUser,
  cleanupUser,
  runCheckpoints,
  runCleanup,
} from "../src/lifecycle/retention.ts";
import type { Logger } from "../src/logger.ts";
import { type AppDeps, createServices } from "../src/services.ts";
import type { CheckpointHead } from "../src/store/checkpoints.ts";
import * as keys from "../src/store/keys.ts";
import {
  type AppKeys,
  authorizationJwt,
  generateAppKeys,
  requestJwt,
} from "../tests/_support/jwt.ts";

const DAY = 86_400_000;

/** A clock the bench moves by hand (the store stamps `recorded_at` from it). */
class BenchClock {
  t = Date.now();
  now(): number {
    return this.t;
  }
}

/** What the jobs logged as errors (they catch per user and go on). */
const jobErrors: string[] = [];
const logger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error(msg, fields) {
    jobErrors.push(`${msg}: ${String(fields?.error ?? "")}`);
  },
};

/** KV operations seen through a {@linkcode counted} handle. */
interface KvCounts {
  /** Entries read: each `get`, each key of a `getMany`, each entry a `list` yields. */
  reads: number;
  commits: number;
}

/** A KV handle that counts what goes through it (same work on both sides of part 1). */
function counted(kv: Deno.Kv, c: KvCounts): Deno.Kv {
  return new Proxy(kv, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target);
      if (typeof v !== "function") return v;
      const f = v as (...a: unknown[]) => unknown;
      if (prop === "get") {
        return (...a: unknown[]) => {
          c.reads++;
          return f.apply(target, a);
        };
      }
      if (prop === "getMany") {
        return (...a: unknown[]) => {
          c.reads += (a[0] as unknown[]).length;
          return f.apply(target, a);
        };
      }
      if (prop === "list") {
        return (...a: unknown[]) => {
          const it = f.apply(target, a) as Deno.KvListIterator<unknown>;
          return {
            get cursor() {
              return it.cursor;
            },
            async next() {
              const r = await it.next();
              if (!r.done) c.reads++;
              return r;
            },
            [Symbol.asyncIterator]() {
              return this;
            },
          };
        };
      }
      if (prop === "atomic") {
        return () => {
          const op = f.apply(target) as Deno.AtomicOperation;
          const commit = op.commit.bind(op);
          op.commit = () => {
            c.commits++;
            return commit();
          };
          return op;
        };
      }
      return f.bind(target);
    },
  });
}

export interface FlatResult {
  due: number;
  inactiveA: number;
  inactiveB: number;
  eventsPerDueUser: number;
  setupMs: number;
  msA: number;
  msB: number;
  ratio: number;
  roundRatios: number[];
  usersA: number;
  usersB: number;
  checkpointsA: number;
  checkpointsB: number;
  deletedA: number;
  deletedB: number;
  kvA: KvCounts;
  kvB: KvCounts;
}

export interface WakeResult {
  shape: string;
  events: number;
  plays: number;
  loadBeforeMs: number;
  loadAfterMs: number;
  ratio: number;
  checkpointBytes: number;
  checkpointParts: number;
  checkpointMs: number;
  cleanupMs: number;
  deleted: number;
  eventsLeft: number;
  error?: string;
}

export interface ExportResult {
  shape: string;
  events: number;
  exportMs: number;
  firstByteMs: number;
  rawMs: number;
  ratio: number;
  docBytes: number;
  heapGrowthBytes: number;
}

export interface LifecycleResult {
  flat: FlatResult;
  wake: WakeResult[];
  exports: ExportResult[];
  /** Part 1 in all (setup and jobs). */
  flatPartMs: number;
  /** Parts 2–3: appending the two big histories, projecting them, exports, wake-ups. */
  buildMs: number;
  projectMs: number;
  exportPartMs: number;
  wakePartMs: number;
  errors: string[];
}

const FEEDS = Array.from(
  { length: 100 },
  (_, f) => encodeFeedId(`https://bench.example.org/feeds/${f}.xml`),
);
const itemOf = (u: string, n: number) =>
  encodeItemId(`${u}-ep-${n}`, `https://cdn.bench.example.org/${u}/${n}.mp3`);

function services(kv: Deno.Kv, clock: BenchClock): AppDeps {
  const config = loadConfig({ KV_PATH: "bench", KV_QUEUES: "off", BASE_URL: "http://127.0.0.1" });
  // The projector is drained by hand before each timed part, so nothing runs beside it.
  return createServices({
    kv,
    config,
    clock,
    logger,
    autoProject: false,
    autoGateway: false,
    passwordIterations: 1_000,
    runnerOptions: { eventsPerUser: 1_000 },
  });
}

/** A `played` event of episode `n` of user `u`. */
function played(u: string, n: number, at: number, seq: number): UserEvent {
  return {
    type: "played",
    id: `${u}-${seq}`,
    ts: isoAt(at),
    feed: FEEDS[n % FEEDS.length],
    item: itemOf(u, n),
    data: { position: (seq * 7) % 3600, played: seq % 3 === 0 },
  };
}

/** A `position_updated` event of episode `n` of user `u`. */
function position(u: string, n: number, at: number, seq: number): UserEvent {
  return {
    type: "position_updated",
    id: `${u}-${seq}`,
    ts: isoAt(at),
    feed: FEEDS[n % FEEDS.length],
    item: itemOf(u, n),
    data: { position: seq % 3600 },
  };
}

/**
 * Appends `total` events for `userId`, `perBatch` per `append` call, the clock moving
 * evenly from `fromMs` to `toMs`; `make(i, at)` builds event `i`.
 */
async function history(
  deps: AppDeps,
  clock: BenchClock,
  userId: string,
  total: number,
  perBatch: number,
  span: [fromMs: number, toMs: number],
  make: (i: number, at: number) => UserEvent,
  state: UserState = EMPTY_STATE,
): Promise<UserState> {
  const [fromMs, toMs] = span;
  for (let i = 0; i < total; i += perBatch) {
    clock.t = fromMs + Math.floor((toMs - fromMs) * (i / Math.max(1, total - 1)));
    const n = Math.min(perBatch, total - i);
    const events = Array.from({ length: n }, (_, k) => make(i + k, clock.t));
    state = (await deps.store.append(userId, state, events)).state;
  }
  return state;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** A real account (so the projections see a username). */
async function account(deps: AppDeps, name: string): Promise<string> {
  return (await createUser(deps, { username: name, password: "bench password" })).id;
}

/** One KV of part 1: `due` users with old history and `inactive` users with recent events. */
async function flatSide(
  path: string,
  present: number,
  due: number,
  inactive: number,
  perDue: number,
) {
  const raw = await Deno.openKv(path);
  const counts: KvCounts = { reads: 0, commits: 0 };
  const kv = counted(raw, counts);
  const clock = new BenchClock();
  const deps = services(kv, clock);
  const t0 = performance.now();
  for (let u = 0; u < due; u++) {
    clock.t = present - 61 * DAY;
    const id = await account(deps, `due${u}`);
    // 60 → 50 days ago in 10 appends, about one a day (several due days per user).
    const span: [number, number] = [present - 60 * DAY, present - 50 * DAY];
    await history(deps, clock, id, perDue, perDue / 10, span, (i, at) => played(id, i, at, i + 1));
  }
  for (let u = 0; u < inactive; u++) {
    clock.t = present - 3 * DAY;
    const id = await account(deps, `idle${u}`);
    const at = present - 2 * DAY;
    await history(deps, clock, id, 3, 3, [at, at], (i, at) => played(id, i, at, i + 1));
  }
  clock.t = present;
  await deps.projector.drainAll();
  return {
    raw,
    counts,
    deps,
    setupMs: performance.now() - t0,
    ms: 0,
    users: 0,
    checkpoints: 0,
    deleted: 0,
    kv: { reads: 0, commits: 0 },
  };
}

type Side = Awaited<ReturnType<typeof flatSide>>;

/** One round of the jobs on one side, each limited to `limit` users, timed. */
async function jobsRound(side: Side, present: number, limit: number): Promise<number> {
  const before = { ...side.counts };
  const t0 = performance.now();
  const ck = await runCheckpoints(side.deps, { now: present, limit });
  const cl = await runCleanup(side.deps, { now: present, limit });
  const ms = performance.now() - t0;
  side.ms += ms;
  side.users += ck.users;
  side.checkpoints += ck.checkpoints;
  side.deleted += cl.events_deleted;
  side.kv.reads += side.counts.reads - before.reads;
  side.kv.commits += side.counts.commits - before.commits;
  return ms;
}

async function closeSide(side: Side) {
  await side.deps.registry.drain();
  await side.deps.projector.stop();
  side.raw.close();
}

/**
 * Part 1. The jobs run in rounds of `due / rounds` users, alternating which side goes
 * first, after a warm-up on a third KV, so drift in the machine's load hits both sides.
 */
async function benchFlat(
  dir: string,
  due: number,
  inactive: number,
  perDue: number,
  rounds: number,
): Promise<FlatResult> {
  const present = Date.now();
  const sides: Side[] = [];
  try {
    const warm = await flatSide(`${dir}/flat-warm.kv`, present, 10, 0, perDue);
    sides.push(warm);
    const a = await flatSide(`${dir}/flat-a.kv`, present, due, inactive, perDue);
    sides.push(a);
    const b = await flatSide(`${dir}/flat-b.kv`, present, due, inactive * 10, perDue);
    sides.push(b);
    await jobsRound(warm, present, 10);
    const per = Math.ceil(due / rounds);
    const roundRatios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const first = r % 2 === 0 ? a : b;
      const second = first === a ? b : a;
      const t1 = await jobsRound(first, present, per);
      const t2 = await jobsRound(second, present, per);
      roundRatios.push(first === b ? t1 / t2 : t2 / t1);
    }
    return {
      due,
      inactiveA: inactive,
      inactiveB: inactive * 10,
      eventsPerDueUser: perDue,
      setupMs: warm.setupMs + a.setupMs + b.setupMs,
      msA: a.ms,
      msB: b.ms,
      ratio: b.ms / a.ms,
      roundRatios,
      usersA: a.users,
      usersB: b.users,
      checkpointsA: a.checkpoints,
      checkpointsB: b.checkpoints,
      deletedA: a.deleted,
      deletedB: b.deleted,
      kvA: a.kv,
      kvB: b.kv,
    };
  } finally {
    for (const side of sides) await closeSide(side);
  }
}

/** Loads `userId` `n` times: the median time (ms) and the state. */
async function timedLoads(deps: AppDeps, userId: string, n: number) {
  const times: number[] = [];
  let state = EMPTY_STATE;
  for (let i = 0; i < n; i++) {
    const t = await timed(() => deps.store.load(userId));
    times.push(t.ms);
    state = t.value;
  }
  return { ms: median(times), state };
}

/** A user with `total` events: all but `recent` recorded 52 → 48 days ago, those a day ago. */
async function bigUser(
  deps: AppDeps,
  clock: BenchClock,
  present: number,
  name: string,
  total: number,
  options: { recent: number; private: boolean },
  make: (id: string, i: number, at: number) => UserEvent,
): Promise<string> {
  clock.t = present - 53 * DAY;
  const id = await account(deps, name);
  let state = EMPTY_STATE;
  if (options.private) {
    const e: UserEvent = {
      type: "privacy_changed",
      id: `${id}-private`,
      ts: isoAt(clock.t),
      data: { scope: "user", privacy: "private" },
    };
    state = (await deps.store.append(id, state, [e])).state;
  }
  const old = total - options.recent - state.seq;
  const span: [number, number] = [present - 52 * DAY, present - 48 * DAY];
  state = await history(deps, clock, id, old, 5_000, span, (i, at) => make(id, i, at), state);
  const day: [number, number] = [present - DAY, present - DAY];
  await history(
    deps,
    clock,
    id,
    options.recent,
    options.recent,
    day,
    (i, at) => make(id, old + i, at),
    state,
  );
  return id;
}

/** Part 2 for one user: load before, checkpoint, cleanup, load after. */
async function wakeUp(
  deps: AppDeps,
  present: number,
  userId: string,
  shape: string,
): Promise<WakeResult> {
  const before = await timedLoads(deps, userId, 3);
  const cutoff = present - RETENTION_MS;
  let error: string | undefined;
  const ck = await timed(() => checkpointUser(deps, userId, cutoff));
  const cl = await timed(async () => {
    try {
      return (await cleanupUser(deps, userId, cutoff)).deleted;
    } catch (err) {
      error = String(err);
      jobErrors.push(`cleanup of ${shape}: ${error}`);
      return undefined;
    }
  });
  const after = await timedLoads(deps, userId, 3);
  if (after.state.seq !== before.state.seq || after.state.plays.size !== before.state.plays.size) {
    throw new Error(`${shape}: the state after the checkpoint differs from the one before`);
  }
  const head = (await deps.kv.get<CheckpointHead>(keys.checkpointHeadKey(userId))).value;
  let left = 0;
  for await (const _ of deps.kv.list({ prefix: keys.eventPrefix(userId) })) left++;
  return {
    shape,
    events: before.state.seq,
    plays: before.state.plays.size,
    loadBeforeMs: before.ms,
    loadAfterMs: after.ms,
    ratio: after.ms / before.ms,
    checkpointBytes: head?.bytes ?? 0,
    checkpointParts: head?.parts ?? 0,
    checkpointMs: ck.ms,
    cleanupMs: cl.ms,
    // When the cleanup threw after deleting, what it deleted is what is gone.
    deleted: cl.value ?? before.state.seq - left,
    eventsLeft: left,
    ...(error ? { error } : {}),
  };
}

/** The raw baseline of part 3: list the user's events and stringify each. */
async function rawList(kv: Deno.Kv, userId: string): Promise<number> {
  let bytes = 0;
  const t0 = performance.now();
  for await (const e of kv.list({ prefix: keys.eventPrefix(userId) }, { batchSize: 500 })) {
    bytes += JSON.stringify(e.value).length + 1;
  }
  if (bytes === 0) throw new Error("no events to list");
  return performance.now() - t0;
}

/** One export through the real app, its body read chunk by chunk. */
async function exportOnce(
  app: ReturnType<typeof createApp>,
  appKeys: AppKeys,
  appId: string,
  userId: string,
  now: number,
) {
  const token = await requestJwt(appKeys, { appId, sub: userId, nowMs: now });
  const heap0 = Deno.memoryUsage().heapUsed;
  let peak = heap0;
  const t0 = performance.now();
  const res = await app.request("/api/v1/export", {
    headers: { Authorization: `Bearer ${token}` },
  });
  if (res.status !== 200) throw new Error(`export: ${res.status} ${await res.text()}`);
  let firstByteMs = 0;
  let bytes = 0;
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (bytes === 0) firstByteMs = performance.now() - t0;
    bytes += value.length;
    peak = Math.max(peak, Deno.memoryUsage().heapUsed);
  }
  return { ms: performance.now() - t0, firstByteMs, bytes, heapGrowth: peak - heap0 };
}

/**
 * Part 3 for one user: raw list and export, alternating, `runs` times each; the best of each.
 * The export runs on services of its own (their registry is drained afterwards, which
 * frees the woken actor and its state).
 */
async function benchExport(
  base: AppDeps,
  clock: BenchClock,
  appKeys: AppKeys,
  userId: string,
  shape: string,
  runs: number,
): Promise<ExportResult> {
  const deps = services(base.kv, clock);
  const present = clock.now();
  try {
    const appId = "bench-export";
    const grant = await verifyAuthorizationJwt(
      await authorizationJwt(appKeys, { appId, nowMs: present, scopes: ["user.read"] }),
      { now: present },
    );
    await authorizeApp(deps, userId, grant);
    const app = createApp(deps);
    // The export reads the state from the user's actor: woken first (part 2 times a wake-up).
    await deps.registry.state(userId);
    const raws: number[] = [];
    const exports: Awaited<ReturnType<typeof exportOnce>>[] = [];
    for (let i = 0; i < runs; i++) {
      raws.push(await rawList(deps.kv, userId));
      exports.push(await exportOnce(app, appKeys, appId, userId, present));
    }
    const best = exports.reduce((x, y) => (y.ms < x.ms ? y : x));
    const rawMs = Math.min(...raws);
    return {
      shape,
      events: (await deps.store.head(userId)).seq,
      exportMs: best.ms,
      firstByteMs: best.firstByteMs,
      rawMs,
      ratio: best.ms / rawMs,
      docBytes: best.bytes,
      heapGrowthBytes: Math.max(...exports.map((r) => r.heapGrowth)),
    };
  } finally {
    await deps.registry.drain();
    await deps.projector.stop();
  }
}

/** Parts 2 and 3 on one KV: two users with `events` events each. */
async function benchBig(dir: string, events: number) {
  const kv = await Deno.openKv(`${dir}/big.kv`);
  const clock = new BenchClock();
  const deps = services(kv, clock);
  const present = Date.now();
  try {
    const t0 = performance.now();
    // Every event plays another episode: a state of ~`events` play statuses. Private, so
    // the public projection writes one trace per play and no timeline (a shorter setup).
    const distinct = await bigUser(
      deps,
      clock,
      present,
      "distinct",
      events,
      { recent: 10, private: true },
      (id, i, at) => played(id, i, at, i + 2),
    );
    // 1,000 episodes played (publicly), then their positions again and again.
    const repeat = await bigUser(
      deps,
      clock,
      present,
      "repeat",
      events,
      { recent: 10, private: false },
      (id, i, at) => i < 1000 ? played(id, i, at, i + 1) : position(id, i % 1000, at, i + 1),
    );
    const built = performance.now();
    clock.t = present;
    await deps.projector.drainAll();
    const projected = performance.now();
    const appKeys = await generateAppKeys("ES256");
    const tExport = performance.now();
    const exports = [
      // Once for the large state: its head alone takes many times the raw list.
      await benchExport(deps, clock, appKeys, distinct, "distinct", 1),
      await benchExport(deps, clock, appKeys, repeat, "repeat", 2),
    ];
    const tWake = performance.now();
    const wake = [
      await wakeUp(deps, present, distinct, "distinct"),
      await wakeUp(deps, present, repeat, "repeat"),
    ];
    return {
      wake,
      exports,
      buildMs: built - t0,
      projectMs: projected - built,
      exportPartMs: tWake - tExport,
      wakePartMs: performance.now() - tWake,
    };
  } finally {
    await deps.registry.drain();
    await deps.projector.stop();
    kv.close();
  }
}

/** Runs the lifecycle benchmark. */
export async function benchLifecycle(
  options: { due?: number; inactive?: number; perDue?: number; bigEvents?: number } = {},
): Promise<LifecycleResult> {
  jobErrors.length = 0;
  const dir = await Deno.makeTempDir({ prefix: "balados-lifecycle-bench-" });
  try {
    const t0 = performance.now();
    const flat = await benchFlat(
      dir,
      options.due ?? 50,
      options.inactive ?? 200,
      options.perDue ?? 200,
      5,
    );
    const flatPartMs = performance.now() - t0;
    const big = await benchBig(dir, options.bigEvents ?? 100_000);
    return { flat, flatPartMs, ...big, errors: [...jobErrors] };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const n = (x: number) => Math.round(x).toLocaleString("en-US");
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** Prints the lifecycle results; true when below target. */
export function reportLifecycle(r: LifecycleResult): boolean {
  const f = r.flat;
  const s = (ms: number) => `${(ms / 1000).toFixed(0)} s`;
  console.log(
    `  (part 1 ${s(r.flatPartMs)}; 100k-event users: appends ${s(r.buildMs)}, ` +
      `projection ${s(r.projectMs)}, exports ${s(r.exportPartMs)}, wake-ups ${s(r.wakePartMs)})`,
  );
  console.log(
    `  checkpoint + cleanup jobs, ${f.due} due users × ${f.eventsPerDueUser} events (60–50 days old)`,
  );
  console.log(
    `    + ${n(f.inactiveA)} inactive users (A)            : ${n(f.msA)} ms`,
  );
  console.log(
    `    + ${n(f.inactiveB)} inactive users (B)          : ${n(f.msB)} ms`,
  );
  console.log(
    `    ratio (B / A)                          : ${f.ratio.toFixed(2)}×  (target ≤ 1.30×; ` +
      `rounds ${f.roundRatios.map((x) => x.toFixed(2)).join(" ")})`,
  );
  console.log(
    `    users done ${f.usersA} / ${f.usersB}, checkpoints ${f.checkpointsA} / ${f.checkpointsB}, ` +
      `events deleted ${n(f.deletedA)} / ${n(f.deletedB)}, KV entries read ` +
      `${n(f.kvA.reads)} / ${n(f.kvB.reads)}, commits ${n(f.kvA.commits)} / ${n(f.kvB.commits)}`,
  );
  for (const w of r.wake) {
    const what = w.shape === "distinct"
      ? `${n(w.plays)} distinct episodes, private`
      : `${n(w.plays)} episodes + positions, public`;
    console.log(`  actor wake-up (load), ${n(w.events)} events (${what})`);
    console.log(
      `    before ${n(w.loadBeforeMs)} ms → after checkpoint + cleanup ${n(w.loadAfterMs)} ms` +
        `  (${w.ratio.toFixed(3)}×)`,
    );
    console.log(
      `    checkpoint ${mb(w.checkpointBytes)} in ${w.checkpointParts} parts (${
        n(w.checkpointMs)
      } ms), ` +
        `cleanup ${n(w.cleanupMs)} ms: ${n(w.deleted)} events deleted, ${n(w.eventsLeft)} left` +
        (w.error ? `; FAILED: ${w.error}` : ""),
    );
  }
  for (const e of r.exports) {
    console.log(`  export, ${n(e.events)} events (${e.shape})`);
    console.log(
      `    GET /api/v1/export ${n(e.exportMs)} ms (first byte ${n(e.firstByteMs)} ms) vs ` +
        `raw list + stringify ${n(e.rawMs)} ms: ${e.ratio.toFixed(2)}×`,
    );
    console.log(
      `    document ${mb(e.docBytes)}, peak heap growth ${mb(e.heapGrowthBytes)} ` +
        `(${(e.heapGrowthBytes / e.docBytes).toFixed(2)}× the document)`,
    );
  }
  console.log(`  job errors                               : ${r.errors.length}`);
  for (const e of new Set(r.errors)) console.log(`    ${e}`);
  return f.ratio > 1.3 || r.errors.length > 0;
}

if (import.meta.main) {
  reportLifecycle(await benchLifecycle());
}
