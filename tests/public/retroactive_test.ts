/**
 * Privacy changes apply to everything already public, both ways, within one roll: at user,
 * feed and item level, and between public and anonymous (SPEC §5, §4.5).
 */
import assert from "node:assert/strict";
import { type ApiClient, feedId, itemId, type Json, withApi } from "../api/_api.ts";
import { pub, publicSnapshot, settle } from "./_public.ts";
import type { AuthTestApp } from "../_support/auth_app.ts";

const scope = {
  feeds: [feedId(1), feedId(2)],
  items: [itemId(1, 1), itemId(1, 2), itemId(2, 1)],
  users: ["alice", "bob"],
};

/** Alice and bob subscribe, play, save and share on two feeds, a second apart. */
async function listen(t: AuthTestApp, people: ApiClient[]): Promise<void> {
  for (const u of people) {
    for (const [f, e] of [[1, 1], [1, 2], [2, 1]]) {
      await u.post("/subscriptions", { rss_source_feed: feedId(f) });
      t.clock.advance(1_000);
      const play = { rss_source_feed: feedId(f), rss_source_item: itemId(f, e), position: 60 };
      assert.equal((await u.post("/play", play)).status, 200);
      t.clock.advance(1_000);
      await u.post(`/episodes/${itemId(f, e)}/save?feed=${feedId(f)}`);
      t.clock.advance(1_000);
    }
    await u.post(`/episodes/${itemId(1, 1)}/share?feed=${feedId(1)}`);
    t.clock.advance(1_000);
  }
}

/** Everything public mentioning `name`: timeline entries, people, the profile. */
async function traces(t: AuthTestApp, name: string) {
  const events = (await pub(t, "/timeline?limit=200")).body.events as Json[];
  const podcasts = (await pub(t, "/trending/podcasts")).body.podcasts as Json[];
  const episodes = (await pub(t, "/trending/episodes")).body.episodes as Json[];
  return {
    entries: events.filter((e) => e.user === name).length,
    people: [...podcasts, ...episodes].filter((r) => r.plays_people.includes(name)).length,
    profile: (await pub(t, `/users/${name}`)).status,
  };
}

function score(snapshot: Json, feed: string): number {
  return snapshot.feeds[scope.feeds.indexOf(feed)].score;
}

Deno.test("a listener gone private leaves every public answer within one roll, and comes back whole", async () => {
  await withApi({}, async ({ t, api: alice, user }) => {
    const bob = await user("bob");
    await listen(t, [alice, bob]);
    await settle(t);
    const before = await publicSnapshot(t, scope);
    assert.equal(before.timeline.length, 18);
    assert.equal(score(before, feedId(1)), 2 * (10 + 2 * 5 + 2 * 3 + 2));

    assert.equal((await bob.put("/privacy", { privacy: "private" })).status, 200);
    await settle(t);
    const hidden = await publicSnapshot(t, scope);
    assert.ok(!JSON.stringify({ ...hidden, profiles: {} }).includes("bob"), "bob is nowhere");
    assert.equal(hidden.timeline.length, 9);
    assert.equal(score(hidden, feedId(1)), 28, "only alice counts");
    assert.equal(hidden.profiles.bob, 404);

    assert.equal((await bob.put("/privacy", { privacy: "public" })).status, 200);
    await settle(t);
    assert.deepEqual(await publicSnapshot(t, scope), before);
  });
});

Deno.test("a podcast made private hides only that podcast's activity, and removing the override restores it", async () => {
  await withApi({}, async ({ t, api: alice, user }) => {
    const bob = await user("bob");
    await listen(t, [alice, bob]);
    await settle(t);
    const before = await publicSnapshot(t, scope);

    await bob.put("/privacy", { privacy: "private", feed: feedId(1) });
    await settle(t);
    const hidden = await publicSnapshot(t, scope);
    const bobs = hidden.timeline.filter((e: Json) => e.user === "bob");
    assert.deepEqual(bobs.map((e: Json) => e.type).sort(), ["play", "save", "subscribe"]);
    assert.ok(bobs.every((e: Json) => e.rss_source_feed === feedId(2)));
    assert.equal(score(hidden, feedId(1)), 28, "feed 1: alice alone");
    assert.equal(score(hidden, feedId(2)), 36, "feed 2: both");
    assert.deepEqual(hidden.feeds[0].plays_people, ["alice"]);
    assert.equal(hidden.profiles.bob.recent.length, 3);

    assert.equal((await bob.delete(`/privacy?feed=${feedId(1)}`)).status, 200);
    await settle(t);
    assert.deepEqual(await publicSnapshot(t, scope), before);
  });
});

Deno.test("an episode made private hides its play, like and share but nothing else, and comes back", async () => {
  await withApi({}, async ({ t, api: alice, user }) => {
    const bob = await user("bob");
    await listen(t, [alice, bob]);
    await settle(t);
    const before = await publicSnapshot(t, scope);

    const target = { feed: feedId(1), item: itemId(1, 1) };
    await bob.put("/privacy", { privacy: "private", ...target });
    await settle(t);
    const hidden = await publicSnapshot(t, scope);
    const bobs = hidden.timeline.filter((e: Json) => e.user === "bob");
    assert.equal(bobs.length, 6, "9 minus the episode's play, save and share");
    assert.ok(bobs.every((e: Json) => e.rss_source_item !== itemId(1, 1)));
    assert.equal(hidden.items[0].score, 10, "the episode: alice's play, save and share");
    assert.deepEqual(hidden.items[0].plays_people, ["alice"]);
    assert.deepEqual(hidden.items[1], before.items[1], "the other episode is untouched");
    assert.equal(score(hidden, feedId(1)), score(before, feedId(1)) - 10);
    assert.deepEqual(
      hidden.feeds[0].plays_people,
      before.feeds[0].plays_people,
      "bob still played episode 2",
    );

    await bob.delete(`/privacy?${new URLSearchParams(target)}`);
    await settle(t);
    assert.deepEqual(await publicSnapshot(t, scope), before);
  });
});

Deno.test("an episode override naming another feed still hides the episode where it was played", async () => {
  await withApi({}, async ({ t, user }) => {
    const bob = await user("bob");
    const play = { rss_source_feed: feedId(1), rss_source_item: itemId(1, 1), position: 5 };
    await bob.post("/play", play);
    await settle(t);
    assert.equal((await traces(t, "bob")).entries, 1);

    // The same episode (guid and enclosure) listed in another podcast's feed.
    const r = await bob.put("/privacy", {
      privacy: "private",
      feed: feedId(2),
      item: itemId(1, 1),
    });
    assert.equal(r.status, 200);
    const own = await bob.get(`/privacy?feed=${feedId(1)}&item=${itemId(1, 1)}`);
    assert.equal(own.body.privacy, "private", "the owner is told it is private");
    await settle(t);
    assert.deepEqual(await traces(t, "bob"), { entries: 0, people: 0, profile: 404 });
    assert.equal((await pub(t, "/timeline")).body.events.length, 0);
    assert.equal((await pub(t, `/feed/${feedId(1)}/popularity`)).body.score, 0);

    await bob.delete(`/privacy?feed=${feedId(2)}&item=${itemId(1, 1)}`);
    await settle(t);
    assert.deepEqual(await traces(t, "bob"), { entries: 1, people: 2, profile: 200 });
  });
});

Deno.test("going anonymous drops the username from entries, plays_people and the profile, keeps the counts, and back", async () => {
  await withApi({}, async ({ t, api: alice, user }) => {
    const bob = await user("bob");
    await listen(t, [alice, bob]);
    await settle(t);
    const before = await publicSnapshot(t, scope);
    assert.deepEqual(await traces(t, "bob"), { entries: 9, people: 5, profile: 200 });

    await bob.put("/privacy", { privacy: "anonymous" });
    await settle(t);
    const anon = await publicSnapshot(t, scope);
    assert.deepEqual(await traces(t, "bob"), { entries: 0, people: 0, profile: 404 });
    assert.ok(!JSON.stringify({ ...anon, profiles: {} }).includes("bob"));
    assert.equal(anon.timeline.length, 18, "bob's entries stay, nameless");
    const nameless = anon.timeline.filter((e: Json) => e.user === undefined);
    assert.equal(nameless.length, 9);
    assert.ok(nameless.every((e: Json) => e.ts.endsWith(":00:00.000Z")), "anonymous: by the hour");
    assert.deepEqual(anon.feeds.map((f: Json) => f.score), before.feeds.map((f: Json) => f.score));
    assert.deepEqual(anon.feeds[0].plays_people, ["alice"]);

    // Only one feed anonymous: the profile stays, with the other feed's entries.
    await bob.put("/privacy", { privacy: "public" });
    await bob.put("/privacy", { privacy: "anonymous", feed: feedId(1) });
    await settle(t);
    const partly = await publicSnapshot(t, scope);
    assert.ok(partly.profiles.bob.recent.every((e: Json) => e.rss_source_feed === feedId(2)));
    assert.equal(partly.profiles.bob.recent.length, 3);
    assert.deepEqual(partly.feeds[0].plays_people, ["alice"]);
    assert.deepEqual(partly.feeds[1].plays_people, before.feeds[1].plays_people);

    await bob.delete(`/privacy?feed=${feedId(1)}`);
    await settle(t);
    assert.deepEqual(await publicSnapshot(t, scope), before);
  });
});

Deno.test("an anonymous listener turning public gets a profile and a name on past entries", async () => {
  await withApi({ env: { DEFAULT_PRIVACY: "anonymous" } }, async ({ t, api: alice }) => {
    await listen(t, [alice]);
    await settle(t);
    assert.deepEqual(await traces(t, "alice"), { entries: 0, people: 0, profile: 404 });
    assert.equal((await pub(t, "/timeline")).body.events.length, 9);

    await alice.put("/privacy", { privacy: "public" });
    await settle(t);
    assert.deepEqual(await traces(t, "alice"), { entries: 9, people: 5, profile: 200 });
    const events = (await pub(t, "/timeline")).body.events as Json[];
    assert.ok(events.every((e) => e.user === "alice"));
  });
});

Deno.test("a podcast made private keeps the listener named on an episode they also heard, in public, under another feed", async () => {
  await withApi({}, async ({ t, user }) => {
    const bob = await user("bob");
    const episode = itemId(2, 1);
    await bob.post("/play", { rss_source_feed: feedId(2), rss_source_item: episode, position: 1 });
    t.clock.advance(10_000);
    // The same episode, listed in another podcast's feed, heard again there.
    await bob.post("/play", { rss_source_feed: feedId(1), rss_source_item: episode, position: 2 });
    await settle(t);
    await bob.put("/privacy", { privacy: "private", feed: feedId(1) });
    await settle(t);
    const r = (await pub(t, `/episode/${episode}/popularity`)).body;
    assert.deepEqual([r.plays, r.plays_people], [1, ["bob"]], "the feed 2 play is public");
    assert.deepEqual((await pub(t, `/feed/${feedId(2)}/popularity`)).body.plays_people, ["bob"]);
    assert.deepEqual((await pub(t, `/feed/${feedId(1)}/popularity`)).body.plays_people, []);
  });
});

Deno.test("an entry seen while public cannot be recognised once its listener turns anonymous", async () => {
  await withApi({}, async ({ t, api: alice }) => {
    await alice.post("/subscriptions", { rss_source_feed: feedId(1) });
    await alice.post("/play", {
      rss_source_feed: feedId(1),
      rss_source_item: itemId(1, 1),
      position: 5,
    });
    await settle(t);
    const seen = ((await pub(t, "/timeline")).body.events as Json[]).map((e) => e.id as string);
    assert.equal(seen.length, 2);
    await alice.put("/privacy", { privacy: "anonymous" });
    await settle(t);
    const now = (await pub(t, "/timeline")).body.events as Json[];
    assert.equal(now.length, 2);
    assert.ok(now.every((e) => e.user === undefined && !seen.includes(e.id)));
  });
});
