import assert from "node:assert/strict";
import { migrateReadModels, rebuildUserReadModels } from "../../src/store/read_model_rebuild.ts";
import * as keys from "../../src/store/keys.ts";
import { feedId, itemId, withApi } from "../api/_api.ts";

async function readModels(kv: Deno.Kv, userId: string) {
  const out: Record<string, unknown> = {};
  for (
    const p of [
      "sub",
      "sub_by_time",
      "play",
      "play_by_time",
      "saved",
      "pl",
      "pl_item",
      "priv",
      "gp_log",
      "gp_dev",
    ]
  ) {
    for await (const e of kv.list({ prefix: [p, userId] })) out[JSON.stringify(e.key)] = e.value;
  }
  return out;
}

Deno.test("rebuilding a user's read models from state and events gives the same records", async () => {
  await withApi({}, async ({ t, api }) => {
    await api.post("/subscriptions", { rss_source_feed: feedId(1) });
    await api.post("/subscriptions", { rss_source_feed: feedId(2) });
    t.clock.advance(1000);
    await api.delete(`/subscriptions/${feedId(2)}`);
    await api.post("/play", {
      rss_source_feed: feedId(1),
      rss_source_item: itemId(1, 1),
      position: 10,
      duration: 600,
    });
    t.clock.advance(1000);
    await api.put(`/play/${itemId(1, 1)}/position`, { position: 20 });
    await api.post(`/episodes/${itemId(1, 2)}/save?feed=${feedId(1)}`);
    await api.put("/privacy", { privacy: "anonymous", feed: feedId(1) });
    const pl = await api.post("/playlists", { name: "Mix" });
    await api.post(`/playlists/${pl.body.id}/items`, {
      rss_source_feed: feedId(1),
      rss_source_item: itemId(1, 1),
    });
    const before = await readModels(t.deps.kv, api.userId);
    assert.ok(Object.keys(before).length >= 10);
    await rebuildUserReadModels(t.deps.kv, t.deps.store, api.userId);
    assert.deepEqual(await readModels(t.deps.kv, api.userId), before);
  });
});

Deno.test("records of an older shape are rewritten once at start-up", async () => {
  await withApi({}, async ({ t, api }) => {
    await api.post("/subscriptions", { rss_source_feed: feedId(1) });
    const key =
      (await Array.fromAsync(t.deps.kv.list({ prefix: keys.subPrefix(api.userId) })))[0].key;
    // What version 1 stored: the REST API's field names.
    await t.deps.kv.set(key, {
      rss_source_feed: feedId(1),
      feed_url: "x",
      subscribed_at: "2026-01-15T10:00:00.000Z",
    });
    await t.deps.kv.delete(keys.readModelVersionKey());
    assert.equal(await migrateReadModels(t.deps.kv, t.deps.store), 1);
    assert.equal(((await t.deps.kv.get<{ feed: string }>(key)).value)!.feed, feedId(1));
    assert.equal(await migrateReadModels(t.deps.kv, t.deps.store), 0, "only once");
    assert.equal((await api.get("/subscriptions")).body.subscriptions.length, 1);
  });
});
