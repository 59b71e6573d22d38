import assert from "node:assert/strict";
import { feedId, feedUrl, itemId, type Json, withApi } from "./_api.ts";

Deno.test("POST /episodes/{item}/save likes an episode and GET /episodes/saved lists it at once", async () => {
  await withApi({}, async ({ api, t }) => {
    const r = await api.post(`/episodes/${itemId(1, 1)}/save?feed=${feedId(1)}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.saved, true);
    assert.equal(r.body.changed, true);
    const again = await api.post(`/episodes/${itemId(1, 1)}/save?feed=${feedId(1)}`);
    assert.equal(again.status, 200);
    assert.equal(again.body.changed, false);
    const saved = (await api.get("/episodes/saved")).body.episodes;
    assert.deepEqual(saved, [{
      rss_source_feed: feedId(1),
      rss_source_item: itemId(1, 1),
      saved_at: new Date(t.clock.now()).toISOString(),
      feed_url: feedUrl(1),
      guid: "guid-1-1",
      enclosure_url: "https://cdn.example.org/1/1.mp3",
    }]);
    assert.equal((await t.deps.store.head(api.userId)).seq, 1);
  });
});

Deno.test("DELETE /episodes/{item}/save unlikes it and the saved list forgets it", async () => {
  await withApi({}, async ({ api, t }) => {
    await api.post(`/episodes/${itemId(1, 1)}/save?feed=${feedId(1)}`);
    t.clock.advance(1000);
    await api.post(`/episodes/${itemId(1, 2)}/save?feed=${feedId(1)}`);
    const del = await api.delete(`/episodes/${itemId(1, 1)}/save?feed=${feedId(1)}`);
    assert.equal(del.status, 200);
    assert.equal(del.body.saved, false);
    const saved = (await api.get("/episodes/saved")).body.episodes;
    assert.deepEqual(saved.map((s: Json) => s.rss_source_item), [itemId(1, 2)]);
    const never = await api.delete(`/episodes/${itemId(9, 9)}/save?feed=${feedId(9)}`);
    assert.equal(never.status, 200);
    assert.equal(never.body.changed, false);
  });
});

Deno.test("POST /episodes/{item}/share records a share once", async () => {
  await withApi({}, async ({ api, t }) => {
    const r = await api.post(`/episodes/${itemId(1, 1)}/share?feed=${feedId(1)}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.shared, true);
    const again = await api.post(`/episodes/${itemId(1, 1)}/share?feed=${feedId(1)}`);
    assert.equal(again.body.changed, false);
    const events = await t.deps.store.readEvents(api.userId, 0);
    assert.deepEqual(events.map((e) => [e.type, e.feed, e.item]), [
      ["shared", feedId(1), itemId(1, 1)],
    ]);
  });
});

Deno.test("episode endpoints need a valid feed query and item id", async () => {
  await withApi({}, async ({ api }) => {
    const noFeed = await api.post(`/episodes/${itemId(1, 1)}/save`);
    assert.equal(noFeed.status, 422);
    assert.ok(noFeed.body.error.details.feed);
    const badFeed = await api.post(`/episodes/${itemId(1, 1)}/save?feed=not-base64!`);
    assert.equal(badFeed.status, 400);
    assert.equal(badFeed.body.error.code, "invalid_feed_id");
    const badItem = await api.post(`/episodes/${feedId(1)}/share?feed=${feedId(1)}`);
    assert.equal(badItem.status, 400);
    assert.equal(badItem.body.error.code, "invalid_item_id");
  });
});
