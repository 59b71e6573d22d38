import assert from "node:assert/strict";
import { type ApiClient, feedId, feedUrl, itemId, type Json, withApi } from "./_api.ts";

function play(f: number, e: number, position: number, extra: Record<string, unknown> = {}) {
  return { rss_source_feed: feedId(f), rss_source_item: itemId(f, e), position, ...extra };
}

async function allPages(api: ApiClient, query: string): Promise<Json[]> {
  const out: Json[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const sep = query ? "&" : "";
    const path: string = `/play?${query}${cursor ? `${sep}cursor=${cursor}` : ""}`;
    const r = await api.get(path);
    assert.equal(r.status, 200, r.text);
    out.push(...r.body.play_statuses);
    cursor = r.body.next_cursor;
    if (!cursor) return out;
  }
  throw new Error("pagination never ended");
}

Deno.test("POST /play answers 200 with the play status and GET /play returns it at once", async () => {
  await withApi({}, async ({ api, t }) => {
    const r = await api.post("/play", play(1, 1, 120, { duration: 3600 }));
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, {
      rss_source_feed: feedId(1),
      rss_source_item: itemId(1, 1),
      feed_url: feedUrl(1),
      guid: "guid-1-1",
      enclosure_url: "https://cdn.example.org/1/1.mp3",
      position: 120,
      played: false,
      duration: 3600,
      updated_at: new Date(t.clock.now()).toISOString(),
    });
    const got = await api.get("/play");
    const { sync_token, ...page } = got.body;
    assert.equal(typeof sync_token, "string");
    assert.deepEqual(page, { play_statuses: [r.body], next_cursor: null });
    t.clock.advance(1000);
    const done = await api.post("/play", play(1, 1, 3590, { played: true }));
    assert.equal(done.body.played, true);
    assert.equal(done.body.duration, 3600);
    assert.deepEqual((await api.get("/play")).body.play_statuses, [done.body]);
  });
});

Deno.test("PUT /play/{item}/position updates the position, 404 when the episode has no play status", async () => {
  await withApi({}, async ({ api, t }) => {
    const missing = await api.put(`/play/${itemId(1, 1)}/position`, { position: 10 });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, "not_found");
    await api.post("/play", play(1, 1, 10));
    t.clock.advance(5000);
    const r = await api.put(`/play/${itemId(1, 1)}/position`, { position: 75 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.position, 75);
    assert.equal(r.body.updated_at, new Date(t.clock.now()).toISOString());
    const [p] = (await api.get("/play")).body.play_statuses;
    assert.equal(p.position, 75);
    assert.equal(p.updated_at, r.body.updated_at);
  });
});

Deno.test("GET /play filters by played and by feed", async () => {
  await withApi({}, async ({ api, t }) => {
    await api.post("/play", play(1, 1, 10, { played: true }));
    t.clock.advance(1000);
    await api.post("/play", play(1, 2, 20));
    t.clock.advance(1000);
    await api.post("/play", play(2, 1, 30, { played: true }));
    const items = (r: Json) => r.body.play_statuses.map((p: Json) => p.rss_source_item);
    assert.deepEqual(items(await api.get("/play?played=true")), [itemId(2, 1), itemId(1, 1)]);
    assert.deepEqual(items(await api.get("/play?played=false")), [itemId(1, 2)]);
    assert.deepEqual(items(await api.get(`/play?feed=${feedId(1)}`)), [itemId(1, 2), itemId(1, 1)]);
    assert.deepEqual(
      items(await api.get(`/play?feed=${feedId(1)}&played=true`)),
      [itemId(1, 1)],
    );
    assert.deepEqual(items(await api.get(`/play?feed=${feedId(3)}`)), []);
  });
});

Deno.test("GET /play pages newest updated_at first with a cursor and loses nothing", async () => {
  await withApi({}, async ({ api, t }) => {
    for (let e = 0; e < 23; e++) {
      await api.post("/play", play(e % 2, e, e, { played: e % 3 === 0 }));
      if (e % 4 !== 0) t.clock.advance(1000); // some share a timestamp
    }
    const all = await allPages(api, "limit=5");
    assert.equal(all.length, 23);
    assert.equal(new Set(all.map((p) => p.rss_source_item)).size, 23);
    for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].updated_at >= all[i].updated_at);
    const played = await allPages(api, "limit=2&played=true");
    assert.deepEqual(
      played.map((p) => p.rss_source_item),
      all.filter((p) => p.played).map((p) => p.rss_source_item),
    );
    const feed1 = await allPages(api, `limit=3&feed=${feedId(1)}`);
    assert.equal(feed1.length, 11);
    const one = await api.get("/play?limit=1");
    assert.equal(one.body.play_statuses.length, 1);
    assert.ok(one.body.next_cursor);
    const max = await api.get("/play?limit=500");
    assert.equal(max.body.play_statuses.length, 23);
    assert.equal(max.body.next_cursor, null);
  });
});

Deno.test("GET /play refuses a limit outside 1–500 and a cursor of another filter", async () => {
  await withApi({}, async ({ api }) => {
    for (let e = 0; e < 3; e++) await api.post("/play", play(1, e, e));
    for (const limit of ["0", "501", "-1", "abc", "1.5"]) {
      const r = await api.get(`/play?limit=${limit}`);
      assert.ok(r.status === 400 || r.status === 422, `${limit}: ${r.status}`);
      assert.ok(r.body.error.code);
    }
    const cursor = (await api.get("/play?limit=1")).body.next_cursor;
    assert.ok(cursor);
    const other = await api.get(`/play?limit=1&played=true&cursor=${cursor}`);
    assert.equal(other.status, 400);
    assert.equal(other.body.error.code, "invalid_cursor");
    const otherFeed = await api.get(`/play?limit=1&feed=${feedId(1)}&cursor=${cursor}`);
    assert.equal(otherFeed.status, 400);
    const forged = (k: unknown[]) =>
      btoa(JSON.stringify({ k, f: "any|*" })).replace(/\+/g, "-").replace(/\//g, "_");
    const forgeries = [forged([1, "a".repeat(5000)]), forged([-1, "x"]), forged([1.5, "x"])];
    for (const junk of ["garbage", "%00%01", "eyJrIjpbXX0", "a".repeat(5000), ...forgeries]) {
      const r = await api.get(`/play?cursor=${junk}`);
      assert.equal(r.status, 400, junk);
    }
  });
});

Deno.test("a play status sent by sync is returned by GET /play and updated by POST /play", async () => {
  await withApi({}, async ({ api }) => {
    await api.post("/sync", {
      play_statuses: [{
        rss_source_feed: feedId(1),
        rss_source_item: itemId(1, 1),
        position: 5,
        played: false,
        updated_at: "2025-06-01T00:00:00Z",
      }],
    });
    const r = await api.post("/play", play(1, 1, 500));
    assert.equal(r.body.position, 500);
    const list = (await api.get("/play")).body.play_statuses;
    assert.equal(list.length, 1);
    assert.equal(list[0].position, 500);
  });
});
