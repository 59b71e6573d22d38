import assert from "node:assert/strict";
import { cronJobs } from "../../jobs/mod.ts";
import { loadConfig } from "../../src/config.ts";
import { EMPTY_STATE } from "../../src/domain/state.ts";
import { silentLogger } from "../../src/logger.ts";
import { countersProjection } from "../../src/projections/counters.ts";
import type { GlobalProjection } from "../../src/projections/projection.ts";
import { ProjectionRunner, type RunnerOptions } from "../../src/projections/runner.ts";
import { EventStore } from "../../src/store/event_store.ts";
import * as keys from "../../src/store/keys.ts";
import { buildTestApp } from "../_support/app.ts";
import { FakeClock } from "../_support/clock.ts";
import { playedEvent, subscribedEvent } from "../_support/events.ts";

const config = loadConfig({ KV_PATH: ":memory:" });

function runner(
  kv: Deno.Kv,
  store: EventStore,
  projections: readonly GlobalProjection[] = [countersProjection],
  options: RunnerOptions = {},
) {
  return new ProjectionRunner(
    { kv, store, logger: silentLogger, config, clock: new FakeClock() },
    projections,
    options,
  );
}

async function counts(kv: Deno.Kv) {
  const read = async (...k: string[]) =>
    Number((await kv.get<Deno.KvU64>(keys.statKey(...k))).value?.value ?? 0n);
  return {
    played: await read("projected", "played"),
    subscribed: await read("projected", "subscribed"),
    markers: (await Array.fromAsync(kv.list({ prefix: keys.outboxPrefix() }))).length,
  };
}

async function seed(store: EventStore, users: number) {
  for (let u = 0; u < users; u++) {
    const r = await store.append(`u${u}`, EMPTY_STATE, [subscribedEvent(1), playedEvent(1, 10)]);
    await store.append(`u${u}`, r.state, [playedEvent(2, 20)]);
  }
}

/** A projection writing one key per event: `["echo", user, seq]`. */
function echo(version = 1, perEvent = 1): GlobalProjection<null> {
  return {
    name: "echo",
    version,
    handles: new Set(["played", "subscribed"]),
    prefixes: [["echo"]],
    load: () => Promise.resolve(null),
    plan: (userId, events) =>
      events.map((e) => ({
        seq: e.seq,
        mutations: Array.from({ length: perEvent }, (_, i) => ({
          type: "set" as const,
          key: ["echo", userId, e.seq, i],
          value: { v: version, pad: "x".repeat(100) },
        })),
      })),
  };
}

Deno.test("the runner counts appended events by type and clears the outbox", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = new EventStore({ kv });
  await seed(store, 3);
  const r = await runner(kv, store).drainAll();
  assert.equal(r.events, 9);
  assert.deepEqual(await counts(kv), { played: 6, subscribed: 3, markers: 0 });
  kv.close();
});

Deno.test("the same wake-up twice gives the same output", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = new EventStore({ kv });
  await seed(store, 2);
  const p = runner(kv, store);
  await p.drainAll();
  const once = await counts(kv);
  await p.drainAll();
  await p.handleMessage({ kind: "project", userId: "u0", toSeq: 3 });
  assert.deepEqual(await counts(kv), once);
  kv.close();
});

Deno.test("two runners racing over one outbox count every event exactly once", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = new EventStore({ kv });
  await seed(store, 40);
  const a = runner(kv, store, [countersProjection], { usersPerPass: 7 });
  const b = runner(kv, store, [countersProjection], { usersPerPass: 5 });
  await Promise.all([a.drainAll(), b.drainAll(), a.drainAll()]);
  await a.drainAll();
  assert.deepEqual(await counts(kv), { played: 80, subscribed: 40, markers: 0 });
  kv.close();
});

Deno.test("a marker written after the runner read the outbox survives for the next pass", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = new EventStore({ kv });
  const r = await store.append("u1", EMPTY_STATE, [playedEvent(1, 1)]);
  const p = runner(kv, store, [countersProjection], { eventsPerUser: 1 });
  await p.runPass();
  await store.append("u1", r.state, [playedEvent(1, 2), playedEvent(1, 3)]);
  await p.drainAll();
  assert.deepEqual(await counts(kv), { played: 3, subscribed: 0, markers: 0 });
  kv.close();
});

Deno.test("a plan bigger than one commit lands in several, and each event once", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = new EventStore({ kv });
  const events = Array.from({ length: 150 }, (_, i) => playedEvent(i, i + 1));
  await store.append("u1", EMPTY_STATE, events);
  // 150 events × 40 keys = 6,000 mutations: at least 7 commits of ≤ 1,000.
  const seen: number[] = [];
  const p = runner(kv, store, [echo(1, 40)], { beforeCommit: (i) => seen.push(i) });
  await p.drainAll();
  assert.ok(seen.length >= 7, `commits: ${seen.length}`);
  assert.equal((await Array.fromAsync(kv.list({ prefix: ["echo"] }))).length, 6000);
  assert.equal((await kv.get(keys.cursorKey("echo", "u1"))).value, 150);
  assert.equal((await counts(kv)).markers, 0);
  kv.close();
});

Deno.test("a runner killed between commits resumes where it stopped, with no double count", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = new EventStore({ kv });
  for (let u = 0; u < 30; u++) {
    await store.append(
      `u${u}`,
      EMPTY_STATE,
      Array.from({ length: 40 }, (_, i) => playedEvent(i, 1)),
    );
  }
  const crash = runner(kv, store, [countersProjection, echo(1, 20)], {
    usersPerPass: 30,
    beforeCommit: (i) => {
      if (i === 3) throw new Error("killed");
    },
  });
  await assert.rejects(crash.runPass(), /killed/);
  const partial = (await Array.fromAsync(kv.list({ prefix: ["echo"] }))).length;
  assert.ok(partial > 0 && partial < 30 * 40 * 20, `partial: ${partial}`);
  await runner(kv, store, [countersProjection, echo(1, 20)]).drainAll();
  assert.equal((await Array.fromAsync(kv.list({ prefix: ["echo"] }))).length, 30 * 40 * 20);
  assert.deepEqual(await counts(kv), { played: 1200, subscribed: 0, markers: 0 });
  kv.close();
});

Deno.test("bumping one projection's version rebuilds that one alone", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = new EventStore({ kv });
  await seed(store, 3);
  await runner(kv, store, [countersProjection, echo(1)]).drainAll();
  const before = await counts(kv);
  await kv.set(["echo", "stale"], 1); // an output the new version no longer makes
  await runner(kv, store, [countersProjection, echo(2)]).drainAll();
  assert.deepEqual(await counts(kv), before, "counters were not counted again");
  const echoes = await Array.fromAsync(kv.list<{ v: number }>({ prefix: ["echo"] }));
  assert.equal(echoes.length, 9);
  assert.ok(echoes.every((e) => e.value.v === 2));
  const meta = await kv.get<{ version: number; state: string }>(keys.projectionMetaKey("echo"));
  assert.deepEqual(meta.value, { version: 2, state: "ready" });
  kv.close();
});

Deno.test("rebuild() recomputes every projection from the streams", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = new EventStore({ kv });
  await seed(store, 4);
  const p = runner(kv, store);
  await p.drainAll();
  const before = await counts(kv);
  await kv.set(keys.statKey("projected", "played"), new Deno.KvU64(999n)); // damaged
  await p.rebuild();
  assert.deepEqual(await counts(kv), before);
  assert.equal((await p.progress()).get("counters"), 12);
  kv.close();
});

Deno.test("events appended before a crash are projected by the cron sweep", async () => {
  // The process "crashed" after the append commit: no kick, no queue message ever ran.
  const t = await buildTestApp({ autoProject: false });
  await t.deps.registry.execute("u1", {
    type: "Subscribe",
    data: { feed: subscribedEvent(1).feed! },
  });
  assert.equal((await counts(t.deps.kv)).markers, 1);
  // The cron handler is what runs every minute.
  const sweep = cronJobs(t.deps).find((j) => j.name === "project sweep")!;
  assert.equal(sweep.schedule, "* * * * *");
  await sweep.handler();
  assert.deepEqual(await counts(t.deps.kv), { played: 0, subscribed: 1, markers: 0 });
  await t.close();
});

Deno.test("an in-process kick after each commit projects without waiting for the sweep", async () => {
  const t = await buildTestApp({ autoProject: true });
  for (let i = 0; i < 5; i++) {
    await t.deps.registry.execute("u1", {
      type: "Subscribe",
      data: { feed: subscribedEvent(i).feed! },
    });
  }
  await t.deps.projector.idle();
  assert.deepEqual(await counts(t.deps.kv), { played: 0, subscribed: 5, markers: 0 });
  await t.close();
});

Deno.test("cron names fit Deno.cron's 64 characters and the roll runs every 5 minutes", async () => {
  const t = await buildTestApp();
  const jobs = cronJobs(t.deps);
  assert.ok(jobs.every((j) => j.name.length <= 64));
  assert.equal(new Set(jobs.map((j) => j.name)).size, jobs.length);
  assert.equal(jobs.find((j) => j.name === "popularity roll")?.schedule, "*/5 * * * *");
  await t.close();
});

Deno.test("a step KV refuses fails that user alone; the others are projected", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = new EventStore({ kv });
  await seed(store, 3);
  // u1's first event plans 1,001 mutations in one step: more than one commit may hold.
  const poisoned: GlobalProjection<null> = {
    ...echo(),
    plan: (userId, events) => echo(1, userId === "u1" ? 1_001 : 1).plan(userId, events, null, 0),
  };
  await runner(kv, store, [poisoned]).drainAll();
  const echoed = async (u: string) =>
    (await Array.fromAsync(kv.list({ prefix: ["echo", u] }))).length;
  assert.equal(await echoed("u0"), 3);
  assert.equal(await echoed("u2"), 3);
  assert.equal(await echoed("u1"), 0);
  const left = await Array.fromAsync(kv.list({ prefix: keys.outboxPrefix() }));
  assert.ok(left.length > 0 && left.every((m) => m.key[1] === "u1"), "u1 is retried later");
  kv.close();
});
