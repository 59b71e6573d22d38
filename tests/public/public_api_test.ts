import assert from "node:assert/strict";
import { feedId, itemId, withApi } from "../api/_api.ts";
import { pub, settle } from "./_public.ts";

Deno.test("public, anonymous and private listeners: the public API shows exactly what the rules allow", async () => {
  await withApi({}, async ({ t, api: alice, user }) => {
    const bob = await user("bob");
    const carol = await user("carol");
    assert.equal((await bob.put("/privacy", { privacy: "anonymous" })).status, 200);
    assert.equal((await carol.put("/privacy", { privacy: "private" })).status, 200);
    for (const u of [alice, bob, carol]) {
      assert.equal((await u.post("/subscriptions", { rss_source_feed: feedId(1) })).status, 201);
      const play = { rss_source_feed: feedId(1), rss_source_item: itemId(1, 1), position: 30 };
      assert.equal((await u.post("/play", play)).status, 200);
    }
    const save = await alice.post(`/episodes/${itemId(1, 1)}/save?feed=${feedId(1)}`);
    assert.ok(save.status < 300, save.text);
    await settle(t);

    const timeline = await pub(t, "/timeline");
    assert.equal(timeline.status, 200);
    assert.equal(timeline.headers.get("access-control-allow-origin"), "*");
    assert.equal(timeline.headers.get("cache-control"), "public, max-age=60");
    const events = timeline.body.events as { type: string; user?: string }[];
    // alice: subscribe, play, save (named); bob: subscribe, play (nameless); carol: nothing.
    assert.equal(events.length, 5);
    assert.deepEqual(events.filter((e) => e.user === "alice").map((e) => e.type).sort(), [
      "play",
      "save",
      "subscribe",
    ]);
    assert.equal(events.filter((e) => e.user === undefined).length, 2);
    assert.ok(!JSON.stringify(timeline.body).includes("carol"));
    assert.ok(!JSON.stringify(timeline.body).includes(bob.userId));

    const podcasts = await pub(t, "/trending/podcasts");
    assert.equal(podcasts.body.podcasts.length, 1);
    const p = podcasts.body.podcasts[0];
    // Subscribes 2 × 10, plays 2 × 5, one save 3: carol's private activity counts nowhere.
    assert.equal(p.score, 33);
    assert.equal(p.plays, 2);
    assert.equal(p.likes, 1);
    assert.deepEqual(p.plays_people, ["alice"]);
    assert.equal(p.rss_source_feed, feedId(1));

    const episodes = await pub(t, "/trending/episodes");
    assert.equal(episodes.body.episodes[0].score, 13);
    assert.equal(episodes.body.episodes[0].rss_source_item, itemId(1, 1));

    const profile = await pub(t, "/users/alice");
    assert.equal(profile.status, 200);
    assert.equal(profile.body.recent.length, 3);
    assert.equal((await pub(t, "/users/bob")).status, 404, "anonymous: no profile");
    assert.equal((await pub(t, "/users/carol")).status, 404, "private: no profile");
    assert.equal((await pub(t, "/users/nobody-here")).status, 404);

    // Alice turns the podcast private: every trace of it leaves after one roll.
    await alice.put("/privacy", { privacy: "private", feed: feedId(1) });
    await settle(t);
    const after = await pub(t, "/trending/podcasts");
    assert.equal(after.body.podcasts[0].score, 15, "only bob's subscribe and play remain");
    assert.deepEqual(after.body.podcasts[0].plays_people, []);
    assert.equal((await pub(t, "/timeline")).body.events.length, 2);
    assert.equal((await pub(t, "/users/alice")).status, 404);

    // And back.
    await alice.delete(`/privacy?feed=${feedId(1)}`);
    await settle(t);
    assert.equal((await pub(t, "/trending/podcasts")).body.podcasts[0].score, 33);
    assert.equal((await pub(t, "/timeline")).body.events.length, 5);
  });
});
