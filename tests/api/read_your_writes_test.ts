import assert from "node:assert/strict";
import { feedId, itemId, type Json, withApi } from "./_api.ts";

const ids = (list: Json[], key: string) => list.map((x) => x[key]);

Deno.test("every write is visible to the very next GET, even within the same millisecond", async () => {
  await withApi({}, async ({ api }) => {
    const subs = async () =>
      ids((await api.get("/subscriptions")).body.subscriptions, "rss_source_feed");
    await api.post("/subscriptions", { rss_source_feed: feedId(1) });
    assert.deepEqual(await subs(), [feedId(1)]);
    await api.delete(`/subscriptions/${feedId(1)}`);
    assert.deepEqual(await subs(), []);
    await api.post("/subscriptions", { rss_source_feed: feedId(1) });
    assert.deepEqual(await subs(), [feedId(1)]);

    const position = async () => (await api.get("/play")).body.play_statuses[0]?.position;
    await api.post("/play", {
      rss_source_feed: feedId(1),
      rss_source_item: itemId(1, 1),
      position: 3,
    });
    assert.equal(await position(), 3);
    await api.put(`/play/${itemId(1, 1)}/position`, { position: 4 });
    assert.equal(await position(), 4);

    const saved = async () => (await api.get("/episodes/saved")).body.episodes.length;
    await api.post(`/episodes/${itemId(1, 1)}/save?feed=${feedId(1)}`);
    assert.equal(await saved(), 1);
    await api.delete(`/episodes/${itemId(1, 1)}/save?feed=${feedId(1)}`);
    assert.equal(await saved(), 0);

    await api.put("/privacy", { privacy: "private", feed: feedId(1) });
    assert.equal((await api.get(`/privacy?feed=${feedId(1)}`)).body.privacy, "private");

    const pl = (await api.post("/playlists", { name: "Q" })).body.id;
    assert.deepEqual(ids((await api.get("/playlists")).body.playlists, "id"), [pl]);
    const item = { rss_source_feed: feedId(1), rss_source_item: itemId(1, 1) };
    const items = async () => (await api.get(`/playlists/${pl}`)).body.items.length;
    await api.post(`/playlists/${pl}/items`, item);
    assert.equal(await items(), 1);
    await api.delete(`/playlists/${pl}/items/${itemId(1, 1)}`);
    assert.equal(await items(), 0);
    await api.post(`/playlists/${pl}/items`, item);
    assert.equal(await items(), 1);
    await api.delete(`/playlists/${pl}`);
    assert.equal((await api.get(`/playlists/${pl}`)).status, 404);

    await api.post("/sync", {
      subscriptions: [{ rss_source_feed: feedId(2), subscribed_at: "2025-01-01T00:00:00Z" }],
    });
    assert.deepEqual((await subs()).sort(), [feedId(1), feedId(2)].sort());
  });
});

Deno.test("an unsubscribe via REST wins over a subscription a client dated in the future", async () => {
  await withApi({}, async ({ api, t }) => {
    const ahead = new Date(t.clock.now() + 60_000).toISOString(); // a phone whose clock is fast
    await api.post("/sync", {
      subscriptions: [{ rss_source_feed: feedId(1), subscribed_at: ahead }],
    });
    const del = await api.delete(`/subscriptions/${feedId(1)}`);
    assert.equal(del.status, 200);
    assert.ok(del.body.unsubscribed_at > del.body.subscribed_at);
    assert.deepEqual((await api.get("/subscriptions")).body.subscriptions, []);
    // The fast phone sends its stale state again: the later unsubscription stays.
    const stale = { subscriptions: [{ rss_source_feed: feedId(1), subscribed_at: ahead }] };
    assert.equal((await api.post("/sync", stale)).body.events_appended, 0);
    assert.deepEqual((await api.get("/subscriptions")).body.subscriptions, []);
    const back = await api.post("/subscriptions", { rss_source_feed: feedId(1) });
    assert.equal(back.status, 201);
    assert.equal((await api.get("/subscriptions")).body.subscriptions.length, 1);
  });
});

Deno.test("a REST position wins over a play status a client dated in the future, even re-sent", async () => {
  await withApi({}, async ({ api, t }) => {
    const ahead = new Date(t.clock.now() + 3_600_000).toISOString();
    const stale = {
      play_statuses: [{
        rss_source_feed: feedId(1),
        rss_source_item: itemId(1, 1),
        position: 100,
        played: false,
        updated_at: ahead,
      }],
    };
    await api.post("/sync", stale);
    t.clock.advance(60_000);
    assert.equal((await api.put(`/play/${itemId(1, 1)}/position`, { position: 200 })).status, 200);
    assert.equal((await api.post("/sync", stale)).body.events_appended, 0);
    assert.equal((await api.get("/play")).body.play_statuses[0].position, 200);
    const play = { rss_source_feed: feedId(1), rss_source_item: itemId(1, 1), position: 300 };
    assert.equal((await api.post("/play", play)).status, 200);
    assert.equal((await api.post("/sync", stale)).body.events_appended, 0);
    assert.equal((await api.get("/play")).body.play_statuses[0].position, 300);
  });
});

Deno.test("a REST rename or delete wins over a playlist a client dated in the future, even re-sent", async () => {
  await withApi({}, async ({ api, t }) => {
    const ahead = new Date(t.clock.now() + 3_600_000).toISOString();
    const stale = { playlists: [{ id: "p", name: "Phone", updated_at: ahead, items: [] }] };
    await api.post("/sync", stale);
    assert.equal((await api.patch("/playlists/p", { name: "Web" })).status, 200);
    await api.post("/sync", stale);
    assert.equal((await api.get("/playlists/p")).body.name, "Web");
    assert.equal((await api.delete("/playlists/p")).status, 200);
    await api.post("/sync", stale);
    assert.equal((await api.get("/playlists/p")).status, 404);
  });
});
