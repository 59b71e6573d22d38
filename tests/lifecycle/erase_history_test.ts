/**
 * Erasing listening history (SPEC §7.3) by episode, by feed and all of it: the events go
 * for real (only `events_removed` stays), no checkpoint keeps them, the read models and
 * public traces (timeline, popularity counts, plays_people) go; the rest of the user's data
 * and other users' data stay. Also over an existing 45-day checkpoint.
 */
import assert from "node:assert/strict";
import { oneOffJobs } from "../../jobs/mod.ts";
import { checkpointState } from "../../src/lifecycle/retention.ts";
import type { StoredEvent } from "../../src/domain/events.ts";
import { HISTORY_TYPES } from "../../src/domain/history.ts";
import { feedHash, itemHash } from "../../src/store/hash.ts";
import * as keys from "../../src/store/keys.ts";
import { type ApiClient, feedId, itemId, type Json } from "../api/_api.ts";
import { settle } from "../public/_public.ts";
import {
  buildSite,
  DAY,
  kvText,
  publicAnswers,
  readModels,
  type Site,
  stateJson,
  storedEvents,
} from "./_lifecycle.ts";

const FEEDS = [1, 2];
const EPISODES = [1, 2];
const FEED_OF = new Map(FEEDS.map((f) => [feedId(f), f]));
const ITEM_OF = new Map(FEEDS.flatMap((f) => EPISODES.map((e) => [itemId(f, e), [f, e]])));

/** One thing a user does; `f`/`e` say what it is about. */
interface Act {
  who: 0 | 1;
  f: number;
  e?: number;
  run: (api: ApiClient) => Promise<{ status: number; text: string }>;
}

const sub = (who: 0 | 1, f: number): Act => ({
  who,
  f,
  run: (api) => api.post("/subscriptions", { rss_source_feed: feedId(f) }),
});
const play = (who: 0 | 1, f: number, e: number, position = 30): Act => ({
  who,
  f,
  e,
  run: (api) =>
    api.post("/play", { rss_source_feed: feedId(f), rss_source_item: itemId(f, e), position }),
});
const save = (who: 0 | 1, f: number, e: number): Act => ({
  who,
  f,
  e,
  run: (api) => api.post(`/episodes/${itemId(f, e)}/save?feed=${feedId(f)}`),
});
const share = (who: 0 | 1, f: number, e: number): Act => ({
  who,
  f,
  e,
  run: (api) => api.post(`/episodes/${itemId(f, e)}/share?feed=${feedId(f)}`),
});

/** Alice (0) and Bob (1), both public, on two podcasts. */
const HISTORY: Act[] = [
  sub(0, 1),
  sub(0, 2),
  sub(1, 1),
  play(0, 1, 1),
  play(0, 1, 2),
  play(0, 2, 1),
  save(0, 1, 1),
  share(0, 1, 2),
  play(1, 1, 1),
  save(1, 1, 1),
  play(1, 2, 2),
];

/** Runs the history, a minute apart, leaving out what `skip` says; then projects and rolls. */
async function live(site: Site, skip: (a: Act) => boolean = () => false): Promise<void> {
  for (const a of HISTORY) {
    site.t.clock.advance(60_000);
    if (skip(a)) continue;
    const r = await a.run(site.users[a.who]);
    assert.ok(r.status < 300, r.text);
  }
  site.t.clock.advance(60_000);
  await settle(site.t);
}

/** Public answers without what differs between two apps (entry ids, cursors). */
async function publicView(site: Site): Promise<Json> {
  const strip = (v: Json): Json =>
    Array.isArray(v) ? v.map(strip) : v && typeof v === "object"
      ? Object.fromEntries(
        Object.entries(v).filter(([k]) => k !== "id" && k !== "next_cursor")
          .map(([k, x]) => [k, strip(x)]),
      )
      : v;
  return strip(await publicAnswers(site.t, ["alice", "bob"], FEEDS, EPISODES));
}

/** Everything stored about a user (their own prefixes), for "untouched" checks. */
async function userData(site: Site, u: number): Promise<Json> {
  const api = site.users[u];
  return {
    state: stateJson(await site.t.deps.store.load(api.userId)),
    models: await readModels(site.t.kv, api.userId),
    events: await storedEvents(site.t.kv, api.userId),
    traces: await Array.fromAsync(
      site.t.kv.list({ prefix: keys.tracePrefix(api.userId) }),
      (e) => [e.key, e.value],
    ),
  };
}

type Scope = { feed?: number; item?: [number, number] };

for (
  const [name, scope] of [
    ["one episode", { item: [1, 1] }],
    ["one feed", { feed: 1 }],
    ["everything", {}],
  ] as [string, Scope][]
) {
  Deno.test(`erasing ${name}: events, checkpoint, read models and public traces go; the rest stays`, async () => {
    const inScope = (f: number | undefined, e: number | undefined) =>
      scope.item
        ? f === scope.item[0] && e === scope.item[1]
        : scope.feed !== undefined
        ? f === scope.feed
        : true;
    const erased = await buildSite(["alice", "bob"]);
    let twin: Site | undefined;
    try {
      // The same history without Alice's erased part, for the public answers.
      twin = await buildSite(["alice", "bob"]);
      await live(erased);
      await live(twin, (a) => a.who === 0 && inScope(a.f, a.e));
      const [alice] = erased.users;
      const before = { alice: await userData(erased, 0), bob: await userData(erased, 1) };

      const body = scope.item
        ? { feed: feedId(scope.item[0]), item: itemId(...scope.item) }
        : scope.feed !== undefined
        ? { feed: feedId(scope.feed) }
        : {};
      const r = await alice.call("DELETE", "/history", body);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.scope, scope.item ? "item" : scope.feed !== undefined ? "feed" : "user");
      await settle(erased.t);

      const erasedEvent = (e: StoredEvent) =>
        HISTORY_TYPES.has(e.type) && inScope(FEED_OF.get(e.feed!), ITEM_OF.get(e.item!)?.[1]);
      // Events: the erased ones are gone for real; the others and events_removed stay.
      const events = await storedEvents(erased.t.kv, alice.userId) as StoredEvent[];
      const expected = (before.alice.events as StoredEvent[]).filter((e) => !erasedEvent(e));
      assert.deepEqual(events.slice(0, -1), expected);
      assert.equal(events.at(-1)!.type, "events_removed");
      assert.ok(expected.length < before.alice.events.length, "something was erased");

      // State and checkpoint: none of it; active subscriptions, the other feeds, stay.
      const state = await erased.t.deps.store.load(alice.userId);
      const ckpt = await checkpointState(erased.t.kv, alice.userId);
      assert.ok(ckpt, "the erasure re-checkpoints");
      assert.deepEqual(stateJson(ckpt!), stateJson(state));
      const was = before.alice.state;
      const keep = (x: { feed: string; item: string }) =>
        !inScope(FEED_OF.get(x.feed), ITEM_OF.get(x.item)?.[1]);
      assert.deepEqual(stateJson(state).plays, was.plays.filter(keep));
      assert.deepEqual(stateJson(state).saved, was.saved.filter(keep));
      assert.deepEqual(stateJson(state).shared, was.shared.filter(keep));
      assert.deepEqual(stateJson(state).subscriptions, was.subscriptions, "active ones stay");
      assert.deepEqual(stateJson(state).privacy, was.privacy);

      // Read models follow.
      const models = await readModels(erased.t.kv, alice.userId);
      const keepView = (x: [Json, Json]) => keep({ feed: x[1].feed, item: x[1].item });
      assert.deepEqual(models.play, before.alice.models.play.filter(keepView));
      assert.deepEqual(models.play_by_time, before.alice.models.play_by_time.filter(keepView));
      assert.deepEqual(models.saved, before.alice.models.saved.filter(keepView));
      assert.deepEqual(models.sub, before.alice.models.sub);

      // No trace of it under Alice's own keys (ids or key hashes), but in events_removed.
      const needles = scope.item
        ? [itemId(...scope.item), await itemHash(itemId(...scope.item))]
        : scope.feed !== undefined
        ? [await feedHash(feedId(scope.feed))]
        : [];
      for (const row of await kvText(erased.t.kv)) {
        if (!row.text.includes(alice.userId) && !row.key.includes(alice.userId)) continue;
        if (row.text.includes('"events_removed"')) continue;
        if (
          row.key.startsWith('["sub"') || row.key.startsWith('["sub_by_time"') ||
          row.key.startsWith('["ckpt"')
        ) {
          // The subscription itself stays (checked above).
          if (scope.item) assert.ok(!needles.some((n) => row.text.includes(n)), row.key);
          continue;
        }
        for (const n of needles) assert.ok(!row.text.includes(n), `${row.key} holds ${n}`);
      }

      // Public answers: as if Alice had never done it (timeline, counts, plays_people).
      assert.deepEqual(await publicView(erased), await publicView(twin));
      // Bob's data is untouched.
      assert.deepEqual(await userData(erased, 1), before.bob);
    } finally {
      await erased.t.close();
      await twin?.t.close();
    }
  });
}

Deno.test("erasing an episode takes back its public plays under every feed it was played from", async () => {
  const site = await buildSite(["alice"]);
  try {
    const [alice] = site.users;
    const episode = itemId(1, 1);
    // The same episode (guid and enclosure) reached through two feeds, on two days.
    for (const f of [1, 2]) {
      await alice.post("/subscriptions", { rss_source_feed: feedId(f) });
      const r = await alice.post("/play", {
        rss_source_feed: feedId(f),
        rss_source_item: episode,
        position: f * 10,
      });
      assert.equal(r.status, 200, r.text);
      site.t.clock.advance(DAY);
    }
    await settle(site.t);
    const plays = async () => {
      const timeline = await publicAnswers(site.t, ["alice"], [1, 2], [1]);
      return timeline.timeline.flatMap((p: Json) => p.events)
        .filter((e: Json) => e.type === "play").length;
    };
    assert.equal(await plays(), 2);
    const r = await alice.call("DELETE", "/history", { feed: feedId(1), item: episode });
    assert.equal(r.status, 200, r.text);
    await settle(site.t);
    assert.equal(await plays(), 0, "no public play of the erased episode is left");
    const pop = await publicAnswers(site.t, ["alice"], [1, 2], [1]);
    for (const f of [1, 2]) assert.equal(pop[`feed ${f}`].body.plays, 0);
    assert.equal(pop["episode 1/1"].body.plays, 0);
    assert.deepEqual(pop["episode 1/1"].body.plays_people, []);
  } finally {
    await site.t.close();
  }
});

Deno.test("erasing an episode also takes it out of a 45-day checkpoint written before", async () => {
  const site = await buildSite(["alice"]);
  try {
    const [alice] = site.users;
    const kv = site.t.kv;
    const gone = itemId(1, 1);
    await alice.post("/subscriptions", { rss_source_feed: feedId(1) });
    await alice.post("/play", { rss_source_feed: feedId(1), rss_source_item: gone, position: 5 });
    await alice.post(`/episodes/${gone}/save?feed=${feedId(1)}`);
    await alice.post("/play", {
      rss_source_feed: feedId(1),
      rss_source_item: itemId(1, 2),
      position: 6,
    });
    site.t.clock.advance(47 * DAY);
    const jobs = oneOffJobs(site.t.deps);
    await jobs.checkpoint();
    assert.ok((await jobs.cleanup() as { events_deleted: number }).events_deleted >= 4);
    assert.ok((await checkpointState(kv, alice.userId))!.plays.has(gone), "the checkpoint has it");
    await alice.post("/play", {
      rss_source_feed: feedId(2),
      rss_source_item: itemId(2, 1),
      position: 7,
    });

    const r = await alice.call("DELETE", "/history", { feed: feedId(1), item: gone });
    assert.equal(r.status, 200, r.text);
    const ckpt = (await checkpointState(kv, alice.userId))!;
    assert.ok(!ckpt.plays.has(gone) && !ckpt.saved.has(gone));
    assert.deepEqual([...ckpt.plays.keys()].sort(), [itemId(1, 2), itemId(2, 1)].sort());
    assert.ok(ckpt.subscriptions.has(feedId(1)));
    // Only the new checkpoint's parts are left, and none of their bytes name the episode.
    const head = await kv.get<{ seq: number }>(keys.checkpointHeadKey(alice.userId));
    for await (const e of kv.list<Uint8Array>({ prefix: keys.checkpointPrefix(alice.userId) })) {
      assert.equal(e.key[2], head.value!.seq);
      assert.ok(!new TextDecoder().decode(e.value).includes(gone));
    }
    const events = await storedEvents(kv, alice.userId) as StoredEvent[];
    assert.ok(events.every((e) => e.item !== gone || e.type === "events_removed"));
    const state = await site.t.deps.store.load(alice.userId);
    assert.deepEqual(stateJson(state), stateJson(ckpt));
    // A fresh actor reads the same.
    site.t.clock.advance(DAY);
    site.t.deps.registry.sweep();
    const plays = (await alice.get("/play")).body.play_statuses;
    assert.deepEqual(
      plays.map((p: Json) => p.rss_source_item).sort(),
      [...ckpt.plays.keys()].sort(),
    );
  } finally {
    await site.t.close();
  }
});
