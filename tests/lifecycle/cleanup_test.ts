/**
 * The 45-day cleanup in the corners the property test found: what it deletes and takes
 * back must be exactly what a rebuild from checkpoint + remaining events no longer has.
 */
import assert from "node:assert/strict";
import { oneOffJobs } from "../../jobs/mod.ts";
import { runCheckpoints, runCleanup } from "../../src/lifecycle/retention.ts";
import { feedId, itemId } from "../api/_api.ts";
import { settle } from "../public/_public.ts";
import { buildSite, DAY, publicAnswers, readModels } from "./_lifecycle.ts";

const HOUR = 3_600_000;

Deno.test("cleanup: a play later on the cutoff's day, and a save made again, keep their public traces", async () => {
  const { t, users: [alice] } = await buildSite(["alice"]);
  try {
    const start = t.clock.now(); // day 0, 10:00 UTC
    const play = (position: number) =>
      alice.post("/play", {
        rss_source_feed: feedId(1),
        rss_source_item: itemId(1, 1),
        position,
      });
    const save = () => alice.post(`/episodes/${itemId(1, 2)}/save?feed=${feedId(1)}`);
    assert.equal((await save()).status, 200);
    t.clock.advance(HOUR);
    await alice.delete(`/episodes/${itemId(1, 2)}/save?feed=${feedId(1)}`);
    // Day 1 at 09:00 and 20:00 UTC: one public play (one per episode and day).
    t.clock.set(start + 23 * HOUR);
    assert.equal((await play(10)).status, 200);
    t.clock.set(start + 34 * HOUR);
    assert.equal((await play(20)).status, 200);
    // Ten days later the episode is saved again (one save trace per episode).
    t.clock.set(start + 10 * DAY);
    assert.equal((await save()).status, 200);
    await settle(t);

    // Day 46 at 12:00: the cutoff (day 1, 12:00) falls between the two plays, so the
    // first play, the first save and the unsave are deleted; the rest stays.
    t.clock.set(start + 46 * DAY + 2 * HOUR);
    const jobs = oneOffJobs(t.deps);
    assert.equal((await jobs.checkpoint() as { checkpoints: number }).checkpoints, 1);
    assert.equal((await jobs.cleanup() as { events_deleted: number }).events_deleted, 3);
    await settle(t, t.clock.now());
    const before = await publicAnswers(t, ["alice"], [1], [1, 2]);
    await t.deps.projector.rebuild();
    await settle(t, t.clock.now());
    assert.deepEqual(await publicAnswers(t, ["alice"], [1], [1, 2]), before);
    const types = before.timeline[0].events.map((e: { type: string }) => e.type).sort();
    assert.deepEqual(types, ["play", "save"], "the kept play and save are on the timeline");
  } finally {
    await t.close();
  }
});

Deno.test("cleanup: run a day after its checkpoint, it drops no read model the checkpoint keeps", async () => {
  const { t, users: [alice] } = await buildSite(["alice"]);
  try {
    const start = t.clock.now();
    await alice.post("/subscriptions", { rss_source_feed: feedId(1) });
    t.clock.set(start + DAY);
    await alice.delete(`/subscriptions/${feedId(1)}`);
    t.clock.set(start + 2 * DAY);
    await alice.post("/subscriptions", { rss_source_feed: feedId(2) });
    await t.deps.projector.drainAll();

    // Day 46 at 01:00: the checkpoint covers the subscription, not the unsubscription…
    const c = await runCheckpoints(t.deps, { now: start + 46 * DAY - 9 * HOUR });
    assert.equal(c.checkpoints, 1);
    // …and the cleanup runs later that day (a projection was behind, say).
    await runCleanup(t.deps, { now: start + 46 * DAY + HOUR });
    const subs = (await alice.get("/subscriptions?include=all")).body.subscriptions;
    const state = await t.deps.store.load(alice.userId);
    assert.equal(state.subscriptions.size, 2);
    assert.deepEqual(
      subs.map((s: { rss_source_feed: string }) => s.rss_source_feed).sort(),
      [feedId(1), feedId(2)].sort(),
      "the read models follow the state (checkpoint + events)",
    );
    assert.equal((await readModels(t.deps.kv, alice.userId)).sub.length, 2);

    // The next day's checkpoint covers the unsubscription: then both let it go.
    t.clock.set(start + 47 * DAY);
    const jobs = oneOffJobs(t.deps);
    await jobs.checkpoint();
    await jobs.cleanup();
    assert.deepEqual([...(await t.deps.store.load(alice.userId)).subscriptions.keys()], [
      feedId(2),
    ]);
    assert.equal((await readModels(t.deps.kv, alice.userId)).sub.length, 1);
  } finally {
    await t.close();
  }
});

Deno.test("cleanup: a subscription synced later with old dates keeps its read model while the state has it", async () => {
  const { t, users: [alice] } = await buildSite(["alice"]);
  try {
    const start = t.clock.now();
    await alice.post("/subscriptions", { rss_source_feed: feedId(1) });
    t.clock.set(start + 46 * DAY + HOUR);
    const jobs = oneOffJobs(t.deps);
    await jobs.checkpoint();
    // An old device syncs a subscription it dropped two months ago.
    const old = new Date(start - 60 * DAY).toISOString();
    const r = await alice.post("/sync", {
      subscriptions: [{
        rss_source_feed: feedId(2),
        subscribed_at: old,
        unsubscribed_at: new Date(start - 59 * DAY).toISOString(),
      }],
    });
    assert.equal(r.status, 200, r.text);
    await jobs.cleanup();
    const state = await t.deps.store.load(alice.userId);
    assert.equal(state.subscriptions.size, 2);
    const subs = (await alice.get("/subscriptions?include=all")).body.subscriptions;
    assert.equal(subs.length, 2, "the read model follows the state (checkpoint + events)");
  } finally {
    await t.close();
  }
});
