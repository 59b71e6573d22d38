/** Delta sync (SPEC §4.1): `sync_token` in every answer, `since` → only what changed. */
import assert from "node:assert/strict";
import { type ApiClient, feedId, itemId, type Json, withApi } from "./_api.ts";
import { syncToken } from "../../src/store/sync_changes.ts";
import * as keys from "../../src/store/keys.ts";

const T = (n: number) => new Date(Date.UTC(2025, 0, 1, 0, n)).toISOString();
const DAY = 86_400_000;

function sub(f: number, at: number) {
  return { rss_source_feed: feedId(f), subscribed_at: T(at) };
}

function play(f: number, e: number, position: number, at: number) {
  return {
    rss_source_feed: feedId(f),
    rss_source_item: itemId(f, e),
    position,
    played: false,
    updated_at: T(at),
  };
}

async function sync(api: ApiClient, body: unknown, device?: string): Promise<Json> {
  const r = await api.post("/sync", body, { device });
  assert.equal(r.status, 200, r.text);
  return r.body;
}

const feedsOf = (r: Json) => r.data.subscriptions.map((s: Json) => s.rss_source_feed).sort();
const itemsOf = (r: Json) => r.data.play_statuses.map((p: Json) => p.rss_source_item).sort();

/** A user with two subscriptions, three play statuses and a playlist; its sync answer. */
async function seeded(api: ApiClient): Promise<Json> {
  return await sync(api, {
    subscriptions: [sub(1, 1), sub(2, 1)],
    play_statuses: [play(1, 1, 10, 2), play(1, 2, 20, 2), play(2, 1, 30, 2)],
    playlists: [{
      id: "queue",
      name: "Queue",
      updated_at: T(3),
      items: [{ rss_source_feed: feedId(1), rss_source_item: itemId(1, 1), added_at: T(3) }],
    }],
  }, "phone");
}

Deno.test("every sync answer carries a sync_token and says whether it is the whole state", async () => {
  await withApi({}, async ({ api }) => {
    const r = await seeded(api);
    assert.equal(typeof r.data.sync_token, "string");
    assert.equal(r.data.full, true);
    assert.equal(r.data.next_page, undefined);
    assert.equal(r.data.play_statuses.length, 3);
  });
});

Deno.test("a sync with since answers only what changed on the server after the token, its own changes included", async () => {
  await withApi({}, async ({ api }) => {
    const first = await seeded(api);
    // Another device: a new position for one episode, a new subscription.
    const tablet = api.onDevice("tablet");
    assert.equal(
      (await tablet.post("/play", { ...play(1, 2, 99, 0), updated_at: undefined }))
        .status,
      200,
    );
    assert.equal((await tablet.post("/subscriptions", { rss_source_feed: feedId(3) })).status, 201);
    const r = await sync(api, {
      since: first.data.sync_token,
      play_statuses: [play(2, 2, 5, 10)],
    }, "phone");
    assert.equal(r.data.full, false);
    assert.equal(r.events_appended, 1);
    assert.deepEqual(feedsOf(r), [feedId(3)]);
    assert.deepEqual(itemsOf(r), [itemId(1, 2), itemId(2, 2)].sort());
    assert.equal(
      r.data.play_statuses.find((p: Json) => p.rss_source_item === itemId(1, 2))
        .position,
      99,
    );
    assert.deepEqual(r.data.playlists, []);
    assert.notEqual(r.data.sync_token, first.data.sync_token);
    // The same shapes as the whole answer and the GET endpoints.
    const full = await sync(api, {});
    const whole = full.data.play_statuses.find((p: Json) => p.rss_source_item === itemId(2, 2));
    assert.deepEqual(
      r.data.play_statuses.find((p: Json) => p.rss_source_item === itemId(2, 2)),
      whole,
    );
  });
});

Deno.test("re-sending the same body with the last token answers nothing new and appends nothing", async () => {
  await withApi({}, async ({ api }) => {
    const first = await seeded(api);
    const body = { subscriptions: [sub(1, 1), sub(2, 1)], play_statuses: [play(1, 1, 10, 2)] };
    const r = await sync(api, { ...body, since: first.data.sync_token });
    assert.equal(r.events_appended, 0);
    assert.equal(r.data.full, false);
    assert.deepEqual(
      [r.data.subscriptions, r.data.play_statuses, r.data.playlists],
      [[], [], []],
    );
    // Its token keeps working: a later change comes back in the next delta.
    await api.post("/play", { ...play(2, 1, 77, 0), updated_at: undefined });
    const next = await sync(api, { since: r.data.sync_token });
    assert.deepEqual(itemsOf(next), [itemId(2, 1)]);
    assert.equal(next.data.play_statuses[0].position, 77);
  });
});

Deno.test("a delta names a playlist changed after the token with all its items", async () => {
  await withApi({}, async ({ api }) => {
    const first = await seeded(api);
    const added = await api.post("/playlists/queue/items", {
      rss_source_feed: feedId(2),
      rss_source_item: itemId(2, 1),
    });
    assert.ok(added.status < 300, added.text);
    const r = await sync(api, { since: first.data.sync_token });
    assert.equal(r.data.full, false);
    assert.equal(r.data.playlists.length, 1);
    assert.equal(r.data.playlists[0].id, "queue");
    assert.deepEqual(
      r.data.playlists[0].items.map((i: Json) => i.rss_source_item).sort(),
      [itemId(1, 1), itemId(2, 1)].sort(),
    );
    assert.deepEqual([r.data.subscriptions, r.data.play_statuses], [[], []]);
  });
});

Deno.test("a token older than the 45-day window gets the whole state with full: true", async () => {
  await withApi({}, async ({ api, t }) => {
    const first = await seeded(api);
    t.clock.advance(46 * DAY);
    const r = await sync(api, { since: first.data.sync_token });
    assert.equal(r.data.full, true);
    assert.deepEqual(feedsOf(r), [feedId(1), feedId(2)]);
    assert.equal(r.data.play_statuses.length, 3);
    assert.equal(r.data.playlists.length, 1);
    // The fresh token answers deltas again.
    const again = await sync(api, { since: r.data.sync_token });
    assert.equal(again.data.full, false);
  });
});

Deno.test("a token from before an erasure gets the whole state, without what was erased", async () => {
  await withApi({}, async ({ api }) => {
    const first = await seeded(api);
    const erased = await api.call("DELETE", "/history", { feed: feedId(1) });
    assert.ok(erased.status < 300, erased.text);
    const r = await sync(api, { since: first.data.sync_token });
    assert.equal(r.data.full, true);
    assert.deepEqual(itemsOf(r), [itemId(2, 1)]);
  });
});

Deno.test("a token whose later events are gone (deleted by the cleanup) gets the whole state", async () => {
  await withApi({}, async ({ api, t }) => {
    const first = await seeded(api);
    await api.post("/play", { ...play(2, 1, 77, 0), updated_at: undefined });
    await api.post("/play", { ...play(2, 2, 78, 0), updated_at: undefined });
    const seq = (await t.deps.store.head(api.userId)).seq;
    await t.deps.kv.delete(keys.eventKey(api.userId, seq - 1));
    const r = await sync(api, { since: first.data.sync_token });
    assert.equal(r.data.full, true);
    assert.equal(r.data.play_statuses.length, 4);
    // A token naming events the stream never had (another server's) also gets it all.
    const ahead = await syncToken(api.userId, { seq: seq + 50, at: t.clock.now() });
    const r2 = await sync(api, { since: ahead });
    assert.equal(r2.data.full, true);
    assert.equal(r2.data.play_statuses.length, 4);
  });
});

Deno.test("changes made through the gpodder-shared domain show in a delta (unsubscribing included)", async () => {
  await withApi({}, async ({ api }) => {
    const first = await seeded(api);
    assert.equal((await api.delete(`/subscriptions/${feedId(2)}`)).status, 200);
    const r = await sync(api, { since: first.data.sync_token });
    assert.deepEqual(feedsOf(r), [feedId(2)]);
    assert.notEqual(r.data.subscriptions[0].unsubscribed_at, null);
  });
});
