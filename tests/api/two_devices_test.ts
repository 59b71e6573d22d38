import assert from "node:assert/strict";
import { createApp } from "../../routes/app.ts";
import { silentLogger } from "../../src/logger.ts";
import { createServices } from "../../src/services.ts";
import { type ApiClient, feedId, itemId, type Json, type Reply, withApi } from "./_api.ts";

const T = (n: number) => new Date(Date.UTC(2025, 0, 1, 0, n)).toISOString();
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

function sub(f: number, subscribed: number, unsubscribed?: number) {
  return {
    rss_source_feed: feedId(f),
    subscribed_at: T(subscribed),
    ...(unsubscribed === undefined ? {} : { unsubscribed_at: T(unsubscribed) }),
  };
}

function play(e: number, position: number, at: number) {
  return {
    rss_source_feed: feedId(0),
    rss_source_item: itemId(0, e),
    position,
    played: false,
    updated_at: T(at),
  };
}

function queue(updated: number, description: string, episodes: number[]) {
  return {
    name: "Queue",
    description,
    updated_at: T(updated),
    items: episodes.map((e) => ({
      rss_source_feed: feedId(0),
      rss_source_item: itemId(0, e),
      added_at: T(e),
    })),
  };
}

/** What the phone and the laptop send, all at once. */
function concurrentWrites(phone: ApiClient, laptop: ApiClient): Promise<Reply>[] {
  return [
    phone.post("/sync", {
      subscriptions: range(0, 10).map((f) => sub(f, 1)),
      play_statuses: range(0, 20).map((e) => play(e, e * 10, 10 + e)),
      playlists: [queue(5, "phone", [0, 1])],
    }),
    laptop.post("/sync", {
      subscriptions: [...range(5, 15).map((f) => sub(f, 2)), sub(0, 1, 3)],
      play_statuses: range(10, 30).map((e) => play(e, e * 100, 20 + e)),
      playlists: [queue(6, "laptop", [2, 3])],
    }),
    phone.post("/sync", { play_statuses: range(30, 40).map((e) => play(e, 7, 50)) }),
    laptop.post("/sync", { subscriptions: range(20, 25).map((f) => sub(f, 4)) }),
    phone.post("/subscriptions", { rss_source_feed: feedId(99) }),
    laptop.post("/play", {
      rss_source_feed: feedId(0),
      rss_source_item: itemId(0, 99),
      position: 1,
    }),
  ];
}

/** Checks the merged state holds every write, with the newer side winning each conflict. */
function assertMerged(data: Json): void {
  const subs = new Map(data.subscriptions.map((s: Json) => [s.rss_source_feed, s]));
  const feeds = [...range(0, 15), ...range(20, 25), 99].map((f) => feedId(f));
  assert.deepEqual([...subs.keys()].sort(), feeds.sort());
  assert.equal((subs.get(feedId(0)) as Json).unsubscribed_at, T(3));
  for (const f of range(1, 5)) assert.equal((subs.get(feedId(f)) as Json).subscribed_at, T(1));
  for (const f of range(5, 15)) assert.equal((subs.get(feedId(f)) as Json).subscribed_at, T(2));
  const plays = new Map(data.play_statuses.map((p: Json) => [p.rss_source_item, p.position]));
  assert.equal(plays.size, 41);
  for (const e of range(0, 10)) assert.equal(plays.get(itemId(0, e)), e * 10);
  for (const e of range(10, 30)) assert.equal(plays.get(itemId(0, e)), e * 100);
  for (const e of range(30, 40)) assert.equal(plays.get(itemId(0, e)), 7);
  assert.equal(data.playlists.length, 1, "one Queue, matched by name");
  const [pl] = data.playlists;
  assert.equal(pl.description, "laptop");
  assert.deepEqual(
    pl.items.map((i: Json) => i.rss_source_item),
    [0, 1, 2, 3].map((e) => itemId(0, e)),
  );
}

async function assertConverged(phone: ApiClient, laptop: ApiClient, replies: Reply[]) {
  for (const r of replies) assert.ok(r.status === 200 || r.status === 201, `${r.status} ${r.text}`);
  const [a, b] = await Promise.all([phone.post("/sync", {}), laptop.post("/sync", {})]);
  assert.equal(a.body.events_appended, 0);
  assert.deepEqual(a.body.data, b.body.data);
  assertMerged(a.body.data);
  for (const path of ["/subscriptions?include=all", "/play?limit=500", "/playlists"]) {
    assert.deepEqual((await phone.get(path)).body, (await laptop.get(path)).body, path);
  }
  const { store } = phone.t.deps;
  const events = await store.readEvents(phone.userId, 0);
  assert.deepEqual(events.map((e) => e.seq), range(1, events.length + 1), "gap-free seq");
  assert.equal((await store.head(phone.userId)).seq, events.length);
  assert.equal(new Set(events.map((e) => e.id)).size, events.length, "unique event ids");
  const appended = replies.filter((r) => r.body.events_appended !== undefined)
    .reduce((n, r) => n + r.body.events_appended, 0);
  assert.equal(appended + 2, events.length, "every sync's events are in the stream");
  const devices = new Set(events.map((e) => e.device?.id));
  assert.deepEqual([...devices].sort(), ["laptop", "phone"]);
}

Deno.test("two devices syncing concurrently over HTTP converge: same state, nothing lost, gap-free seq", async () => {
  await withApi({}, async ({ api, t }) => {
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, t.app.fetch);
    try {
      const base = `http://127.0.0.1:${server.addr.port}`;
      const http = api.via((url, init) => fetch(`${base}${url}`, init));
      const phone = http.onDevice("phone");
      const laptop = http.onDevice("laptop");
      const replies = await Promise.all(concurrentWrites(phone, laptop));
      await assertConverged(phone, laptop, replies);
    } finally {
      await server.shutdown();
    }
  });
});

Deno.test("two server processes on one KV: concurrent syncs of one user still converge", async () => {
  await withApi({}, async ({ api, t }) => {
    // A second app instance with its own actors, as on another Deno Deploy isolate.
    const other = createServices({
      kv: t.kv,
      config: t.deps.config,
      clock: t.clock,
      logger: silentLogger,
      autoProject: false,
    });
    const otherApp = createApp(other);
    try {
      const phone = api.onDevice("phone");
      const laptop = api.onDevice("laptop")
        .via((url, init) => Promise.resolve(otherApp.request(url, init)));
      const replies = await Promise.all(concurrentWrites(phone, laptop));
      await assertConverged(phone, laptop, replies);
      assert.ok(other.committer.stats.ops > 0, "the second process appended too");
    } finally {
      await other.registry.drain();
      await other.projector.stop();
    }
  });
});
