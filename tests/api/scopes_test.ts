import assert from "node:assert/strict";
import { feedId, itemId, withApi } from "./_api.ts";

const PLAY = { rss_source_feed: feedId(1), rss_source_item: itemId(1, 1), position: 1 };

Deno.test("a token with only user.plays.read cannot subscribe nor sync, and writes nothing", async () => {
  await withApi({ scopes: ["user.plays.read"] }, async ({ api, t }) => {
    const sub = await api.post("/subscriptions", { rss_source_feed: feedId(1) });
    assert.equal(sub.status, 403);
    assert.equal(sub.body.error.code, "insufficient_scope");
    assert.match(sub.body.error.message, /user\.subscriptions\.write/);
    assert.equal(sub.body.error.details.required_scope, "user.subscriptions.write");

    const sync = await api.post("/sync", { subscriptions: [] });
    assert.equal(sync.status, 403);
    assert.equal(sync.body.error.details.required_scope, "user.sync");

    const play = await api.post("/play", PLAY);
    assert.equal(play.status, 403);
    assert.equal(play.body.error.details.required_scope, "user.plays.write");

    assert.equal((await api.get("/play")).status, 200);
    assert.equal((await api.get("/subscriptions")).status, 403);
    assert.equal((await api.get("/export")).status, 403);
    assert.equal((await t.deps.store.head(api.userId)).seq, 0);
  });
});

Deno.test("user.sync syncs and reads/writes subscriptions, plays and playlists, but not privacy", async () => {
  await withApi({ scopes: ["user.sync"] }, async ({ api }) => {
    assert.equal((await api.post("/sync", {})).status, 200);
    assert.equal((await api.post("/subscriptions", { rss_source_feed: feedId(1) })).status, 201);
    assert.equal((await api.get("/subscriptions")).status, 200);
    assert.equal((await api.post("/play", PLAY)).status, 200);
    assert.equal((await api.get("/play")).status, 200);
    assert.equal((await api.post(`/episodes/${itemId(1, 1)}/save?feed=${feedId(1)}`)).status, 200);
    assert.equal((await api.post("/playlists", { name: "Q" })).status, 201);
    assert.equal((await api.get("/playlists")).status, 200);

    const put = await api.put("/privacy", { privacy: "private" });
    assert.equal(put.status, 403);
    assert.equal(put.body.error.details.required_scope, "user.privacy.write");
    const get = await api.get("/privacy");
    assert.equal(get.status, 403);
    assert.equal(get.body.error.details.required_scope, "user.privacy.read");
    assert.equal((await api.get("/export")).status, 403);
  });
});

Deno.test("user.read can export but not write", async () => {
  await withApi({ scopes: ["user.read"] }, async ({ api }) => {
    assert.equal((await api.get("/export")).status, 200);
    assert.equal((await api.get("/subscriptions")).status, 200);
    assert.equal((await api.get("/privacy")).status, 200);
    const w = await api.post("/subscriptions", { rss_source_feed: feedId(1) });
    assert.equal(w.status, 403);
    assert.equal((await api.post("/sync", {})).status, 403);
  });
});

Deno.test("the scope check comes before reading the body", async () => {
  await withApi({ scopes: ["user.plays.read"] }, async ({ api }) => {
    const r = await api.post("/subscriptions", undefined, { raw: "{not json" });
    assert.equal(r.status, 403);
  });
});

Deno.test("the API without a request JWT answers 401 with the SPEC error shape", async () => {
  await withApi({}, async ({ t }) => {
    for (const path of ["/api/v1/sync", "/api/v1/subscriptions", "/api/v1/play"]) {
      const res = await t.app.request(path, { method: "POST", body: "{}" });
      assert.equal(res.status, 401);
      const body = await res.json();
      assert.equal(body.error.code, "unauthorized");
      assert.ok(body.error.message);
    }
  });
});
