import assert from "node:assert/strict";
import { EMPTY_STATE } from "../../src/domain/state.ts";
import { ConcurrencyError, EventStore } from "../../src/store/event_store.ts";
import { GroupCommitter } from "../../src/store/group_commit.ts";
import { itemHash } from "../../src/store/hash.ts";
import * as keys from "../../src/store/keys.ts";
import { itemN, playedEvent, subscribedEvent } from "../_support/events.ts";

async function seqs(kv: Deno.Kv, userId: string): Promise<number[]> {
  const out: number[] = [];
  for await (const e of kv.list({ prefix: keys.eventPrefix(userId) })) out.push(e.key[2] as number);
  return out;
}

Deno.test("append() numbers events from 1 and writes head, read models and outbox in one go", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = new EventStore({ kv });
  const r = await store.append("u1", EMPTY_STATE, [subscribedEvent(1), playedEvent(1, 30)]);
  assert.deepEqual(r.events.map((e) => e.seq), [1, 2]);
  assert.equal(r.state.seq, 2);
  assert.deepEqual(await store.head("u1"), { seq: 2 });
  const play = await kv.get(keys.playKey("u1", await itemHash(itemN(1))));
  assert.equal((play.value as { position: number }).position, 30);
  const markers = await Array.fromAsync(kv.list({ prefix: keys.outboxPrefix() }));
  assert.deepEqual(markers.map((m) => m.key), [["outbox", "u1", 2]]);
  assert.equal((await store.load("u1")).plays.get(itemN(1))!.position, 30);
  kv.close();
});

Deno.test("two writers racing on one user: exactly one wins and seq has no gap", async () => {
  const kv = await Deno.openKv(":memory:");
  const a = new EventStore({ kv });
  const b = new EventStore({ kv });
  const state = await a.load("u1");
  const results = await Promise.allSettled([
    a.append("u1", state, [playedEvent(1, 10)]),
    b.append("u1", state, [playedEvent(2, 20), playedEvent(3, 30)]),
  ]);
  const won = results.filter((r) => r.status === "fulfilled");
  const lost = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
  assert.equal(won.length, 1);
  assert.equal(lost.length, 1);
  assert.ok(lost[0].reason instanceof ConcurrencyError);
  const n = (won[0] as PromiseFulfilledResult<{ events: unknown[] }>).value.events.length;
  assert.deepEqual(await seqs(kv, "u1"), Array.from({ length: n }, (_, i) => i + 1));
  kv.close();
});

Deno.test("an append too big for one commit is split into whole commits and all of it lands", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = new EventStore({ kv });
  const events = Array.from({ length: 1500 }, (_, i) => playedEvent(i, i + 1));
  const r = await store.append("u1", EMPTY_STATE, events);
  assert.equal(r.state.seq, 1500);
  assert.deepEqual(await seqs(kv, "u1"), Array.from({ length: 1500 }, (_, i) => i + 1));
  const plays = await Array.fromAsync(kv.list({ prefix: keys.playPrefix("u1") }));
  assert.equal(plays.length, 1500);
  const markers = await Array.fromAsync(kv.list({ prefix: keys.outboxPrefix() }));
  assert.ok(markers.length >= 2, "more than one commit was needed");
  assert.equal((await store.load("u1")).plays.size, 1500);
  kv.close();
});

Deno.test("an append whose keys outgrow the estimate is cut smaller until each commit fits", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = new EventStore({ kv });
  // Keys of ≈ 1,550 bytes: a few dozen events reach KV's 80 KiB of keys per commit long
  // before the estimate (80 bytes a key) says so.
  const user = "u".repeat(1_500);
  const events = Array.from({ length: 120 }, (_, i) => playedEvent(i, i + 1));
  const r = await store.append(user, EMPTY_STATE, events);
  assert.equal(r.state.seq, 120);
  assert.deepEqual(await seqs(kv, user), Array.from({ length: 120 }, (_, i) => i + 1));
  const plays = await Array.fromAsync(kv.list({ prefix: keys.playPrefix(user) }));
  assert.equal(plays.length, 120);
  const markers = await Array.fromAsync(kv.list({ prefix: keys.outboxPrefix() }));
  assert.ok(markers.length >= 8, `${markers.length} commits`);
  kv.close();
});

Deno.test("a long append commits in small pieces and rests between them while other listeners write, whole when alone", async () => {
  const markers = async (kv: Deno.Kv, user: string) =>
    (await Array.fromAsync(kv.list({ prefix: keys.outboxPrefix() })))
      .filter((m) => m.key[1] === user).length;
  const events = Array.from({ length: 300 }, (_, i) => playedEvent(i, i + 1));

  const rests: number[] = [];
  const rest = (ms: number) => {
    rests.push(ms);
    return Promise.resolve();
  };

  const alone = await Deno.openKv(":memory:");
  const quiet = new EventStore({ kv: alone, committer: new GroupCommitter(alone), rest });
  await quiet.append("big", EMPTY_STATE, events);
  assert.ok(await markers(alone, "big") <= 3, "few large commits when nobody else writes");
  assert.deepEqual(rests, [], "no rest when nobody else writes");
  alone.close();

  const kv = await Deno.openKv(":memory:");
  const store = new EventStore({ kv, committer: new GroupCommitter(kv), rest });
  await store.append("small", EMPTY_STATE, [playedEvent(1, 5)]); // another listener writes
  const r = await store.append("big", EMPTY_STATE, events);
  assert.equal(r.state.seq, 300);
  const commits = await markers(kv, "big");
  assert.ok(commits >= 30, "small commits between the other writes");
  // It rests before every commit but the first, twice as long as the one before took.
  assert.equal(rests.length, commits - 1);
  assert.ok(rests.every((ms) => ms > 0));
  assert.equal((await store.load("big")).plays.size, 300);
  // An ordinary append (an upload of 30 actions) stays one commit.
  await store.append("small", await store.load("small"), events.slice(0, 30));
  assert.equal(await markers(kv, "small"), 2);
  kv.close();
});

Deno.test("a long append goes back to whole commits once the other listeners stop writing", async () => {
  const kv = await Deno.openKv(":memory:");
  let rests = 0;
  // The first rest outlasts the window in which others' writes count (250 ms): nobody wrote
  // since, and the append's own small pieces are not others' writes.
  const rest = (ms: number) =>
    rests++ === 0 ? new Promise<void>((r) => setTimeout(r, 300 + ms)) : Promise.resolve();
  const store = new EventStore({ kv, committer: new GroupCommitter(kv), rest });
  await store.append("small", EMPTY_STATE, [playedEvent(1, 5)]);
  const events = Array.from({ length: 600 }, (_, i) => playedEvent(i, i + 1));
  assert.equal((await store.append("big", EMPTY_STATE, events)).state.seq, 600);
  const commits = (await Array.fromAsync(kv.list({ prefix: keys.outboxPrefix() })))
    .filter((m) => m.key[1] === "big").length;
  assert.equal(rests, 1);
  // Small pieces would take ≈ 85 commits; whole ones take 3 after the two small ones.
  assert.ok(commits <= 6, `${commits} commits`);
  kv.close();
});

Deno.test("a replaced play moves its time-index entry instead of leaving a stale one", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = new EventStore({ kv });
  const r1 = await store.append("u1", EMPTY_STATE, [playedEvent(1, 10, "2026-01-01T00:00:00Z")]);
  await store.append("u1", r1.state, [playedEvent(1, 20, "2026-01-02T00:00:00Z")]);
  const index = await Array.fromAsync(kv.list({ prefix: keys.playByTimePrefix("u1") }));
  assert.equal(index.length, 1);
  assert.equal((index[0].value as { position: number }).position, 20);
  kv.close();
});

Deno.test("group commit shares one commit between users and still refuses a stale writer", async () => {
  const kv = await Deno.openKv(":memory:");
  const committer = new GroupCommitter(kv);
  const store = new EventStore({ kv, committer });
  await store.append("stale", EMPTY_STATE, [playedEvent(1, 1)]);
  const results = await Promise.allSettled([
    ...Array.from(
      { length: 30 },
      (_, i) => store.append(`u${i}`, EMPTY_STATE, [playedEvent(1, i)]),
    ),
    store.append("stale", EMPTY_STATE, [playedEvent(2, 2)]),
  ]);
  assert.equal(results.filter((r) => r.status === "fulfilled").length, 30);
  assert.ok((results[30] as PromiseRejectedResult).reason instanceof ConcurrencyError);
  const stamps = new Set<string>();
  for (let i = 0; i < 30; i++) {
    assert.deepEqual(await seqs(kv, `u${i}`), [1]);
    stamps.add((await kv.get(keys.eventKey(`u${i}`, 1))).versionstamp!);
  }
  assert.ok(stamps.size < 30, `30 appends took ${stamps.size} commits`);
  assert.deepEqual(await seqs(kv, "stale"), [1]);
  kv.close();
});

/** Appends for `users` users at once; returns the queue messages delivered and the commits. */
async function wakeUps(options: { kick: boolean }, users = 30) {
  const kv = await Deno.openKv(":memory:");
  const messages: unknown[] = [];
  const listening = kv.listenQueue((msg) => void messages.push(msg));
  let kicks = 0;
  const store = new EventStore({
    kv,
    committer: new GroupCommitter(kv),
    useQueue: true,
    onCommit: options.kick ? () => kicks++ : undefined,
  });
  await Promise.all(
    Array.from(
      { length: users },
      (_, i) => store.append(`u${i}`, EMPTY_STATE, [playedEvent(1, i)]),
    ),
  );
  const stamps = new Set<string>();
  for (let i = 0; i < users; i++) {
    stamps.add((await kv.get(keys.eventKey(`u${i}`, 1))).versionstamp!);
  }
  // Delivery is asynchronous: wait for what is due, then a little more for strays.
  const until = Date.now() + 5_000;
  while (!options.kick && messages.length < stamps.size && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, 200));
  kv.close();
  await listening;
  return { messages, commits: stamps.size, kicks };
}

Deno.test("appends sharing a group commit wake the projector with one queue message, not one each", async () => {
  const r = await wakeUps({ kick: false });
  assert.ok(r.commits < 30, `30 appends took ${r.commits} commits`);
  assert.equal(r.messages.length, r.commits);
  assert.deepEqual(r.messages[0], { kind: "project" });
});

Deno.test("a store that kicks its projector in-process enqueues no queue message", async () => {
  const r = await wakeUps({ kick: true });
  assert.equal(r.messages.length, 0);
  assert.equal(r.kicks, 30, "one in-process kick per append");
});

Deno.test("a shared commit adds every user's events to the appended counter exactly", async () => {
  const kv = await Deno.openKv(":memory:");
  const committer = new GroupCommitter(kv);
  const store = new EventStore({ kv, committer });
  await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      store.append(
        `u${i}`,
        EMPTY_STATE,
        Array.from({ length: 1 + (i % 3) }, (_, k) => playedEvent(k, i)),
      )),
  );
  assert.ok(committer.stats.commits < 40, `40 appends took ${committer.stats.commits} commits`);
  const appended = await kv.get<Deno.KvU64>(keys.statKey("appended"));
  assert.equal(appended.value?.value, 79n); // 14 users × 1 + 13 × 2 + 13 × 3
  kv.close();
});
