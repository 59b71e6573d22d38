import assert from "node:assert/strict";
import { Projector } from "../../jobs/projector.ts";
import { cronJobs } from "../../jobs/mod.ts";
import { EMPTY_STATE } from "../../src/domain/state.ts";
import { silentLogger } from "../../src/logger.ts";
import { EventStore } from "../../src/store/event_store.ts";
import * as keys from "../../src/store/keys.ts";
import { buildTestApp } from "../_support/app.ts";
import { playedEvent, subscribedEvent } from "../_support/events.ts";

async function counts(kv: Deno.Kv) {
  const read = async (...k: string[]) =>
    Number((await kv.get<Deno.KvU64>(keys.statKey(...k))).value?.value ?? 0n);
  return {
    played: await read("projected", "played"),
    subscribed: await read("projected", "subscribed"),
    total: await read("projected_total"),
    markers: (await Array.fromAsync(kv.list({ prefix: keys.outboxPrefix() }))).length,
  };
}

async function seed(store: EventStore, users: number) {
  for (let u = 0; u < users; u++) {
    const r = await store.append(`u${u}`, EMPTY_STATE, [subscribedEvent(1), playedEvent(1, 10)]);
    await store.append(`u${u}`, r.state, [playedEvent(2, 20)]);
  }
}

Deno.test("the projector counts appended events by type and clears the outbox", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = new EventStore({ kv });
  await seed(store, 3);
  const projector = new Projector({ kv, store, logger: silentLogger });
  const r = await projector.drainAll();
  assert.equal(r.events, 9);
  assert.deepEqual(await counts(kv), { played: 6, subscribed: 3, total: 9, markers: 0 });
  kv.close();
});

Deno.test("the same wake-up twice gives the same output", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = new EventStore({ kv });
  await seed(store, 2);
  const projector = new Projector({ kv, store, logger: silentLogger });
  await projector.drainAll();
  const once = await counts(kv);
  await projector.drainAll();
  await projector.handleMessage({ kind: "project", userId: "u0", toSeq: 3 });
  assert.deepEqual(await counts(kv), once);
  kv.close();
});

Deno.test("two projectors racing over one outbox count every event exactly once", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = new EventStore({ kv });
  await seed(store, 40);
  const a = new Projector({ kv, store, logger: silentLogger }, { usersPerCommit: 7 });
  const b = new Projector({ kv, store, logger: silentLogger }, { usersPerCommit: 5 });
  await Promise.all([a.drainAll(), b.drainAll(), a.drainAll()]);
  await a.drainAll();
  assert.deepEqual(await counts(kv), { played: 80, subscribed: 40, total: 120, markers: 0 });
  kv.close();
});

Deno.test("a marker written after the projector read the outbox survives for the next pass", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = new EventStore({ kv });
  const r = await store.append("u1", EMPTY_STATE, [playedEvent(1, 1)]);
  const projector = new Projector({ kv, store, logger: silentLogger }, { eventsPerUser: 1 });
  await projector.runPass();
  await store.append("u1", r.state, [playedEvent(1, 2), playedEvent(1, 3)]);
  await projector.drainAll();
  assert.deepEqual(await counts(kv), { played: 3, subscribed: 0, total: 3, markers: 0 });
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
  const sweep = cronJobs(t.deps).find((j) => j.name === "projector sweep")!;
  assert.equal(sweep.schedule, "* * * * *");
  await sweep.handler();
  assert.deepEqual(await counts(t.deps.kv), { played: 0, subscribed: 1, total: 1, markers: 0 });
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
  assert.deepEqual(await counts(t.deps.kv), { played: 0, subscribed: 5, total: 5, markers: 0 });
  await t.close();
});
