import assert from "node:assert/strict";
import { oneOffJobs } from "../../jobs/mod.ts";
import * as keys from "../../src/store/keys.ts";
import { feedId, itemId, withApi } from "../api/_api.ts";

const DAY = 86_400_000;

Deno.test("60 days of history: checkpoint and cleanup keep subscriptions, positions and playlists", async () => {
  await withApi({}, async ({ t, api }) => {
    for (let d = 0; d < 60; d++) {
      await api.post("/subscriptions", { rss_source_feed: feedId(d % 7) });
      await api.post("/play", {
        rss_source_feed: feedId(d % 7),
        rss_source_item: itemId(d % 7, d),
        position: d * 10,
      });
      if (d === 5) await api.delete(`/subscriptions/${feedId(3)}`);
      if (d === 10) {
        const pl = await api.post("/playlists", { name: "Morning" });
        await api.post(`/playlists/${pl.body.id}/items`, {
          rss_source_feed: feedId(1),
          rss_source_item: itemId(1, 1),
        });
      }
      t.clock.advance(DAY);
    }
    await t.deps.projector.drainAll();
    const before = {
      subs: (await api.get("/subscriptions?include=all")).body,
      plays: (await api.get("/play?limit=500")).body,
      playlists: (await api.get("/playlists")).body,
    };
    const events = async () =>
      (await Array.fromAsync(t.deps.kv.list({ prefix: keys.eventPrefix(api.userId) }))).length;
    const total = await events();
    const jobs = oneOffJobs(t.deps);
    const c = await jobs.checkpoint() as { users: number; checkpoints: number };
    assert.equal(c.checkpoints, 1);
    const d = await jobs.cleanup() as { events_deleted: number };
    assert.ok(d.events_deleted > 0);
    assert.equal(await events(), total - d.events_deleted);
    // A fresh actor loads checkpoint + remaining events.
    const t2 = t.deps.store;
    const state = await t2.load(api.userId);
    assert.equal(state.plays.size, 60);
    const after = {
      subs: (await api.get("/subscriptions?include=all")).body,
      plays: (await api.get("/play?limit=500")).body,
      playlists: (await api.get("/playlists")).body,
    };
    // feed 3 was resubscribed after day 5 (d % 7 === 3 on day 10), so nothing was pruned.
    assert.deepEqual(after, before);
  });
});

Deno.test("erasing a feed's history removes its plays and public traces, keeps the subscription", async () => {
  await withApi({}, async ({ t, api }) => {
    await api.post("/subscriptions", { rss_source_feed: feedId(1) });
    await api.post("/subscriptions", { rss_source_feed: feedId(2) });
    for (const f of [1, 2]) {
      await api.post("/play", {
        rss_source_feed: feedId(f),
        rss_source_item: itemId(f, 1),
        position: 5,
      });
    }
    await t.deps.projector.drainAll();
    const r = await api.call("DELETE", "/history", { feed: feedId(1) });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.scope, "feed");
    assert.ok(r.body.events_deleted >= 2);
    const plays = (await api.get("/play")).body.play_statuses;
    assert.deepEqual(plays.map((p: { rss_source_feed: string }) => p.rss_source_feed), [feedId(2)]);
    const subs = (await api.get("/subscriptions")).body.subscriptions;
    assert.equal(subs.length, 2);
    await t.deps.projector.drainAll();
    const timeline = await t.app.request("/api/v1/public/timeline");
    const entries = (await timeline.json()).events as { rss_source_feed: string }[];
    assert.ok(entries.every((e) => e.rss_source_feed !== feedId(1)), JSON.stringify(entries));
    const left = await Array.fromAsync(t.deps.kv.list<{ type: string; feed?: string }>({
      prefix: keys.eventPrefix(api.userId),
    }));
    assert.ok(left.every((e) => e.value.feed !== feedId(1) || e.value.type === "events_removed"));
    const fresh = await t.deps.store.load(api.userId);
    assert.equal(fresh.plays.size, 1);
    assert.equal(fresh.subscriptions.size, 2);
  });
});

Deno.test("deleting the account leaves no key or value naming the user and frees the username", async () => {
  await withApi({ scopes: ["*"] }, async ({ t, api }) => {
    await api.post("/subscriptions", { rss_source_feed: feedId(1) });
    await api.post("/play", {
      rss_source_feed: feedId(1),
      rss_source_item: itemId(1, 1),
      position: 5,
    });
    await api.post("/tokens", { name: "reader" });
    await t.deps.projector.drainAll();
    const r = await api.delete("/account");
    assert.equal(r.status, 200, r.text);
    assert.equal((await api.get("/me")).status, 401);
    const hits: string[] = [];
    for await (const e of t.deps.kv.list({ prefix: [] })) {
      const text = JSON.stringify(e.key) +
        JSON.stringify(
          e.value,
          (_k, v) =>
            typeof v === "bigint"
              ? String(v)
              : v instanceof Uint8Array
              ? new TextDecoder().decode(v)
              : v,
        );
      if (text.includes(api.userId) || text.includes("alice")) hits.push(JSON.stringify(e.key));
    }
    assert.deepEqual(hits, []);
  });
});
