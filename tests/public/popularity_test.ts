/**
 * Popularity over time (SPEC §5, §7.4): periods rolling into `*_previous` and out,
 * `plays_people`, and the actions that take no points back.
 */
import assert from "node:assert/strict";
import { feedId, itemId, type Json, withApi } from "../api/_api.ts";
import { pub, settle } from "./_public.ts";
import type { AuthTestApp } from "../_support/auth_app.ts";

const HOUR = 3_600_000;
/** Bucket length for a 1 h period: 1/168 of it. */
const BUCKET = Math.floor(HOUR / 168);

async function feed(t: AuthTestApp, n = 1): Promise<Json> {
  const r = await pub(t, `/feed/${feedId(n)}/popularity`);
  assert.equal(r.status, 200);
  return r.body;
}

function counts(r: Json) {
  return {
    score: r.score,
    score_previous: r.score_previous,
    plays: r.plays,
    plays_previous: r.plays_previous,
    likes: r.likes,
    likes_previous: r.likes_previous,
    plays_people: r.plays_people,
  };
}

Deno.test("a roll across a period boundary moves the counts to *_previous, and the next one drops them", async () => {
  await withApi({ env: { POPULARITY_PERIOD: "1h" } }, async ({ t, api: alice, user }) => {
    const bob = await user("bob");
    const started = t.clock.now();
    await alice.post("/subscriptions", { rss_source_feed: feedId(1) });
    const play = { rss_source_feed: feedId(1), rss_source_item: itemId(1, 1), position: 9 };
    await alice.post("/play", play);
    await alice.post(`/episodes/${itemId(1, 1)}/save?feed=${feedId(1)}`);
    t.clock.advance(1_000);
    await bob.post("/play", play);
    await settle(t);
    const current = {
      score: 10 + 5 + 3 + 5,
      score_previous: 0,
      plays: 2,
      plays_previous: 0,
      likes: 1,
      likes_previous: 0,
      plays_people: ["bob", "alice"],
    };
    assert.deepEqual(counts(await feed(t)), current);

    // Ten buckets before the period ends: nothing moved.
    t.clock.set(started + HOUR - 10 * BUCKET);
    await settle(t);
    assert.deepEqual(counts(await feed(t)), current);
    assert.equal((await pub(t, "/trending/podcasts")).body.podcasts.length, 1);

    // Ten buckets after: all of it is the previous period's.
    t.clock.set(started + HOUR + 10 * BUCKET);
    await settle(t);
    const previous = {
      score: 0,
      score_previous: 23,
      plays: 0,
      plays_previous: 2,
      likes: 0,
      likes_previous: 1,
      plays_people: [],
    };
    assert.deepEqual(counts(await feed(t)), previous);
    const episode = await pub(t, `/episode/${itemId(1, 1)}/popularity`);
    assert.deepEqual(counts(episode.body), { ...previous, score_previous: 13 });
    assert.equal(episode.body.rss_source_feed, feedId(1));
    assert.deepEqual((await pub(t, "/trending/podcasts")).body.podcasts, [], "no current score");
    assert.deepEqual((await pub(t, "/trending/episodes")).body.episodes, []);

    // A period later, nothing is left, and the episode's feed is no longer known.
    t.clock.set(started + 2 * HOUR + 10 * BUCKET);
    await settle(t);
    assert.deepEqual(counts(await feed(t)), {
      ...previous,
      score_previous: 0,
      plays_previous: 0,
      likes_previous: 0,
    });
    const gone = await pub(t, `/episode/${itemId(1, 1)}/popularity`);
    assert.equal(gone.body.score_previous, 0);
    assert.equal(gone.body.rss_source_feed, null);
    // The timeline keeps the history: periods only concern popularity.
    assert.equal((await pub(t, "/timeline")).body.events.length, 4);
  });
});

Deno.test("a roll after a long pause drops everything that left both periods at once", async () => {
  await withApi({ env: { POPULARITY_PERIOD: "1h" } }, async ({ t, api: alice }) => {
    const started = t.clock.now();
    await alice.post("/subscriptions", { rss_source_feed: feedId(1) });
    await settle(t);
    t.clock.set(started + HOUR / 2);
    await alice.post("/subscriptions", { rss_source_feed: feedId(2) });
    await settle(t);
    assert.deepEqual((await pub(t, "/trending/podcasts")).body.podcasts.length, 2);

    // No roll for a period and a half: feed 1 is two periods old, feed 2 previous.
    t.clock.set(started + 2 * HOUR + 10 * BUCKET);
    await settle(t);
    assert.deepEqual([(await feed(t, 1)).score_previous, (await feed(t, 2)).score_previous], [
      0,
      10,
    ]);
    assert.deepEqual((await pub(t, "/trending/podcasts")).body.podcasts, []);
  });
});

Deno.test("plays_people names the 10 newest public players, never an anonymous or private one", async () => {
  await withApi({}, async ({ t, api: alice, user }) => {
    const play = { rss_source_feed: feedId(1), rss_source_item: itemId(1, 1), position: 1 };
    const names: string[] = [];
    for (let i = 1; i <= 12; i++) {
      const name = `fan${String(i).padStart(2, "0")}`;
      names.push(name);
      assert.equal((await (await user(name)).post("/play", play)).status, 200);
      t.clock.advance(1_000);
    }
    // The newest players of all are anonymous or private.
    await alice.put("/privacy", { privacy: "anonymous" });
    for (
      const [name, level] of [["shy1", "anonymous"], ["shy2", "anonymous"], ["ghost", "private"]]
    ) {
      const u = await user(name);
      await u.put("/privacy", { privacy: level });
      await u.post("/play", play);
      t.clock.advance(1_000);
    }
    await alice.post("/play", play);
    await settle(t);

    const newest = names.slice(2).reverse();
    const podcast = await feed(t);
    assert.deepEqual(podcast.plays_people, newest);
    assert.equal(podcast.plays, 12 + 3, "anonymous plays count, private ones do not");
    const episode = (await pub(t, `/episode/${itemId(1, 1)}/popularity`)).body;
    assert.deepEqual(episode.plays_people, newest);
    const trending = (await pub(t, "/trending/podcasts")).body.podcasts;
    assert.deepEqual(trending[0].plays_people, newest);

    // The newest public player goes anonymous: the next one in line takes the place.
    const fan12 = await user("fan12");
    await fan12.put("/privacy", { privacy: "anonymous" });
    await settle(t);
    assert.deepEqual((await feed(t)).plays_people, names.slice(1, 11).reverse());
    assert.equal((await feed(t)).plays, 15);
  });
});

Deno.test("unsubscribing and unsaving take no points back; saving again adds none, a new subscription does", async () => {
  await withApi({}, async ({ t, api: alice }) => {
    const save = `/episodes/${itemId(1, 1)}/save?feed=${feedId(1)}`;
    await alice.post("/subscriptions", { rss_source_feed: feedId(1) });
    await alice.post(save);
    await settle(t);
    assert.equal((await feed(t)).score, 13);

    t.clock.advance(1_000);
    assert.equal((await alice.delete(`/subscriptions/${feedId(1)}`)).status, 200);
    assert.equal((await alice.delete(save)).status, 200);
    await settle(t);
    const kept = await feed(t);
    assert.deepEqual([kept.score, kept.subscriptions, kept.likes], [13, 1, 1]);
    assert.equal((await pub(t, "/timeline")).body.events.length, 2);

    t.clock.advance(1_000);
    await alice.post(save);
    await settle(t);
    assert.equal((await feed(t)).score, 13, "a like counts once per episode");
    await alice.post("/subscriptions", { rss_source_feed: feedId(1) });
    await settle(t);
    assert.equal((await feed(t)).score, 23, "a new subscription date counts again");
    assert.equal((await pub(t, "/timeline")).body.events.length, 3);
  });
});

Deno.test("plays of one episode count once a day; position updates leave no trace", async () => {
  await withApi({}, async ({ t, api: alice }) => {
    const play = { rss_source_feed: feedId(1), rss_source_item: itemId(1, 1) };
    await alice.post("/play", { ...play, position: 10 });
    t.clock.advance(60_000);
    await alice.post("/play", { ...play, position: 20 });
    await alice.put(`/play/${itemId(1, 1)}/position`, { position: 30 });
    await settle(t);
    assert.equal((await feed(t)).plays, 1);
    t.clock.advance(24 * HOUR);
    await alice.post("/play", { ...play, position: 40, played: true });
    await settle(t);
    assert.equal((await feed(t)).plays, 2, "the next day is another play");
    assert.equal((await pub(t, "/timeline")).body.events.length, 2);
  });
});

Deno.test("an episode played under two feeds is listed under one of them at a time, and under none once private", async () => {
  await withApi({}, async ({ t, api: alice, user }) => {
    const bob = await user("bob");
    // The same episode (guid and enclosure) in two podcasts' feeds.
    const episode = itemId(1, 1);
    const lists = async () => {
      const all = (await pub(t, "/trending/episodes")).body.episodes as Json[];
      for (const f of [1, 2]) {
        const ofFeed = (await pub(t, `/trending/episodes?feed=${feedId(f)}`)).body.episodes;
        assert.deepEqual(ofFeed, all.filter((e) => e.rss_source_feed === feedId(f)), `feed ${f}`);
      }
      return all;
    };
    await alice.post("/play", {
      rss_source_feed: feedId(1),
      rss_source_item: episode,
      position: 1,
    });
    await settle(t);
    assert.equal((await lists()).length, 1);
    t.clock.advance(1_000);
    await bob.post("/play", { rss_source_feed: feedId(2), rss_source_item: episode, position: 1 });
    await settle(t);
    const both = await lists();
    assert.equal(both.length, 1);
    assert.deepEqual([both[0].plays, both[0].plays_people], [2, ["bob", "alice"]]);

    await alice.put("/privacy", { privacy: "private" });
    await bob.put("/privacy", { privacy: "private" });
    await settle(t);
    assert.deepEqual(await lists(), []);
  });
});
