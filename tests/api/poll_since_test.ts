/** `since` on the polling reads: `GET /subscriptions?since=…` and `GET /play?since=…`. */
import assert from "node:assert/strict";
import { feedId, itemId, type Json, withApi } from "./_api.ts";

const DAY = 86_400_000;

const play = (f: number, e: number, position: number, played = false) => ({
  rss_source_feed: feedId(f),
  rss_source_item: itemId(f, e),
  position,
  played,
});

Deno.test("GET /subscriptions?since answers the subscriptions changed after the token, unsubscriptions included", async () => {
  await withApi({}, async ({ api, t }) => {
    for (const f of [1, 2, 3]) await api.post("/subscriptions", { rss_source_feed: feedId(f) });
    const start = await api.get("/subscriptions");
    assert.equal(start.body.subscriptions.length, 3);
    const token = start.body.sync_token;
    assert.equal(typeof token, "string");
    t.clock.advance(1_000);
    await api.delete(`/subscriptions/${feedId(2)}`);
    await api.post("/subscriptions", { rss_source_feed: feedId(4) });
    await api.post("/play", play(1, 1, 10)); // not a subscription change
    const r = await api.get(`/subscriptions?since=${token}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.full, false);
    assert.deepEqual(
      r.body.subscriptions.map((s: Json) => [s.rss_source_feed, s.unsubscribed_at === null]),
      [[feedId(4), true], [feedId(2), false]],
    );
    const again = await api.get(`/subscriptions?since=${r.body.sync_token}`);
    assert.deepEqual([again.body.subscriptions, again.body.full], [[], false]);
  });
});

Deno.test("GET /subscriptions?since with a token past the 45-day window lists every subscription with full: true", async () => {
  await withApi({}, async ({ api, t }) => {
    await api.post("/subscriptions", { rss_source_feed: feedId(1) });
    await api.post("/subscriptions", { rss_source_feed: feedId(2) });
    await api.delete(`/subscriptions/${feedId(2)}`);
    const token = (await api.get("/subscriptions")).body.sync_token;
    t.clock.advance(46 * DAY);
    const r = await api.get(`/subscriptions?since=${token}`);
    assert.equal(r.body.full, true);
    assert.deepEqual(r.body.subscriptions.map((s: Json) => s.rss_source_feed).sort(), [
      feedId(1),
      feedId(2),
    ]);
  });
});

Deno.test("GET /play?since answers the play statuses changed after the token, a page at a time", async () => {
  await withApi({}, async ({ api, t }) => {
    for (let e = 0; e < 5; e++) await api.post("/play", play(1, e, e));
    const token = (await api.get("/play")).body.sync_token;
    t.clock.advance(1_000);
    for (let e = 3; e < 8; e++) {
      await api.post("/play", play(e % 2 === 0 ? 1 : 2, e, 100 + e, e === 7));
      t.clock.advance(1_000);
    }
    const first = await api.get(`/play?since=${token}&limit=3`);
    assert.equal(first.status, 200, first.text);
    assert.equal(first.body.full, false);
    assert.equal(first.body.play_statuses.length, 3);
    assert.equal(typeof first.body.next_cursor, "string");
    // The rest, keeping the query and adding the cursor.
    const rest = await api.get(`/play?since=${token}&limit=3&cursor=${first.body.next_cursor}`);
    assert.equal(rest.body.next_cursor, null);
    const seen = [...first.body.play_statuses, ...rest.body.play_statuses]
      .map((p: Json) => p.rss_source_item).sort();
    assert.deepEqual(seen, [3, 4, 5, 6, 7].map((e) => itemId(e % 2 === 0 ? 1 : 2, e)).sort());
    // Newest first within a page, filters as in the listing.
    const dates = first.body.play_statuses.map((p: Json) => Date.parse(p.updated_at));
    assert.deepEqual(dates, [...dates].sort((a, b) => b - a));
    const played = await api.get(`/play?since=${token}&played=true`);
    assert.deepEqual(played.body.play_statuses.map((p: Json) => p.rss_source_item), [
      itemId(2, 7),
    ]);
    const ofFeed = await api.get(`/play?since=${token}&feed=${feedId(2)}`);
    assert.equal(ofFeed.body.play_statuses.length, 3);
    const none = await api.get(`/play?since=${rest.body.sync_token}`);
    assert.deepEqual([none.body.play_statuses, none.body.next_cursor], [[], null]);
  });
});

Deno.test("GET /play?since with a token past the 45-day window pages through the whole listing with full: true", async () => {
  await withApi({}, async ({ api, t }) => {
    for (let e = 0; e < 4; e++) await api.post("/play", play(1, e, e));
    const token = (await api.get("/play")).body.sync_token;
    t.clock.advance(46 * DAY);
    const first = await api.get(`/play?since=${token}&limit=3`);
    assert.equal(first.body.full, true);
    assert.equal(first.body.play_statuses.length, 3);
    assert.equal(typeof first.body.sync_token, "string");
    const rest = await api.get(`/play?since=${token}&limit=3&cursor=${first.body.next_cursor}`);
    assert.equal(rest.status, 200, rest.text);
    assert.equal(rest.body.full, true);
    assert.equal(rest.body.play_statuses.length, 1);
    assert.equal(rest.body.next_cursor, null);
    const fresh = await api.get(`/play?since=${first.body.sync_token}`);
    assert.deepEqual([fresh.body.full, fresh.body.play_statuses], [false, []]);
  });
});
