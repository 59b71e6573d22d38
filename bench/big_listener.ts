/**
 * Big-listener benchmark (issue 13, item 2): one listener with 200,000 play statuses on a
 * fresh KV file, next to small listeners, through the actor registry (no HTTP).
 *
 * 1. Memory: the heap an actor's state holds after a cold wake-up (after a full collection),
 *    per play status, against the same state in the representation `main` used before
 *    this change (maps of the objects `JSON.parse` gives — its `stateFromJson` verbatim).
 * 2. Isolation: small listeners write in closed loops; their p99 latency while the big one
 *    syncs 40,000 new play statuses, against their p99 just before and after (idle).
 * 3. One small command on the big listener against the same command on a small listener,
 *    interleaved.
 * 4. Cold wake-up of the big listener (from its event stream, then from a checkpoint) and
 *    the small listeners' p99 meanwhile, against their idle p99.
 */
import v8 from "node:v8";
import vm from "node:vm";
import { isoAt } from "../src/clock.ts";
import { loadConfig } from "../src/config.ts";
import type { UserEvent } from "../src/domain/events.ts";
import { encodeFeedId, encodeItemId } from "../src/domain/ids.ts";
import type { SyncPlayStatus } from "../src/domain/sync.ts";
import { EMPTY_STATE, type UserState } from "../src/domain/state.ts";
import { silentLogger } from "../src/logger.ts";
import { type AppDeps, createServices } from "../src/services.ts";
import { stateToJson } from "../src/store/checkpoint_codec.ts";
import { checkpointHead, writeCheckpoint } from "../src/store/checkpoints.ts";

const FEEDS = Array.from(
  { length: 100 },
  (_, f) => encodeFeedId(`https://bench.example.org/feeds/${f}.xml`),
);
const DEVICE = { id: "phone-1", name: "Pixel" };
const itemOf = (u: string, n: number) =>
  encodeItemId(`${u}-episode-${n}`, `https://cdn.bench.example.org/${u}/${n}.mp3`);

/** V8's collector (the heap is measured after a full collection). */
function collector(): () => void {
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
}

function services(kv: Deno.Kv): AppDeps {
  const config = loadConfig({ KV_PATH: "bench", KV_QUEUES: "off", BASE_URL: "http://127.0.0.1" });
  return createServices({
    kv,
    config,
    clock: { now: () => Date.now() },
    logger: silentLogger,
    autoProject: false,
    autoGateway: false,
  });
}

function played(u: string, n: number, at: number): UserEvent {
  return {
    type: "played",
    id: `${u}-${n}`,
    ts: isoAt(at),
    device: DEVICE,
    feed: FEEDS[n % FEEDS.length],
    item: itemOf(u, n),
    data: { position: (n * 7) % 3600, played: n % 3 === 0, duration: 3600 },
  };
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(s.length * p))];
};

/**
 * Small listeners writing a position in closed loops until `stop()`; each write's latency.
 */
function writers(deps: AppDeps, users: string[]) {
  let running = true;
  const latencies: number[] = [];
  const loops = users.map(async (u) => {
    for (let i = 0; running; i++) {
      const t0 = performance.now();
      await deps.registry.execute(u, {
        type: "RecordPlay",
        data: { feed: FEEDS[0], item: itemOf(u, i % 10), position: i },
      }, DEVICE);
      latencies.push(performance.now() - t0);
    }
  });
  return {
    async stop(): Promise<number[]> {
      running = false;
      await Promise.all(loops);
      return latencies;
    },
  };
}

/**
 * The small listeners' write latencies while `work` runs, in `rounds` rounds, each after an
 * idle window of `idleMs` (one more idle window at the end): p99 while busy against p99
 * idle, the idle windows taken around the busy ones so a machine whose load drifts is
 * measured the same way on both sides. `prepare` runs before each round (e.g. a fresh
 * registry, so that the big listener's actor is cold); the writers write through it.
 */
async function isolation<T>(
  options: {
    users: string[];
    idleMs: number;
    rounds: number;
    prepare: () => Promise<AppDeps>;
  },
  work: (deps: AppDeps) => Promise<T>,
) {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const idle: number[] = [];
  const busy: number[] = [];
  let workMs = 0;
  let value: T | undefined;
  let deps: AppDeps | undefined;
  for (let round = 0; round <= options.rounds; round++) {
    deps = await options.prepare();
    const quiet = writers(deps, options.users);
    await sleep(options.idleMs);
    idle.push(...await quiet.stop());
    if (round === options.rounds) break;
    const during = writers(deps, options.users);
    const t0 = performance.now();
    value = await work(deps);
    workMs += performance.now() - t0;
    busy.push(...await during.stop());
  }
  return {
    value: value!,
    deps: deps!,
    workMs: workMs / options.rounds,
    idleP99: percentile(idle, 0.99),
    busyP99: percentile(busy, 0.99),
    busyMax: Math.max(...busy),
    samples: busy.length,
    ratio: percentile(busy, 0.99) / percentile(idle, 0.99),
  };
}

/** `main`'s `stateFromJson` (before this change), for the memory baseline. */
// deno-lint-ignore no-explicit-any
function mainStateFromJson(text: string): any {
  const j = JSON.parse(text);
  // deno-lint-ignore no-explicit-any
  const by = (xs: any[], k: string) => new Map(xs.map((x) => [x[k], x]));
  return {
    seq: j.seq,
    subscriptions: by(j.subscriptions, "feed"),
    plays: by(j.plays, "item"),
    saved: by(j.saved, "item"),
    shared: by(j.shared, "item"),
    // deno-lint-ignore no-explicit-any
    playlists: new Map(j.playlists.map((p: any) => [p.id, { ...p, items: by(p.items, "item") }])),
    privacy: {
      user: j.privacy.user,
      feeds: new Map(j.privacy.feeds),
      items: new Map(j.privacy.items),
    },
    marks: by(j.marks ?? [], "item"),
    devices: by(j.devices ?? [], "id"),
  };
}

type Isolation = Omit<Awaited<ReturnType<typeof isolation<number>>>, "deps" | "value">;

function strip<T>(x: Isolation & { deps: AppDeps; value: T }): Isolation {
  const { deps: _deps, value: _value, ...rest } = x;
  return rest;
}

export interface BigListenerResult {
  plays: number;
  buildMs: number;
  memory: { bytes: number; perPlay: number; mainBytes: number; mainPerPlay: number };
  sync: Isolation & { items: number };
  command: { bigMs: number; smallMs: number; ratio: number };
  wakeEvents: Isolation;
  wakeCheckpoint: Isolation & { checkpointBytes: number };
}

/** Runs the benchmark on a temporary KV file. */
export async function benchBigListener(
  options: { plays?: number; syncItems?: number; idleMs?: number; wakeRounds?: number } = {},
): Promise<BigListenerResult> {
  const plays = options.plays ?? 200_000;
  const syncItems = options.syncItems ?? 40_000;
  const idleMs = options.idleMs ?? 3_000;
  const wakeRounds = options.wakeRounds ?? 3;
  const gc = collector();
  const dir = await Deno.makeTempDir({ prefix: "balados-big-listener-bench-" });
  const kv = await Deno.openKv(`${dir}/big.kv`);
  let deps = services(kv);
  try {
    const big = "big-listener";
    const small = ["small-1", "small-2", "small-3", "small-4"];
    const t0 = performance.now();
    let state: UserState = EMPTY_STATE;
    const start = Date.now() - plays * 1000;
    for (let n = 0; n < plays; n += 5_000) {
      const events = Array.from({ length: 5_000 }, (_, k) => played(big, n + k, start + n + k));
      state = (await deps.store.append(big, state, events)).state;
    }
    for (const u of [...small, "small-ref"]) {
      const events = Array.from({ length: 10 }, (_, k) => played(u, k, start + k));
      await deps.store.append(u, EMPTY_STATE, events);
    }
    const buildMs = performance.now() - t0;
    state = EMPTY_STATE;

    // 1. Memory of a woken actor's state, and of main's representation of it.
    await deps.registry.drain();
    deps = services(kv);
    gc();
    const m0 = Deno.memoryUsage().heapUsed;
    let woken: UserState | undefined = await deps.registry.state(big);
    gc();
    const bytes = Deno.memoryUsage().heapUsed - m0;
    let text: string | undefined = stateToJson(woken);
    woken = undefined;
    gc();
    const m1 = Deno.memoryUsage().heapUsed;
    let old = mainStateFromJson(text);
    gc();
    const mainBytes = Deno.memoryUsage().heapUsed - m1;
    if (old.plays.size !== plays) throw new Error("the baseline lost play statuses");
    old = undefined;
    text = undefined;

    // 2. The big listener syncs `syncItems` new play statuses.
    const now = Date.now();
    const body: SyncPlayStatus[] = Array.from({ length: syncItems }, (_, k) => ({
      feed: FEEDS[k % FEEDS.length],
      item: itemOf(big, plays + k),
      position: k % 3600,
      played: false,
      updated_at: isoAt(now - k),
    }));
    const same = deps;
    const sync = await isolation(
      { users: small, idleMs, rounds: 1, prepare: () => Promise.resolve(same) },
      async () => {
        const r = await same.registry.execute(big, {
          type: "SyncState",
          data: { subscriptions: [], play_statuses: body, playlists: [] },
        }, DEVICE);
        if (r.events.length !== syncItems) throw new Error(`sync appended ${r.events.length}`);
        return r.events.length;
      },
    );

    // 3. One small command on the big listener vs on a small one, interleaved.
    const bigTimes: number[] = [];
    const smallTimes: number[] = [];
    for (let i = 0; i < 300; i++) {
      for (const [u, times] of [[big, bigTimes], ["small-ref", smallTimes]] as const) {
        const t = performance.now();
        await deps.registry.execute(u, {
          type: "RecordPlay",
          data: { feed: FEEDS[1], item: itemOf(u, i % 7), position: i + 1 },
        }, DEVICE);
        times.push(performance.now() - t);
      }
    }
    const median = (xs: number[]) => percentile(xs, 0.5);

    // 4. Cold wake-ups: from the event stream, then from a checkpoint at the head; each
    // round on a fresh registry (the big listener's actor cold, the small ones warmed up
    // by the idle window before).
    const fresh = async () => {
      await deps.registry.drain();
      return deps = services(kv);
    };
    const wake = (d: AppDeps) => d.registry.state(big).then((s) => s.plays.size);
    const wakeEvents = await isolation(
      { users: small, idleMs, rounds: wakeRounds, prepare: fresh },
      wake,
    );
    const head = await checkpointHead(kv, big);
    const full = await deps.registry.state(big);
    if (!await writeCheckpoint(kv, big, full, { expected: head, now: isoAt(now), reason: "age" })) {
      throw new Error("the checkpoint was not written");
    }
    const checkpointBytes = (await checkpointHead(kv, big)).value!.bytes;
    const wakeCheckpoint = await isolation(
      { users: small, idleMs, rounds: wakeRounds, prepare: fresh },
      wake,
    );
    return {
      plays,
      buildMs,
      memory: { bytes, perPlay: bytes / plays, mainBytes, mainPerPlay: mainBytes / plays },
      sync: { ...strip(sync), items: syncItems },
      command: {
        bigMs: median(bigTimes),
        smallMs: median(smallTimes),
        ratio: median(bigTimes) / median(smallTimes),
      },
      wakeEvents: strip(wakeEvents),
      wakeCheckpoint: { ...strip(wakeCheckpoint), checkpointBytes },
    };
  } finally {
    await deps.registry.drain();
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const n = (x: number) => Math.round(x).toLocaleString("en-US");
const ms = (x: number) => `${x < 10 ? x.toFixed(1) : n(x)} ms`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** Prints the results; true when a mark is missed. */
export function reportBigListener(r: BigListenerResult): boolean {
  const m = r.memory;
  console.log(`  (set-up: ${n(r.plays)} play statuses appended in ${ms(r.buildMs)})`);
  console.log(
    `  actor state, ${n(r.plays)} play statuses      : ${mb(m.bytes)} = ${n(m.perPlay)} B each ` +
      `(main's maps: ${mb(m.mainBytes)} = ${n(m.mainPerPlay)} B each, ` +
      `${(m.bytes / m.mainBytes).toFixed(2)}×)`,
  );
  const iso = (what: string, x: Isolation) =>
    console.log(
      `  ${what.padEnd(40)}: ${ms(x.workMs)}; others' p99 ${ms(x.busyP99)} vs idle ` +
        `${ms(x.idleP99)} = ${x.ratio.toFixed(2)}× (mark ≤ 2×; max ${ms(x.busyMax)}, ` +
        `${n(x.samples)} writes)`,
    );
  iso(`sync of ${n(r.sync.items)} new play statuses`, r.sync);
  console.log(
    `  one command, big vs small listener      : ${ms(r.command.bigMs)} vs ${
      ms(r.command.smallMs)
    } = ${r.command.ratio.toFixed(2)}× (medians; mark ≤ 1.5×)`,
  );
  iso("cold wake-up from the event stream", r.wakeEvents);
  iso(`cold wake-up from a checkpoint (${mb(r.wakeCheckpoint.checkpointBytes)})`, r.wakeCheckpoint);
  return r.sync.ratio > 2 || r.command.ratio > 1.5 || r.wakeCheckpoint.ratio > 2;
}

if (import.meta.main) {
  reportBigListener(await benchBigListener());
}
