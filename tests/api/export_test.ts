import assert from "node:assert/strict";
import { feedId, itemId, type Json, withApi } from "./_api.ts";

Deno.test("GET /export holds the user's subscriptions, plays, playlists, privacy and events", async () => {
  await withApi({}, async ({ api }) => {
    await api.post("/subscriptions", { rss_source_feed: feedId(1), rss_source_id: "src" });
    await api.post("/play", {
      rss_source_feed: feedId(1),
      rss_source_item: itemId(1, 1),
      position: 42,
    });
    await api.post(`/episodes/${itemId(1, 1)}/save?feed=${feedId(1)}`);
    await api.post(`/episodes/${itemId(1, 2)}/share?feed=${feedId(1)}`);
    await api.put("/privacy", { privacy: "private", feed: feedId(1) });
    const pl = (await api.post("/playlists", { name: "Queue" })).body;
    await api.post(`/playlists/${pl.id}/items`, {
      rss_source_feed: feedId(1),
      rss_source_item: itemId(1, 1),
    });

    const r = await api.get("/export");
    assert.equal(r.status, 200, r.text);
    const x = r.body;
    assert.equal(x.user.username, "alice");
    assert.equal(x.user.user_id, api.userId);
    assert.equal(x.subscriptions[0].rss_source_feed, feedId(1));
    assert.equal(x.subscriptions[0].rss_source_id, "src");
    assert.equal(x.play_statuses[0].position, 42);
    assert.equal(x.saved_episodes[0].rss_source_item, itemId(1, 1));
    assert.equal(x.shared_episodes[0].rss_source_item, itemId(1, 2));
    assert.equal(x.privacy.feeds[0].privacy, "private");
    assert.equal(x.playlists[0].name, "Queue");
    assert.equal(x.playlists[0].items[0].rss_source_item, itemId(1, 1));
    assert.equal(x.events_total, 7);
    assert.deepEqual(x.events.map((e: Json) => e.seq), [1, 2, 3, 4, 5, 6, 7]);
    assert.ok(x.apps.some((a: Json) => a.app_id));
    assert.doesNotMatch(r.text, /password|hash/i);
  });
});

Deno.test("GET /export of a user with no data is an empty document, not an error", async () => {
  await withApi({}, async ({ api }) => {
    const r = await api.get("/export");
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.subscriptions, []);
    assert.deepEqual(r.body.events, []);
    assert.equal(r.body.events_total, 0);
  });
});
