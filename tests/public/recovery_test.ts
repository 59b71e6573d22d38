/**
 * The public projection survives crashes and rebuilds: a runner killed between commits of
 * a big privacy change or a big batch of plays is resumed by a new runner with nothing
 * counted twice, and a rebuild from the event streams gives the same public answers.
 */
import assert from "node:assert/strict";
import { runPopularityRoll } from "../../jobs/mod.ts";
import { ProjectionRunner } from "../../src/projections/runner.ts";
import { GLOBAL_PROJECTIONS } from "../../src/services.ts";
import type { AuthTestApp } from "../_support/auth_app.ts";
import { type ApiClient, feedId, itemId, type Json, withApi } from "../api/_api.ts";
import { pub, publicSnapshot, settle, type SnapshotScope, withoutIds } from "./_public.ts";

const scope: SnapshotScope = {
  feeds: [feedId(1), feedId(2), feedId(3)],
  items: [itemId(1, 1), itemId(2, 7), itemId(3, 30)],
  users: ["alice", "bob", "fan1", "fan2"],
};

/** A runner like the app's that dies before its commit number `at`. */
function crashingRunner(t: AuthTestApp, at: number): ProjectionRunner {
  const { kv, store, logger, config, clock } = t.deps;
  return new ProjectionRunner({ kv, store, logger, config, clock }, GLOBAL_PROJECTIONS, {
    beforeCommit: (i) => {
      if (i === at) throw new Error("killed");
    },
  });
}

/**
 * Answers that must match between two apps: entry ids (hashes of event ids) left out,
 * entries of equal time in a fixed order, profiles by their number of entries (which of
 * several equal-time entries are the newest 20 is up to the ids).
 */
function comparable(snapshot: Json): Json {
  const s = withoutIds(snapshot);
  const sorted = (list: Json[]) =>
    list.map((e) => [e.ts as string, JSON.stringify(e)])
      .sort(([ta, a], [tb, b]) => tb.localeCompare(ta) || a.localeCompare(b))
      .map(([, json]) => json);
  return {
    ...s,
    timeline: sorted(s.timeline),
    profiles: Object.fromEntries(
      Object.entries(s.profiles).map(([k, p]: [string, Json]) => [
        k,
        typeof p === "number" ? p : { ...p, recent: p.recent.length },
      ]),
    ),
  };
}

/** Entries of `name` on the public timeline. */
async function entriesOf(t: AuthTestApp, name: string): Promise<number> {
  const events = (await pub(t, "/timeline?limit=200")).body.events as Json[];
  return events.filter((e) => e.user === name).length;
}

/** Bob plays, likes and shares 40 episodes (a second apart); alice plays a few of them. */
async function bobListensALot(t: AuthTestApp, alice: ApiClient, bob: ApiClient): Promise<void> {
  for (let e = 1; e <= 40; e++) {
    const f = e % 2 + 1;
    const play = { rss_source_feed: feedId(f), rss_source_item: itemId(f, e), position: e };
    assert.equal((await bob.post("/play", play)).status, 200);
    await bob.post(`/episodes/${itemId(f, e)}/save?feed=${feedId(f)}`);
    await bob.post(`/episodes/${itemId(f, e)}/share?feed=${feedId(f)}`);
    t.clock.advance(500);
    if (e % 5 === 0) await alice.post("/play", play);
    t.clock.advance(500);
  }
}

Deno.test("a crash midway through a user-level privacy change over many traces resumes with nothing counted twice", async () => {
  const run = async (crash: boolean) => {
    const snapshots: Json[] = [];
    await withApi({}, async ({ t, api: alice, user }) => {
      const bob = await user("bob");
      await bobListensALot(t, alice, bob);
      await settle(t);
      assert.equal(await entriesOf(t, "bob"), 120);
      for (const privacy of ["private", "public", "anonymous"]) {
        await bob.put("/privacy", { privacy });
        t.clock.advance(1_000);
        if (crash) {
          await assert.rejects(crashingRunner(t, 2).drainAll(), /killed/);
          await runPopularityRoll(t.deps);
          const partly = await entriesOf(t, "bob");
          // Two commits in, some of bob's 120 entries changed and some not yet.
          assert.ok(partly > 0 && partly < 120, `${privacy}: ${partly} entries named bob`);
        }
        await settle(t);
        snapshots.push(await publicSnapshot(t, scope));
      }
    });
    return snapshots;
  };
  const [whole, resumed] = [await run(false), await run(true)];
  assert.deepEqual(resumed.map(comparable), whole.map(comparable));
  assert.equal(whole[0].timeline.length, 8, "private: only alice's plays");
  assert.equal(whole[1].feeds[0].plays, 20 + 4, "public: bob's and alice's plays");
});

Deno.test("a crash midway through a big batch of new plays resumes with nothing counted twice", async () => {
  const run = async (crash: boolean) => {
    let snapshot: Json;
    await withApi({}, async ({ t, api: alice, user }) => {
      const bob = await user("bob");
      const fans = [await user("fan1"), await user("fan2")];
      await alice.put("/privacy", { privacy: "anonymous" });
      // One sync brings 120 plays of bob's other device at once.
      const at = new Date(t.clock.now()).toISOString();
      const play_statuses = Array.from({ length: 120 }, (_, i) => ({
        rss_source_feed: feedId(i % 3 + 1),
        rss_source_item: itemId(i % 3 + 1, i),
        position: i,
        played: i % 2 === 0,
        updated_at: at,
      }));
      assert.equal((await bob.post("/sync", { play_statuses })).status, 200);
      for (const u of [alice, ...fans]) {
        for (let i = 0; i < 12; i++) {
          const f = i % 3 + 1;
          await u.post("/play", {
            rss_source_feed: feedId(f),
            rss_source_item: itemId(f, i),
            position: 1,
          });
          t.clock.advance(1_000);
        }
      }
      if (crash) {
        await assert.rejects(crashingRunner(t, 2).drainAll(), /killed/);
        await runPopularityRoll(t.deps);
        const seen = (await pub(t, "/timeline?limit=200")).body.events.length;
        assert.ok(seen > 0 && seen < 156, `${seen} of 156 entries before the resume`);
      }
      await settle(t);
      snapshot = await publicSnapshot(t, scope);
    });
    return snapshot;
  };
  const [whole, resumed] = [await run(false), await run(true)];
  assert.deepEqual(comparable(resumed), comparable(whole));
  assert.equal(whole.timeline.length, 156);
  assert.equal(whole.feeds[0].plays, 40 + 3 * 4);
});

Deno.test("rebuild() from the event streams, then a roll, gives the same public answers", async () => {
  await withApi({ env: { POPULARITY_PERIOD: "1h" } }, async ({ t, api: alice, user }) => {
    const bob = await user("bob");
    const fan = await user("fan1");
    await bobListensALot(t, alice, bob);
    await settle(t);
    t.clock.advance(50 * 60_000); // part of it now in the previous period
    await fan.put("/privacy", { privacy: "anonymous" });
    for (const u of [alice, fan]) {
      await u.post("/subscriptions", { rss_source_feed: feedId(3) });
      await u.post("/play", {
        rss_source_feed: feedId(3),
        rss_source_item: itemId(3, 30),
        position: 3,
      });
      t.clock.advance(2_000);
    }
    await bob.put("/privacy", { privacy: "private", feed: feedId(1) });
    await bob.put("/privacy", { privacy: "anonymous", feed: feedId(2), item: itemId(2, 7) });
    await alice.delete(`/subscriptions/${feedId(3)}`);
    await bob.delete(`/episodes/${itemId(2, 9)}/save?feed=${feedId(2)}`);
    t.clock.advance(20 * 60_000);
    await settle(t);
    const before = await publicSnapshot(t, scope);
    assert.ok(before.feeds[1].score_previous > 0 && before.feeds[2].score > 0);

    await t.deps.projector.rebuild();
    await runPopularityRoll(t.deps);
    assert.deepEqual(await publicSnapshot(t, scope), before);
  });
});
