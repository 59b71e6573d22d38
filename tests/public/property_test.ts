/**
 * Randomized: listeners with random privacy at every level act through the real API while
 * the clock jumps (across buckets, periods and days) and the projection and roll run at
 * random moments; after a last projection and roll, every public answer must be what the
 * reference model (`_model.ts`) computes from the same actions, and nobody who is not
 * public anywhere may be named — in an answer or in any key or value of the public
 * projection's shared key space.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { runPopularityRoll } from "../../jobs/mod.ts";
import { ProjectionRunner } from "../../src/projections/runner.ts";
import { GLOBAL_PROJECTIONS } from "../../src/services.ts";
import type { AuthTestApp } from "../_support/auth_app.ts";
import { type ApiClient, feedId, itemId, withApi } from "../api/_api.ts";
import { checkAll, EPISODES, FEEDS } from "./_checks.ts";
import { type Level, PublicModel } from "./_model.ts";

const LEVELS: readonly Level[] = ["public", "anonymous", "private"];
type Action =
  | { t: "sub" | "unsub"; u: number; f: number }
  | {
    t: "play";
    u: number;
    f: number;
    e: number;
    via: number;
    position: number;
    played?: boolean;
  }
  | { t: "save" | "unsave" | "share"; u: number; f: number; e: number; via: number }
  | {
    t: "privacy";
    u: number;
    scope: "user" | "feed" | "item";
    f: number;
    e: number;
    /** An item override may name another feed than the episode's (0: its own). */
    named: number;
    level: Level | null;
  }
  | { t: "wait"; ms: number }
  | { t: "project" | "settle" }
  /** A projection pass killed before its commit number `at` (if it gets that far). */
  | { t: "crash"; at: number };

const user = fc.nat({ max: 5 });
const feed = fc.constantFrom(...FEEDS);
const episode = fc.constantFrom(...EPISODES);
/** Now and then an episode is heard (or named) under another podcast's feed (0: its own). */
const otherFeed = fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, {
  weight: 1,
  arbitrary: feed,
});
const privacyAction: fc.Arbitrary<Action> = fc.record({
  t: fc.constant("privacy" as const),
  u: user,
  scope: fc.constantFrom("user" as const, "feed" as const, "item" as const),
  f: feed,
  e: episode,
  named: otherFeed,
  level: fc.option(fc.constantFrom(...LEVELS), { nil: null, freq: 4 }),
});
/** Waits that put earlier activity right at a period's edge (buckets are 21,428 ms). */
const boundary = fc.constantFrom(3_600_000, 3_578_572, 3_621_428, 7_200_000, 7_178_572, 7_221_428);
const wait = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 5_000 }) },
  { weight: 6, arbitrary: fc.integer({ min: 10_000, max: 120_000 }) }, // buckets are ~21 s
  { weight: 5, arbitrary: fc.integer({ min: 5 * 60_000, max: 40 * 60_000 }) }, // periods: 1 h
  { weight: 1, arbitrary: fc.integer({ min: 20 * 3_600_000, max: 26 * 3_600_000 }) }, // days
  { weight: 2, arbitrary: boundary },
);
const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constantFrom("sub" as const, "unsub" as const),
      u: user,
      f: feed,
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant("play" as const),
      u: user,
      f: feed,
      e: episode,
      via: otherFeed,
      position: fc.constantFrom(0, 30, 600, 1800),
      played: fc.option(fc.boolean(), { nil: undefined }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constantFrom("save" as const, "save" as const, "unsave" as const, "share" as const),
      u: user,
      f: feed,
      e: episode,
      via: otherFeed,
    }),
  },
  { weight: 4, arbitrary: privacyAction },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("wait" as const), ms: wait }) },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constantFrom("project" as const, "settle" as const) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant("crash" as const), at: fc.nat({ max: 6 }) }),
  },
);
const scenario = fc.record({
  defaultPrivacy: fc.constantFrom<Level>("public", "public", "anonymous", "private"),
  users: fc.integer({ min: 3, max: 6 }),
  setup: fc.array(privacyAction, { maxLength: 6, size: "max" }),
  actions: fc.array(action, { minLength: 20, maxLength: 80, size: "max" }),
  finalWait: fc.oneof(fc.constant(0), boundary),
  /** Rebuild the projections from the streams at the end, and check everything again. */
  rebuild: fc.boolean(),
  pageSize: fc.integer({ min: 2, max: 7 }),
  eventsPerUser: fc.integer({ min: 1, max: 8 }),
  usersPerPass: fc.integer({ min: 1, max: 4 }),
  offsets: fc.array(fc.nat({ max: 40 }), { minLength: 2, maxLength: 2 }),
  filter: fc.record({ kind: fc.constantFrom("subscribe", "play", "save", "share"), f: feed }),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

interface Run {
  t: AuthTestApp;
  s: Scenario;
  model: PublicModel;
  clients: ApiClient[];
  runner: ProjectionRunner;
}

async function settle(x: Run, roll: boolean): Promise<void> {
  await x.runner.drainAll();
  if (roll) await runPopularityRoll(x.t.deps);
}

async function crash(x: Run, at: number): Promise<void> {
  const { kv, store, logger, config, clock } = x.t.deps;
  const doomed = new ProjectionRunner({ kv, store, logger, config, clock }, GLOBAL_PROJECTIONS, {
    eventsPerUser: x.s.eventsPerUser,
    usersPerPass: x.s.usersPerPass,
    beforeCommit: (i) => {
      if (i === at) throw new Error("killed");
    },
  });
  try {
    await doomed.drainAll();
  } catch (err) {
    if (!(err instanceof Error) || err.message !== "killed") throw err;
  }
}

async function act(x: Run, a: Action): Promise<void> {
  switch (a.t) {
    case "wait":
      return x.t.clock.advance(a.ms);
    case "project":
    case "settle":
      return await settle(x, a.t === "settle");
    case "crash":
      return await crash(x, a.at);
    case "sub":
    case "unsub":
      return await subscription(x, a);
    case "play":
      return await play(x, a);
    case "privacy":
      return await privacy(x, a);
    default:
      return await mark(x, a);
  }
}

function who(x: Run, a: { u: number }): [number, ApiClient, string] {
  const u = a.u % x.clients.length;
  return [u, x.clients[u], `${JSON.stringify(a)} of user ${u}`];
}

async function subscription(x: Run, a: Extract<Action, { t: "sub" | "unsub" }>): Promise<void> {
  const [u, api, what] = who(x, a);
  const f = feedId(a.f);
  const now = x.t.clock.now();
  if (a.t === "sub") {
    const want = x.model.subscribe(u, f, now);
    const r = await api.post("/subscriptions", { rss_source_feed: f });
    assert.equal(r.status, want.status, `${what}: ${r.text}`);
    assert.equal(Date.parse(r.body.subscribed_at), want.atMs, what);
  } else {
    const want = x.model.unsubscribe(u, f, now);
    assert.equal((await api.delete(`/subscriptions/${f}`)).status, want.status, what);
  }
}

async function play(x: Run, a: Extract<Action, { t: "play" }>): Promise<void> {
  const [u, api, what] = who(x, a);
  const f = feedId(a.via || a.f);
  const item = itemId(a.f, a.e);
  const want = x.model.play(u, f, item, a.position, a.played, x.t.clock.now());
  const body = {
    rss_source_feed: f,
    rss_source_item: item,
    position: a.position,
    played: a.played,
  };
  const r = await api.post("/play", body);
  assert.equal(r.status, want.status, `${what}: ${r.text}`);
  assert.equal(Date.parse(r.body.updated_at), want.atMs, what);
}

async function privacy(x: Run, a: Extract<Action, { t: "privacy" }>): Promise<void> {
  const [u, api, what] = who(x, a);
  const f = feedId(a.f);
  const target: { feed?: string; item?: string } = a.scope === "user"
    ? {}
    : a.scope === "feed"
    ? { feed: f }
    : { feed: a.named ? feedId(a.named) : f, item: itemId(a.f, a.e) };
  x.model.setPrivacy(u, target, a.level);
  const r = a.level === null
    ? await api.delete(`/privacy?${new URLSearchParams(target as Record<string, string>)}`)
    : await api.put("/privacy", { privacy: a.level, ...target });
  assert.equal(r.status, 200, `${what}: ${r.text}`);
  if (target.feed) {
    assert.equal(r.body.privacy, x.model.levelOf(u, target.feed, target.item), what);
  }
}

async function mark(x: Run, a: Extract<Action, { t: "save" | "unsave" | "share" }>): Promise<void> {
  const [u, api, what] = who(x, a);
  const f = feedId(a.via || a.f);
  const item = itemId(a.f, a.e);
  const want = x.model.mark(u, a.t, f, item, x.t.clock.now());
  const path = `/episodes/${item}/${a.t === "share" ? "share" : "save"}?feed=${f}`;
  const r = a.t === "unsave" ? await api.delete(path) : await api.post(path);
  assert.equal(r.status, want.status, `${what}: ${r.text}`);
  assert.equal(r.body.changed, want.changed, what);
}

async function run(s: Scenario): Promise<void> {
  const env = {
    POPULARITY_PERIOD: "1h",
    DEFAULT_PRIVACY: s.defaultPrivacy,
    RATE_LIMIT_ANON: "1000000",
    RATE_LIMIT_USER: "1000000",
  };
  await withApi({ env }, async ({ t, api, user }) => {
    const { kv, store, logger, config, clock } = t.deps;
    const runner = new ProjectionRunner({ kv, store, logger, config, clock }, GLOBAL_PROJECTIONS, {
      eventsPerUser: s.eventsPerUser,
      usersPerPass: s.usersPerPass,
    });
    const model = new PublicModel(s.defaultPrivacy, 3_600_000);
    const clients = [api];
    for (let i = 1; i < s.users; i++) clients.push(await user(`p${i}.listener`));
    for (const [i, c] of clients.entries()) {
      model.addUser(c.userId, i === 0 ? "alice" : `p${i}.listener`);
    }
    const x: Run = { t, s, model, clients, runner };
    for (const a of [...s.setup, ...s.actions]) await act(x, a);
    t.clock.advance(s.finalWait);
    await settle(x, true);
    await checkAll(x);
    if (!s.rebuild) return;
    await runner.rebuild();
    await runPopularityRoll(t.deps);
    await checkAll(x);
  });
}

Deno.test("every public answer equals a reference model of random listeners, privacy and time", async () => {
  await fc.assert(fc.asyncProperty(scenario, run), { seed: 20_260_115, numRuns: 30 });
});
