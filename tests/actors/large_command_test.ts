/**
 * A command too large for one decision (a sync of thousands of items, a big OPML import)
 * runs as consecutive parts that each commit whole (SPEC §4.1): one answer with every
 * event, a gap-free stream, and — when a later part is refused — the earlier parts kept,
 * so that a retry adds only what is missing.
 */
import assert from "node:assert/strict";
import { ActorRegistry } from "../../actors/registry.ts";
import { BulkGate } from "../../src/bulk_gate.ts";
import { commandParts } from "../../actors/user_actor.ts";
import { RuleViolation } from "../../src/domain/errors.ts";
import { encodeFeedId } from "../../src/domain/ids.ts";
import { PART_ITEMS } from "../../src/domain/split.ts";
import type { SyncInput, SyncPlayStatus } from "../../src/domain/sync.ts";
import { EventStore } from "../../src/store/event_store.ts";
import { GroupCommitter } from "../../src/store/group_commit.ts";
import type { CommandInput } from "../../src/user_commands.ts";
import { FakeClock } from "../_support/clock.ts";
import { FEED, itemN } from "../_support/events.ts";

let counter = 0;
const newId = () => `id${++counter}`;

function setup(kv: Deno.Kv) {
  const commits: string[] = [];
  const store = new EventStore({
    kv,
    committer: new GroupCommitter(kv),
    onCommit: (userId) => commits.push(userId),
  });
  const registry = new ActorRegistry({ store, clock: new FakeClock(), newId }, {
    idleMs: 60_000,
    maxResident: 100,
    mailboxCapacity: 1000,
  });
  return { store, registry, commits };
}

const T = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const plays = (n: number, from = 0): SyncPlayStatus[] =>
  Array.from({ length: n }, (_, i) => ({
    feed: FEED,
    item: itemN(from + i),
    position: i,
    played: false,
    updated_at: T(i % 50),
  }));
const sync = (input: Partial<SyncInput>): CommandInput => ({
  type: "SyncState",
  data: { subscriptions: [], play_statuses: [], playlists: [], ...input },
});

Deno.test("a sync of several parts answers once with every event, in a gap-free stream", async () => {
  const kv = await Deno.openKv(":memory:");
  const { store, registry, commits } = setup(kv);
  try {
    await registry.execute("u1", {
      type: "RecordPlay",
      data: { feed: FEED, item: itemN(0), position: 1 },
    });
    const before = await registry.state("u1");
    const command = sync({ play_statuses: plays(3 * PART_ITEMS + 7, 1) });
    assert.equal(commandParts(command).length, 4);
    const r = await registry.execute("u1", command);
    assert.equal(r.events.length, 3 * PART_ITEMS + 7);
    assert.deepEqual(r.events.map((e) => e.seq), r.events.map((_, i) => i + 2));
    assert.equal(r.before, before, "before: the state before the first part");
    assert.equal(r.state.plays.size, 3 * PART_ITEMS + 8);
    assert.equal((await store.head("u1")).seq, 3 * PART_ITEMS + 8);
    assert.ok(commits.length >= 5, `${commits.length} commits`);
    // The same body again changes nothing.
    assert.equal((await registry.execute("u1", command)).events.length, 0);
  } finally {
    await registry.drain();
    kv.close();
  }
});

Deno.test("a large sync refused in a later part keeps the parts before it; a retry adds only the rest", async () => {
  const kv = await Deno.openKv(":memory:");
  const { store, registry } = setup(kv);
  try {
    const tooLong = {
      id: "pl-1",
      name: "Too long",
      updated_at: T(1),
      items: Array.from({ length: 501 }, (_, i) => ({
        feed: FEED,
        item: itemN(10_000 + i),
        added_at: T(2),
      })),
    };
    const body = { play_statuses: plays(2 * PART_ITEMS), playlists: [tooLong] };
    await assert.rejects(
      registry.execute("u1", sync(body)),
      (err) => err instanceof RuleViolation && err.code === "conflict",
    );
    // The play statuses came in parts of their own: they stay.
    assert.equal((await registry.state("u1")).plays.size, 2 * PART_ITEMS);
    assert.equal((await store.head("u1")).seq, 2 * PART_ITEMS);

    const fixed = { ...body, playlists: [{ ...tooLong, items: tooLong.items.slice(0, 500) }] };
    const retried = await registry.execute("u1", sync(fixed));
    assert.ok(retried.events.every((e) => e.type.startsWith("playlist_")));
    assert.equal(retried.state.playlists.get("pl-1")!.items.size, 500);
  } finally {
    await registry.drain();
    kv.close();
  }
});

Deno.test("a playlist is never cut across parts: one too long is refused whole, nothing lands", async () => {
  const kv = await Deno.openKv(":memory:");
  const { store, registry } = setup(kv);
  try {
    const body = {
      playlists: [{
        id: "pl-1",
        name: "Too long",
        updated_at: T(1),
        items: Array.from(
          { length: 501 },
          (_, i) => ({ feed: FEED, item: itemN(i), added_at: T(2) }),
        ),
      }],
    };
    assert.equal(commandParts(sync(body)).length, 1);
    await assert.rejects(registry.execute("u1", sync(body)), RuleViolation);
    assert.equal((await store.head("u1")).seq, 0);
  } finally {
    await registry.drain();
    kv.close();
  }
});

Deno.test("an import of more feeds than one part subscribes to every one of them", async () => {
  const kv = await Deno.openKv(":memory:");
  const { registry } = setup(kv);
  try {
    const feeds = Array.from(
      { length: PART_ITEMS * 2 + 1 },
      (_, i) => encodeFeedId(`https://example.org/feeds/${i}.xml`),
    );
    const r = await registry.execute("u1", { type: "SubscribeMany", data: { feeds } });
    assert.equal(r.events.length, feeds.length);
    assert.deepEqual([...r.state.subscriptions.keys()], feeds);
  } finally {
    await registry.drain();
    kv.close();
  }
});

Deno.test("background work is held while a large sync runs, and let through once it is done", async () => {
  const kv = await Deno.openKv(":memory:");
  const bulk = new BulkGate();
  const seen: number[] = [];
  class WatchedStore extends EventStore {
    override append(...args: Parameters<EventStore["append"]>) {
      seen.push(bulk.active);
      return super.append(...args);
    }
  }
  const store = new WatchedStore({ kv, committer: new GroupCommitter(kv) });
  const registry = new ActorRegistry({
    store,
    clock: new FakeClock(),
    newId,
    bulk,
  }, { idleMs: 60_000, maxResident: 100, mailboxCapacity: 1000 });
  try {
    await registry.execute("u1", sync({ play_statuses: plays(3) }));
    assert.deepEqual(seen, [0], "an ordinary sync does not hold anything");
    seen.length = 0;
    await registry.execute("u1", sync({ play_statuses: plays(2 * PART_ITEMS + 1, 10) }));
    assert.deepEqual(seen, [1, 1, 1], "held through each of its parts");
    assert.equal(bulk.active, 0);
  } finally {
    await registry.drain();
    kv.close();
  }
});
