import assert from "node:assert/strict";
import { Overloaded, ShuttingDown } from "../../actors/mailbox.ts";
import { ActorRegistry } from "../../actors/registry.ts";
import type { CommandInput } from "../../src/user_commands.ts";
import { ConcurrencyError, EventStore } from "../../src/store/event_store.ts";
import { GroupCommitter } from "../../src/store/group_commit.ts";
import * as keys from "../../src/store/keys.ts";
import { FakeClock } from "../_support/clock.ts";
import { FEED, itemN } from "../_support/events.ts";

let counter = 0;
const newId = () => `id${++counter}`;

function registry(
  kv: Deno.Kv,
  clock = new FakeClock(),
  opts: Partial<
    { idleMs: number; maxResident: number; mailboxCapacity: number; maxResidentBytes: number }
  > = {},
) {
  const store = new EventStore({ kv, committer: new GroupCommitter(kv) });
  return new ActorRegistry({ store, clock, newId }, {
    idleMs: 60_000,
    maxResident: 100,
    mailboxCapacity: 1000,
    ...opts,
  });
}

const play = (n: number): CommandInput => ({
  type: "RecordPlay",
  data: { feed: FEED, item: itemN(n), position: n },
});

async function seqs(kv: Deno.Kv, userId: string): Promise<number[]> {
  const out: number[] = [];
  for await (const e of kv.list({ prefix: keys.eventPrefix(userId) })) out.push(e.key[2] as number);
  return out;
}

Deno.test("200 concurrent commands for one user land as seq 1..200 with nothing lost", async () => {
  const kv = await Deno.openKv(":memory:");
  const reg = registry(kv);
  const results = await Promise.all(
    Array.from({ length: 200 }, (_, i) => reg.execute("u1", play(i + 1))),
  );
  assert.ok(results.every((r) => r.events.length === 1));
  assert.deepEqual(await seqs(kv, "u1"), Array.from({ length: 200 }, (_, i) => i + 1));
  const state = await reg.state("u1");
  assert.equal(state.plays.size, 200);
  await reg.drain();
  kv.close();
});

Deno.test("two processes writing one user converge with a gap-free stream", async () => {
  const kv = await Deno.openKv(":memory:");
  const a = registry(kv);
  const b = registry(kv);
  const results = await Promise.allSettled(
    Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).execute("u1", play(i + 1))),
  );
  for (const r of results) {
    if (r.status === "rejected") assert.ok(r.reason instanceof ConcurrencyError, String(r.reason));
  }
  const landed = results.filter((r) => r.status === "fulfilled").length;
  assert.ok(landed >= 30, `only ${landed} of 60 landed`);
  assert.deepEqual(await seqs(kv, "u1"), Array.from({ length: landed }, (_, i) => i + 1));
  // Both actors see every event once they catch up.
  assert.equal((await a.state("u1")).seq, landed);
  await Promise.all([a.drain(), b.drain()]);
  kv.close();
});

Deno.test("a full mailbox answers Overloaded instead of queueing without bound", async () => {
  const kv = await Deno.openKv(":memory:");
  const reg = registry(kv, new FakeClock(), { mailboxCapacity: 5 });
  const results = await Promise.allSettled(
    Array.from({ length: 30 }, (_, i) => reg.execute("u1", play(i))),
  );
  const overloaded = results.filter((r) =>
    r.status === "rejected" && r.reason instanceof Overloaded
  );
  assert.ok(overloaded.length > 0);
  const ok = results.filter((r) => r.status === "fulfilled").length;
  assert.equal(ok + overloaded.length, 30);
  assert.equal((await seqs(kv, "u1")).length, ok);
  await reg.drain();
  kv.close();
});

Deno.test("an idle actor is passivated after the timeout and reloads its state from KV", async () => {
  const kv = await Deno.openKv(":memory:");
  const clock = new FakeClock();
  const reg = registry(kv, clock, { idleMs: 10 * 60_000 });
  await reg.execute("u1", play(1));
  await reg.execute("u2", play(1));
  clock.advance(5 * 60_000);
  await reg.execute("u2", play(2));
  assert.equal(reg.sweep(), 0);
  clock.advance(5 * 60_000);
  assert.equal(reg.sweep(), 1, "u1 has been idle 10 minutes");
  assert.equal(reg.size, 1);
  const r = await reg.execute("u1", play(2));
  assert.equal(r.state.seq, 2, "the new actor loaded u1's first event");
  await reg.drain();
  kv.close();
});

Deno.test("the registry keeps at most maxResident actors, evicting the least recently used", async () => {
  const kv = await Deno.openKv(":memory:");
  const reg = registry(kv, new FakeClock(), { maxResident: 3 });
  for (const u of ["a", "b", "c"]) await reg.execute(u, play(1));
  await reg.execute("a", play(2)); // a is now the most recent
  await reg.execute("d", play(1)); // evicts b
  assert.equal(reg.size, 3);
  await reg.execute("b", play(2));
  assert.equal((await reg.state("b")).seq, 2);
  await reg.drain();
  kv.close();
});

Deno.test("drain() finishes queued commands and then refuses new ones", async () => {
  const kv = await Deno.openKv(":memory:");
  const reg = registry(kv);
  const pending = Array.from({ length: 20 }, (_, i) => reg.execute("u1", play(i + 1)));
  await reg.drain();
  assert.equal((await Promise.all(pending)).length, 20);
  assert.equal((await seqs(kv, "u1")).length, 20);
  assert.throws(() => reg.execute("u1", play(99)), ShuttingDown);
  kv.close();
});

Deno.test("a command the domain refuses fails alone; its neighbours still land", async () => {
  const kv = await Deno.openKv(":memory:");
  const reg = registry(kv);
  const results = await Promise.allSettled([
    reg.execute("u1", play(1)),
    reg.execute("u1", { type: "RecordPlay", data: { feed: FEED, item: itemN(2), position: -5 } }),
    reg.execute("u1", play(3)),
  ]);
  assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled"]);
  assert.deepEqual(await seqs(kv, "u1"), [1, 2]);
  await reg.drain();
  kv.close();
});

Deno.test("resident actors are capped by the size of their states: the largest idle go first", async () => {
  const kv = await Deno.openKv(":memory:");
  const r = registry(kv, new FakeClock(), { maxResidentBytes: 400_000 });
  // One big listener (1,000 plays ≈ 250 KB) and a few small ones.
  const bigPlays = (u: string) =>
    Promise.all(Array.from({ length: 1_000 }, (_, i) => r.execute(u, play(i))));
  await bigPlays("big");
  for (const u of ["a", "b", "c"]) await r.execute(u, play(1));
  assert.equal(r.size, 4);
  assert.ok(r.residentBytes > 250_000, String(r.residentBytes));
  // Another big one arrives: the budget is exceeded, the biggest idle state leaves.
  await bigPlays("big2");
  r.sweep();
  assert.ok(r.residentBytes <= 400_000, String(r.residentBytes));
  assert.equal(r.size, 4, "the small ones stay");
  // Nothing is lost: the passivated listener reloads from KV.
  const state = await r.state("big");
  assert.equal(state.plays.size, 1_000);
  await r.drain();
  kv.close();
});
