/**
 * Public-activity benchmark, every number a ratio to something measured in the same run:
 *
 * 1. Roll cost vs history: two fresh KV files, A with H events of old history (subscribes,
 *    plays, saves and shares 60–20 days ago, projected, and rolled as of 20 days ago) and B
 *    with 10×H of the same kind. After a settling roll, the same recent activity goes into
 *    both, is projected, and the roll that follows is timed (alternately A and B, median of
 *    several rounds). The roll must not grow with old history: B / A ≤ 1.3.
 * 2. Reads: trending podcasts, trending episodes and a timeline page next to a bare
 *    `kv.list` of as many entries of the same prefix in the same KV.
 * 3. Projection throughput: 10,000 plays projected by the runner (public + counters)
 *    against the same planned mutations committed raw, in commits of the runner's size.
 */
import process from "node:process";
import { hashPassword } from "../src/auth/passwords.ts";
import type { User } from "../src/auth/users.ts";
import { type Clock, isoAt } from "../src/clock.ts";
import { type Config, loadConfig } from "../src/config.ts";
import { encodeFeedId, encodeItemId } from "../src/domain/ids.ts";
import { silentLogger } from "../src/logger.ts";
import { rollPopularity } from "../src/projections/popularity_roll.ts";
import type { PlanStep } from "../src/projections/projection.ts";
import { type AppDeps, createServices, GLOBAL_PROJECTIONS } from "../src/services.ts";
import { saveFeedMeta } from "../src/store/feed_meta.ts";
import { KV_LIMITS } from "../src/store/group_commit.ts";
import * as keys from "../src/store/keys.ts";
import { listTimeline, trendingEpisodes, trendingPodcasts } from "../src/store/public_queries.ts";
import { mutationSize } from "../src/store/sizing.ts";
import type { CommandInput } from "../src/user_commands.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Options of {@linkcode benchPublic}. */
export interface PublicBenchOptions {
  /** Multiplies the history's users (A: 100 × scale, B: 10×) and the projected plays. */
  scale?: number;
  /** Rounds of recent activity + roll on each KV, at most 14 (the median is reported). */
  rounds?: number;
  /** Users in each round of recent activity. */
  recentUsers?: number;
  /** Iterations of each read (the median is reported). */
  readIterations?: number;
}

/** One side of the roll measurement. */
export interface RollSide {
  users: number;
  /** Events of old history. */
  events: number;
  /** Wall time to append, project and roll the history (setup, not a result). */
  buildMs: number;
  /** The roll right after the history: it settles every old bucket. */
  settleMs: number;
  settleEntities: number;
  settleCollected: number;
  /** Median time of the roll after each round of recent activity. */
  rollMs: number;
  rollSamples: number[];
  /** The same rolls in process CPU time (ms). */
  rollCpuMs: number;
  rollCpuSamples: number[];
  /** Median time of making each roll's reads again, bare, right after it (a reference). */
  replayMs: number;
  replaySamples: number[];
  /** KV work of each of those rolls. */
  rollWork: KvWork[];
  /** Records the roll recomputed per round. */
  rollEntities: number;
  /** Entries under the public prefixes once done (what history left behind). */
  keysLeft: Record<string, number>;
}

/** One read next to its bare list. */
export interface ReadResult {
  name: string;
  entries: number;
  oursMs: number;
  bareMs: number;
  ratio: number;
}

/** What {@linkcode benchPublic} measured. */
export interface PublicBenchResult {
  roll: {
    a: RollSide;
    b: RollSide;
    /** B / A of the median roll times: the target (≤ 1.3). */
    ratio: number;
    cpuRatio: number;
    /** B / A of the rolls' reads made again bare: what the storage alone does. */
    replayRatio: number;
    /** B / A of the KV entries read and written by those rolls (noise-free). */
    workRatio: number;
    recentEvents: number;
  };
  reads: ReadResult[];
  projection: {
    events: number;
    users: number;
    runnerPerSec: number;
    runnerCommits: number;
    rawPerSec: number;
    rawCommits: number;
    ratio: number;
    mutations: number;
    /** Of the plan pass done for the raw side: reading events, load, plan (ms). */
    readMs: number;
    loadMs: number;
    planMs: number;
    rawCommitMs: number;
    runnerMs: number;
    projected: number;
  };
}

/** A clock the benchmark moves by hand. */
class BenchClock implements Clock {
  t: number;
  constructor(t: number) {
    this.t = t;
  }
  now(): number {
    return this.t;
  }
}

/** Small deterministic PRNG (mulberry32), so A and B get the same kind of history. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const feedId = (i: number) => encodeFeedId(`https://bench.example.org/feeds/${i}.xml`);
const itemId = (feed: number, ep: string) =>
  encodeItemId(`ep-${feed}-${ep}`, `https://bench.example.org/feeds/${feed}/${ep}.mp3`);

interface World {
  kv: Deno.Kv;
  deps: AppDeps;
  clock: BenchClock;
  users: string[];
  commits: { n: number };
}

function config(): Config {
  return loadConfig({ KV_PATH: "bench", KV_QUEUES: "off" });
}

/** Opens a fresh KV with services on a hand-moved clock; projection runs only when asked. */
async function openWorld(path: string, start: number): Promise<World> {
  const kv = await Deno.openKv(path);
  const clock = new BenchClock(start);
  const commits = { n: 0 };
  const deps = createServices({
    kv,
    config: config(),
    clock,
    logger: silentLogger,
    autoProject: false,
    passwordIterations: 1_000,
    runnerOptions: { beforeCommit: () => commits.n++ },
  });
  return { kv, deps, clock, users: [], commits };
}

async function closeWorld(w: World): Promise<void> {
  await w.deps.registry.drain();
  await w.deps.projector.stop();
  w.kv.close();
}

/** Writes `n` user records the way createUser does (one shared password hash). */
async function createUsers(w: World, n: number, prefix: string): Promise<void> {
  const password_hash = await hashPassword("bench password", { iterations: 1_000 });
  for (let u = 0; u < n; u += 200) {
    const op = w.kv.atomic();
    for (let i = u; i < Math.min(n, u + 200); i++) {
      const user: User = {
        id: crypto.randomUUID(),
        username: `${prefix}${i}`,
        email: null,
        password_hash,
        role: i === 0 ? "admin" : "user",
        created_at: isoAt(w.clock.now()),
      };
      op.set(keys.userKey(user.id), user).set(keys.usernameKey(user.username), user.id);
      if (i === 0) op.set(keys.firstUserKey(), { user_id: user.id, at: user.created_at });
      w.users.push(user.id);
    }
    if (!(await op.commit()).ok) throw new Error("user commit failed");
  }
}

/** Runs commands with at most `inFlight` at once; returns the events they appended. */
async function runAll(
  w: World,
  jobs: readonly { user: number; command: CommandInput }[],
  inFlight = 256,
): Promise<number> {
  let next = 0, events = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      const r = await w.deps.registry.execute(w.users[job.user], job.command);
      events += r.events.length;
    }
  }));
  return events;
}

/** Counts entries under a prefix (setup and reporting only). */
async function count(kv: Deno.Kv, prefix: Deno.KvKey): Promise<number> {
  let n = 0;
  for await (const _ of kv.list({ prefix }, { batchSize: 1000 })) n++;
  return n;
}

/** Process CPU time in ms (all threads, SQLite's included): steadier on a busy machine. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** KV work a call did: entries read (gets and listed entries), lists, mutations, commits. */
export interface KvWork {
  reads: number;
  lists: number;
  mutations: number;
  checks: number;
  commits: number;
}

function noWork(): KvWork {
  return { reads: 0, lists: 0, mutations: 0, checks: 0, commits: 0 };
}

/** A read as a code path made it, to be made again bare. */
type ReadOp =
  | { get: Deno.KvKey }
  | { getMany: Deno.KvKey[] }
  | { list: Deno.KvListSelector; options?: Deno.KvListOptions };

/**
 * The same KV, counting the work done through it (and logging its reads): what a code
 * path reads and writes does not depend on the machine's noise, so B / A of it says
 * whether the path grows.
 */
function countingKv(kv: Deno.Kv, work: KvWork, log: ReadOp[] = []): Deno.Kv {
  const atomic = (op: Deno.AtomicOperation): Deno.AtomicOperation => {
    const proxy: Deno.AtomicOperation = new Proxy(op, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target);
        if (typeof v !== "function") return v;
        return (...args: unknown[]) => {
          if (prop === "commit") work.commits++;
          else if (prop === "mutate") work.mutations += args.length;
          else if (prop === "check") work.checks += args.length;
          else if (prop !== "enqueue") work.mutations++;
          const r = v.apply(target, args);
          return r === target ? proxy : r;
        };
      },
    });
    return proxy;
  };
  const list = <T>(selector: Deno.KvListSelector, options?: Deno.KvListOptions) => {
    work.lists++;
    log.push({ list: selector, options });
    const it = kv.list<T>(selector, options);
    const wrapped = {
      get cursor() {
        return it.cursor;
      },
      async next() {
        const r = await it.next();
        if (!r.done) work.reads++;
        return r;
      },
      [Symbol.asyncIterator]() {
        return wrapped;
      },
    };
    return wrapped as unknown as Deno.KvListIterator<T>;
  };
  return new Proxy(kv, {
    get(target, prop) {
      switch (prop) {
        case "get":
          return (key: Deno.KvKey, o?: { consistency?: Deno.KvConsistencyLevel }) => {
            work.reads++;
            log.push({ get: key });
            return target.get(key, o);
          };
        case "getMany":
          return (list: Deno.KvKey[], o?: { consistency?: Deno.KvConsistencyLevel }) => {
            work.reads += list.length;
            log.push({ getMany: list });
            return target.getMany(list, o);
          };
        case "list":
          return list;
        case "atomic":
          return () => atomic(target.atomic());
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

/** Makes the logged reads again, with nothing around them: what the storage alone costs. */
async function replayReads(kv: Deno.Kv, log: readonly ReadOp[]): Promise<void> {
  for (const op of log) {
    if ("get" in op) await kv.get(op.get);
    else if ("getMany" in op) await kv.getMany(op.getMany);
    else for await (const _ of kv.list(op.list, op.options));
  }
}

const HISTORY_USERS = 100;
/** What each user of the history does. */
const HISTORY_MIX = { subscribes: 3, plays: 10, saves: 2, shares: 1 };
/** Days of history: from 60 to 20 days before the measured rolls. */
const HISTORY_FROM_DAYS = 60;
const HISTORY_DAYS = 40;
const EPISODES_PER_FEED = 20;
/**
 * The recent activity goes to the most popular feeds, mostly to episodes nobody played
 * before: each round makes about 570 records to roll, a sample long enough to average out
 * a busy machine's hiccups.
 */
const RECENT_FEEDS = 20;
const RECENT_EPISODES = 100;
const RECENT_PLAYS = 3;

/**
 * Old history for `users` users over a catalogue of 2 feeds per 5 users (skewed: low feed
 * numbers are popular), 20 episodes each: every user subscribes to 3 feeds, plays 10
 * episodes, saves 2 and shares one, at random times 60–20 days before `now` (its
 * `recorded_at`). Then projected, and rolled as of 20 days ago.
 */
async function buildHistory(w: World, users: number, now: number): Promise<number> {
  const random = rng(42);
  const feeds = Math.max(RECENT_FEEDS, Math.floor((users * 2) / 5));
  const start = now - HISTORY_FROM_DAYS * DAY;
  const jobs: { at: number; user: number; command: CommandInput }[] = [];
  const when = () => start + Math.floor(random() * HISTORY_DAYS * DAY);
  const pickFeed = () => Math.floor(feeds * random() * random());
  for (let u = 0; u < users; u++) {
    for (let s = 0; s < HISTORY_MIX.subscribes; s++) {
      jobs.push({
        at: when(),
        user: u,
        command: { type: "Subscribe", data: { feed: feedId(pickFeed()) } },
      });
    }
    const played: [number, string][] = [];
    for (let p = 0; p < HISTORY_MIX.plays; p++) {
      const f = pickFeed();
      const ep = String(Math.floor(random() * EPISODES_PER_FEED));
      played.push([f, ep]);
      jobs.push({
        at: when(),
        user: u,
        command: {
          type: "RecordPlay",
          data: { feed: feedId(f), item: itemId(f, ep), position: 60 },
        },
      });
    }
    const others = [
      ...Array(HISTORY_MIX.saves).fill("SaveEpisode"),
      ...Array(HISTORY_MIX.shares).fill("ShareEpisode"),
    ] as ("SaveEpisode" | "ShareEpisode")[];
    for (const type of others) {
      const [f, ep] = played[Math.floor(random() * played.length)];
      jobs.push({
        at: when(),
        user: u,
        command: { type, data: { feed: feedId(f), item: itemId(f, ep) } },
      });
    }
  }
  jobs.sort((a, b) => a.at - b.at);
  let events = 0;
  // Hour by hour (a popularity bucket), each hour's commands at once at its first
  // command's time, which becomes their events' recorded_at.
  for (let i = 0; i < jobs.length;) {
    const hour = Math.floor(jobs[i].at / HOUR);
    let j = i;
    while (j < jobs.length && Math.floor(jobs[j].at / HOUR) === hour) j++;
    w.clock.t = jobs[i].at;
    events += await runAll(w, jobs.slice(i, j));
    i = j;
  }
  // Projected as if promptly: the runner's clock only decides which buckets are still
  // counted, so at the history's start every event counts (one unit per user: cheap).
  w.clock.t = start;
  await w.deps.projector.drainAll();
  // The last roll of that time; the measured KVs then settle it at "now".
  w.clock.t = start + HISTORY_DAYS * DAY;
  await rollPopularity(w.deps, { now: w.clock.now() });
  return events;
}

/** One round of recent activity: `users` users × 3 plays of new episodes of popular feeds. */
function recentJobs(round: number, users: number): { user: number; command: CommandInput }[] {
  const random = rng(1000 + round);
  const jobs: { user: number; command: CommandInput }[] = [];
  for (let u = 0; u < users; u++) {
    for (let p = 0; p < RECENT_PLAYS; p++) {
      const f = Math.floor(RECENT_FEEDS * random());
      const ep = `r${round}-${Math.floor(RECENT_EPISODES * random())}`;
      jobs.push({
        user: u,
        command: {
          type: "RecordPlay",
          data: { feed: feedId(f), item: itemId(f, ep), position: 30 },
        },
      });
    }
  }
  return jobs;
}

const PUBLIC_PREFIXES: [string, Deno.KvKey][] = [
  ["trace", ["trace"]],
  ["timeline", keys.timelinePrefix()],
  ["pop_n", keys.popCountPrefix()],
  ["pop_b", keys.popBucketPrefix()],
  ["pop_p", keys.popPersonPrefix()],
  ["pop_t", keys.popTotalPrefix()],
  ["trend", keys.trendingPrefix()],
];

async function rollBench(dir: string, scale: number, rounds: number, recentUsers: number) {
  // A fixed "now" a minute past an hour, so the rounds (4 minutes apart) stay in one bucket.
  const now = Math.floor(Date.now() / HOUR) * HOUR + MINUTE;
  const sides: { w: World; side: RollSide }[] = [];
  try {
    for (
      const [name, users] of [
        ["a", Math.round(HISTORY_USERS * scale)],
        ["b", Math.round(10 * HISTORY_USERS * scale)],
      ] as const
    ) {
      const w = await openWorld(`${dir}/history-${name}.kv`, now - HISTORY_FROM_DAYS * DAY - DAY);
      sides.push({ w, side: undefined as unknown as RollSide });
      const t0 = performance.now();
      await createUsers(w, Math.max(users, recentUsers), `hist${name}`);
      const events = await buildHistory(w, users, now);
      const buildMs = performance.now() - t0;
      w.clock.t = now;
      const settle = await rollPopularity(w.deps, { now });
      sides[sides.length - 1].side = {
        users,
        events,
        buildMs,
        settleMs: settle.duration_ms,
        settleEntities: settle.entities,
        settleCollected: settle.collected,
        rollMs: 0,
        rollSamples: [],
        rollCpuMs: 0,
        rollCpuSamples: [],
        replayMs: 0,
        replaySamples: [],
        rollWork: [],
        rollEntities: 0,
        keysLeft: {},
      };
    }
    let recentEvents = 0;
    for (let round = 0; round < rounds; round++) {
      const jobs = recentJobs(round, recentUsers);
      // Alternate which side goes first, so drift in the machine's speed hits both.
      const order = round % 2 === 0 ? sides : [...sides].reverse();
      for (const { w, side } of order) {
        // The activity happens over the 3 minutes before the roll.
        const rollAt = now + (round + 1) * 4 * MINUTE;
        const chunk = Math.ceil(jobs.length / 3);
        let n = 0;
        for (let k = 0; k < 3; k++) {
          w.clock.t = rollAt - (3 - k) * MINUTE;
          n += await runAll(w, jobs.slice(k * chunk, (k + 1) * chunk));
        }
        w.clock.t = rollAt;
        await w.deps.projector.drainAll();
        const work = noWork();
        const log: ReadOp[] = [];
        const deps = { kv: countingKv(w.kv, work, log), config: w.deps.config, clock: w.clock };
        const t0 = performance.now(), c0 = cpuMs();
        const r = await rollPopularity(deps, { now: rollAt });
        side.rollSamples.push(performance.now() - t0);
        side.rollCpuSamples.push(cpuMs() - c0);
        side.rollEntities = r.entities;
        side.rollWork.push(work);
        // Reference: the same reads again, bare, in the same KV right after the roll.
        const g0 = performance.now();
        await replayReads(w.kv, log);
        side.replaySamples.push(performance.now() - g0);
        if (side === sides[0].side) recentEvents = n;
      }
    }
    for (const { w, side } of sides) {
      side.rollMs = median(side.rollSamples);
      side.rollCpuMs = median(side.rollCpuSamples);
      side.replayMs = median(side.replaySamples);
      for (const [name, prefix] of PUBLIC_PREFIXES) side.keysLeft[name] = await count(w.kv, prefix);
    }
    const [a, b] = sides.map((s) => s.side);
    return {
      a,
      b,
      ratio: b.rollMs / a.rollMs,
      cpuRatio: b.rollCpuMs / a.rollCpuMs,
      replayRatio: b.replayMs / a.replayMs,
      workRatio: totalWork(b.rollWork) / totalWork(a.rollWork),
      recentEvents,
    };
  } finally {
    for (const { w } of sides) await closeWorld(w);
  }
}

function totalWork(ws: readonly KvWork[]): number {
  return ws.reduce((n, w) => n + w.reads + w.mutations + w.checks, 0);
}

/** Packs planned steps into commits within the runner's limits, committed one by one. */
async function commitRaw(kv: Deno.Kv, steps: PlanStep[]): Promise<number> {
  // The runner's budget per commit (runner.ts: RESERVED and LIMITS).
  const limits = {
    mutations: KV_LIMITS.mutations - 20,
    bytes: KV_LIMITS.bytes * 0.8 - 16 * 1024,
    keyBytes: KV_LIMITS.keyBytes * 0.8 - 4 * 1024,
  };
  let commits = 0;
  let op = kv.atomic();
  let used = { mutations: 0, bytes: 0, keyBytes: 0 };
  const flush = async () => {
    if (used.mutations === 0) return;
    if (!(await op.commit()).ok) throw new Error("raw commit failed");
    commits++;
    op = kv.atomic();
    used = { mutations: 0, bytes: 0, keyBytes: 0 };
  };
  for (const step of steps) {
    const cost = { mutations: step.mutations.length, bytes: 0, keyBytes: 0 };
    for (const m of step.mutations) {
      const s = mutationSize(m);
      cost.bytes += s.bytes;
      cost.keyBytes += s.keyBytes;
    }
    if (
      used.mutations + cost.mutations > limits.mutations ||
      used.bytes + cost.bytes > limits.bytes || used.keyBytes + cost.keyBytes > limits.keyBytes
    ) await flush();
    op.mutate(...step.mutations);
    used.mutations += cost.mutations;
    used.bytes += cost.bytes;
    used.keyBytes += cost.keyBytes;
  }
  await flush();
  return commits;
}

const PROJECTED_USERS = 1_000;
const PROJECTED_PLAYS = 10;
const PROJECTED_FEEDS = 200;

async function projectionAndReads(dir: string, scale: number, readIterations: number) {
  const now = Date.now();
  const w = await openWorld(`${dir}/projection.kv`, now);
  const raw = await Deno.openKv(`${dir}/raw.kv`);
  try {
    const users = Math.max(1, Math.round(PROJECTED_USERS * scale));
    await createUsers(w, users, "proj");
    // Titles for every feed and its episodes, so reads describe entries as they would.
    for (let f = 0; f < PROJECTED_FEEDS; f++) {
      await saveFeedMeta(w.kv, {
        feed: feedId(f),
        feedUrl: `https://bench.example.org/feeds/${f}.xml`,
        title: `Bench podcast ${f}`,
        author: "Bench",
        episodes: Array.from({ length: 50 }, (_, e) => ({
          item: itemId(f, String(e)),
          title: `Episode ${e} of podcast ${f}`,
        })),
      }, { now });
    }
    const random = rng(7);
    const jobs: { user: number; command: CommandInput }[] = [];
    for (let u = 0; u < users; u++) {
      for (let p = 0; p < PROJECTED_PLAYS; p++) {
        const f = Math.floor(PROJECTED_FEEDS * random() * random());
        const ep = String(Math.floor(50 * random()));
        jobs.push({
          user: u,
          command: {
            type: "RecordPlay",
            data: { feed: feedId(f), item: itemId(f, ep), position: 1 },
          },
        });
      }
    }
    // Spread over the last hour, as a burst the projector catches up with.
    w.clock.t = now - HOUR;
    for (let k = 0; k < 10; k++) {
      const part = jobs.slice(k * jobs.length / 10, (k + 1) * jobs.length / 10);
      await runAll(w, part);
      w.clock.t += 6 * MINUTE;
    }
    w.clock.t = now;
    let events = 0;
    for (const id of w.users) events += (await w.deps.store.head(id)).seq;

    // The raw side: the same plans (load + plan on the same KV before the runner touches
    // it), committed without cursors, checks or markers into a fresh KV.
    const steps: PlanStep[] = [];
    let readMs = 0, loadMs = 0, planMs = 0;
    const env = { kv: w.kv, config: w.deps.config, now };
    for (const userId of w.users) {
      let t = performance.now();
      const all = await w.deps.store.readEvents(userId, 0);
      readMs += performance.now() - t;
      for (const def of GLOBAL_PROJECTIONS) {
        const handled = all.filter((e) => def.handles.has(e.type));
        if (handled.length === 0) continue;
        t = performance.now();
        const ctx = await def.load(env, userId, handled);
        loadMs += performance.now() - t;
        t = performance.now();
        steps.push(...def.plan(userId, handled, ctx, now));
        planMs += performance.now() - t;
      }
    }
    const mutations = steps.reduce((n, s) => n + s.mutations.length, 0);
    let t0 = performance.now();
    const rawCommits = await commitRaw(raw, steps);
    const rawCommitMs = performance.now() - t0;

    w.commits.n = 0;
    t0 = performance.now();
    await w.deps.projector.drainAll();
    const runnerMs = performance.now() - t0;
    const projected = Number(
      (await w.kv.get<Deno.KvU64>(keys.statKey("projected", "played"))).value?.value ?? 0n,
    );
    const runnerPerSec = events / (runnerMs / 1000);
    const rawPerSec = events / (rawCommitMs / 1000);
    const projection = {
      events,
      users,
      runnerPerSec,
      runnerCommits: w.commits.n,
      rawPerSec,
      rawCommits,
      ratio: runnerPerSec / rawPerSec,
      mutations,
      readMs,
      loadMs,
      planMs,
      rawCommitMs,
      runnerMs,
      projected,
    };

    // Reads, on the rolled result of those plays.
    await rollPopularity(w.deps, { now });
    const reads: ReadResult[] = [];
    const bare = async (prefix: Deno.KvKey, limit: number) => {
      let n = 0;
      for await (const _ of w.kv.list({ prefix }, { limit, batchSize: limit })) n++;
      return n;
    };
    const cases: [string, number, () => Promise<number>, () => Promise<number>][] = [
      [
        "trending podcasts",
        100,
        async () => (await trendingPodcasts(w.kv, 100)).length,
        () => bare(keys.trendingPrefix("feed"), 100),
      ],
      [
        "trending episodes",
        100,
        async () => (await trendingEpisodes(w.kv, 100)).length,
        () => bare(keys.trendingPrefix("item"), 100),
      ],
      [
        "timeline page",
        200,
        async () => (await listTimeline(w.kv, { limit: 200 })).events.length,
        () => bare(keys.timelinePrefix(), 200),
      ],
    ];
    for (const [name, limit, ours, plain] of cases) {
      const oursMs: number[] = [], bareMs: number[] = [];
      let entries = 0;
      await ours(); // the feed metadata cache fills on first use, as in a running server
      for (let i = 0; i < readIterations; i++) {
        let t = performance.now();
        entries = await ours();
        oursMs.push(performance.now() - t);
        t = performance.now();
        const n = await plain();
        bareMs.push(performance.now() - t);
        if (n !== entries) throw new Error(`${name}: ${entries} entries, bare list ${n}`);
      }
      const o = median(oursMs), b = median(bareMs);
      reads.push({ name: `${name}, limit ${limit}`, entries, oursMs: o, bareMs: b, ratio: o / b });
    }
    return { projection, reads };
  } finally {
    raw.close();
    await closeWorld(w);
  }
}

/** Runs the three measurements on fresh KV files in a temporary directory. */
export async function benchPublic(options: PublicBenchOptions = {}): Promise<PublicBenchResult> {
  const scale = options.scale ?? 1;
  const rounds = Math.min(14, options.rounds ?? 9);
  const dir = await Deno.makeTempDir({ prefix: "balados-public-bench-" });
  try {
    const roll = await rollBench(dir, scale, rounds, options.recentUsers ?? 200);
    const { projection, reads } = await projectionAndReads(
      dir,
      scale,
      options.readIterations ?? 200,
    );
    return { roll, reads, projection };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

/** Prints the results; returns true when below target (the roll grows with history). */
export function reportPublic(r: PublicBenchResult): boolean {
  const { a, b } = r.roll;
  console.log(
    `  old history (60–20 days ago), A / B   : ${fmt(a.events)} / ${fmt(b.events)} events of ` +
      `${fmt(a.users)} / ${fmt(b.users)} users (built in ${(a.buildMs / 1000).toFixed(1)} / ` +
      `${(b.buildMs / 1000).toFixed(1)} s)`,
  );
  console.log(
    `  settling roll, A / B                  : ${fmt(a.settleMs)} / ${fmt(b.settleMs)} ms, ` +
      `${fmt(a.settleEntities)} / ${fmt(b.settleEntities)} records, ` +
      `${fmt(a.settleCollected)} / ${fmt(b.settleCollected)} old buckets collected`,
  );
  const samples = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(" ");
  console.log(
    `  roll after the same ${r.roll.recentEvents} recent plays : A ${a.rollMs.toFixed(1)} ms, ` +
      `B ${b.rollMs.toFixed(1)} ms (medians; ${a.rollEntities} / ${b.rollEntities} records)`,
  );
  console.log(
    `    samples A / B (wall ms)             : ${samples(a.rollSamples)} / ${
      samples(b.rollSamples)
    }`,
  );
  console.log(
    `    same rolls in process CPU           : A ${a.rollCpuMs.toFixed(1)} ms, ` +
      `B ${b.rollCpuMs.toFixed(1)} ms, B / A ${r.roll.cpuRatio.toFixed(2)}×`,
  );
  const work = (ws: readonly KvWork[]) => {
    const sum = ws.reduce((t, w) => ({
      reads: t.reads + w.reads,
      lists: t.lists + w.lists,
      mutations: t.mutations + w.mutations,
      checks: t.checks + w.checks,
      commits: t.commits + w.commits,
    }), noWork());
    const per = (n: number) => fmt(n / Math.max(1, ws.length));
    return `${per(sum.reads)} read (${per(sum.lists)} lists), ${per(sum.mutations)} written, ` +
      `${per(sum.checks)} checks, ${per(sum.commits)} commits`;
  };
  console.log(`    KV work per roll, A                 : ${work(a.rollWork)}`);
  console.log(
    `    KV work per roll, B                 : ${work(b.rollWork)}  (B / A ${
      r.roll.workRatio.toFixed(2)
    }×)`,
  );
  console.log(
    `    the same reads again, bare          : A ${a.replayMs.toFixed(1)} ms, ` +
      `B ${b.replayMs.toFixed(1)} ms, B / A ${r.roll.replayRatio.toFixed(2)}×  (storage alone)`,
  );
  console.log(
    `  ratio (B / A, wall)                   : ${r.roll.ratio.toFixed(2)}×  (target ≤ 1.30×); ` +
      `÷ the storage's own B / A: ${(r.roll.ratio / r.roll.replayRatio).toFixed(2)}×`,
  );
  const left = (s: RollSide) =>
    Object.entries(s.keysLeft).map(([k, v]) => `${k} ${fmt(v)}`).join(", ");
  console.log(`  keys left, A                          : ${left(a)}`);
  console.log(`  keys left, B                          : ${left(b)}`);

  console.log(`\npublic reads (median of many; ours / bare kv.list of as many entries)`);
  for (const x of r.reads) {
    console.log(
      `  ${(x.name + ` (${x.entries})`).padEnd(38)}: ${x.oursMs.toFixed(2)} ms vs ` +
        `${x.bareMs.toFixed(2)} ms bare = ${x.ratio.toFixed(1)}×${
          x.ratio > 10 ? "  (> 10×!)" : ""
        }`,
    );
  }

  const p = r.projection;
  console.log(
    `\nprojection: ${fmt(p.events)} plays of ${fmt(p.users)} users (public + counters)`,
  );
  console.log(
    `  runner (drainAll)                     : ${fmt(p.runnerPerSec)} events/s, ` +
      `${p.runnerCommits} commits, ${(p.runnerMs / 1000).toFixed(2)} s`,
  );
  console.log(
    `  raw commits of the same plans         : ${fmt(p.rawPerSec)} events/s, ` +
      `${p.rawCommits} commits of ${fmt(p.mutations / Math.max(1, p.rawCommits))} mutations ` +
      `(${(p.mutations / Math.max(1, p.events)).toFixed(1)} per play)`,
  );
  console.log(`  ratio (runner / raw)                  : ${p.ratio.toFixed(2)}×  (informational)`);
  const parts = p.readMs + p.loadMs + p.planMs + p.rawCommitMs;
  const pct = (x: number) => `${((100 * x) / parts).toFixed(0)}%`;
  console.log(
    `  one plan pass, by part                : read events ${fmt(p.readMs)} ms (${
      pct(p.readMs)
    }), load ${fmt(p.loadMs)} ms (${pct(p.loadMs)}), plan ${fmt(p.planMs)} ms (${
      pct(p.planMs)
    }), commit ${fmt(p.rawCommitMs)} ms (${pct(p.rawCommitMs)})`,
  );
  console.log(`  plays counted by the counters         : ${fmt(p.projected)}`);
  return r.roll.ratio > 1.3 || p.projected !== p.events;
}
