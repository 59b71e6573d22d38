import assert from "node:assert/strict";
import { feedId, itemId, withApi } from "./_api.ts";

Deno.test("GET /privacy of a new user is the instance default", async () => {
  await withApi({ env: { DEFAULT_PRIVACY: "anonymous" } }, async ({ api }) => {
    const r = await api.get("/privacy");
    assert.equal(r.status, 200);
    assert.equal(r.body.privacy, "anonymous");
    assert.deepEqual(r.body.feeds, []);
    assert.deepEqual(r.body.items, []);
    const eff = await api.get(`/privacy?feed=${feedId(1)}&item=${itemId(1, 1)}`);
    assert.deepEqual(eff.body, { privacy: "anonymous", source: "default" });
  });
});

Deno.test("privacy resolves item, then feed, then user, then the default", async () => {
  await withApi({}, async ({ api }) => {
    const eff = async (q: string) => (await api.get(`/privacy?${q}`)).body;
    const f1 = `feed=${feedId(1)}`;
    const i1 = `${f1}&item=${itemId(1, 1)}`;
    assert.deepEqual(await eff(i1), { privacy: "public", source: "default" });

    const user = await api.put("/privacy", { privacy: "anonymous" });
    assert.equal(user.status, 200, user.text);
    assert.equal(user.body.privacy, "anonymous");
    assert.deepEqual(await eff(i1), { privacy: "anonymous", source: "user" });

    const feed = await api.put("/privacy", { privacy: "private", feed: feedId(1) });
    assert.equal(feed.status, 200, feed.text);
    assert.deepEqual(await eff(i1), { privacy: "private", source: "feed" });
    assert.deepEqual(await eff(`feed=${feedId(2)}`), { privacy: "anonymous", source: "user" });

    const item = await api.put("/privacy", {
      privacy: "public",
      feed: feedId(1),
      item: itemId(1, 1),
    });
    assert.equal(item.status, 200, item.text);
    assert.deepEqual(await eff(i1), { privacy: "public", source: "item" });
    assert.deepEqual(await eff(`${f1}&item=${itemId(1, 2)}`), {
      privacy: "private",
      source: "feed",
    });

    const all = (await api.get("/privacy")).body;
    assert.equal(all.privacy, "anonymous");
    assert.deepEqual(all.feeds, [{ rss_source_feed: feedId(1), privacy: "private" }]);
    assert.deepEqual(all.items, [{
      rss_source_feed: feedId(1),
      rss_source_item: itemId(1, 1),
      privacy: "public",
    }]);

    const delItem = await api.delete(`/privacy?${i1}`);
    assert.equal(delItem.status, 200);
    assert.deepEqual(await eff(i1), { privacy: "private", source: "feed" });
    assert.equal((await api.delete(`/privacy?${f1}`)).status, 200);
    assert.deepEqual(await eff(i1), { privacy: "anonymous", source: "user" });
    assert.equal((await api.delete("/privacy")).status, 200);
    assert.deepEqual(await eff(i1), { privacy: "public", source: "default" });
    const empty = (await api.get("/privacy")).body;
    assert.deepEqual([empty.privacy, empty.feeds, empty.items], ["public", [], []]);
  });
});

Deno.test("PUT /privacy with the level already set appends no event", async () => {
  await withApi({}, async ({ api, t }) => {
    await api.put("/privacy", { privacy: "private", feed: feedId(1) });
    await api.put("/privacy", { privacy: "private", feed: feedId(1) });
    assert.equal((await t.deps.store.head(api.userId)).seq, 1);
    const gone = await api.delete(`/privacy?feed=${feedId(2)}`);
    assert.equal(gone.status, 200);
    assert.equal((await t.deps.store.head(api.userId)).seq, 1);
  });
});

Deno.test("PUT /privacy refuses unknown levels, wrong types and an item without its feed", async () => {
  await withApi({}, async ({ api }) => {
    for (const body of [{}, { privacy: "secret" }, { privacy: 1 }, { privacy: ["public"] }]) {
      const r = await api.put("/privacy", body);
      assert.equal(r.status, 422, JSON.stringify(body));
      assert.equal(r.body.error.code, "validation_failed");
      assert.ok(r.body.error.details.privacy);
    }
    const noFeed = await api.put("/privacy", { privacy: "public", item: itemId(1, 1) });
    assert.equal(noFeed.status, 422);
    assert.ok(noFeed.body.error.details.feed);
    const badFeed = await api.put("/privacy", { privacy: "public", feed: "Zm9v" });
    assert.equal(badFeed.status, 400);
    assert.equal(badFeed.body.error.code, "invalid_feed_id");
    const badItem = await api.get(`/privacy?feed=${feedId(1)}&item=${feedId(1)}`);
    assert.equal(badItem.status, 400);
    assert.equal(badItem.body.error.code, "invalid_item_id");
  });
});
