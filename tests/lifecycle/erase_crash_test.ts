/**
 * History erasures that do not finish at once (SPEC §7.3): stopped by a crash in the
 * projector or at any KV write, the erase sweep finishes them from their marker, and what
 * the user did since the erasure was asked for stays.
 */
import assert from "node:assert/strict";
import { completeHistoryErasure } from "../../src/lifecycle/erase.ts";
import type { StoredEvent } from "../../src/domain/events.ts";
import type { ErasureMarker } from "../../src/store/event_store.ts";
import { feedHash } from "../../src/store/hash.ts";
import * as keys from "../../src/store/keys.ts";
import { feedId, itemId, type Json } from "../api/_api.ts";
import { settle } from "../public/_public.ts";
import {
  buildSite,
  crashingKv,
  DAY,
  publicAnswers,
  type Site,
  storedEvents,
} from "./_lifecycle.ts";

type HistoryMarker = Extract<ErasureMarker, { kind: "history" }>;

/** Alice with `n` public plays on feed 1 (150: their forget takes several commits), one on 2. */
async function manyPlays(site: Site, n: number): Promise<void> {
  const [alice] = site.users;
  for (const f of [1, 2]) await alice.post("/subscriptions", { rss_source_feed: feedId(f) });
  for (let e = 0; e < n; e++) {
    const r = await alice.post("/play", {
      rss_source_feed: feedId(1),
      rss_source_item: itemId(1, e),
      position: e,
    });
    assert.equal(r.status, 200, r.text);
  }
  await alice.post("/play", {
    rss_source_feed: feedId(2),
    rss_source_item: itemId(2, 1),
    position: 1,
  });
  await settle(site.t);
}

/** Alice's feed-1 history is gone everywhere; her feed 2 is not. */
async function feedOneErased(site: Site): Promise<void> {
  const [alice] = site.users;
  const { kv } = site.t;
  assert.deepEqual(await Array.fromAsync(kv.list({ prefix: keys.erasePrefix(alice.userId) })), []);
  const events = await storedEvents(kv, alice.userId) as StoredEvent[];
  assert.ok(events.every((e) => e.feed !== feedId(1) || e.type === "events_removed"));
  const traces = await Array.fromAsync(kv.list({ prefix: keys.tracePrefix(alice.userId) }));
  const [fh1, fh2] = [await feedHash(feedId(1)), await feedHash(feedId(2))];
  assert.ok(traces.every((e) => e.key[2] !== fh1));
  assert.ok(traces.some((e) => e.key[2] === fh2), "feed 2's traces stay");
  await settle(site.t);
  const pub = await publicAnswers(site.t, ["alice"], [1, 2], [1]);
  const entries = pub.timeline.flatMap((p: Json) => p.events);
  assert.ok(entries.every((e: Json) => e.rss_source_feed !== feedId(1)), JSON.stringify(entries));
  assert.equal(pub["feed 1"].body.plays, 0);
  assert.equal(pub["feed 1"].body.score, 0);
  assert.deepEqual(pub["feed 1"].body.plays_people, []);
  assert.equal(pub["feed 2"].body.plays, 1);
  assert.deepEqual(pub["feed 2"].body.plays_people, ["alice"]);
  const plays = (await alice.get("/play?limit=500")).body.play_statuses;
  assert.deepEqual(plays.map((p: Json) => p.rss_source_item), [itemId(2, 1)]);
}

for (const crashAt of [0, 1]) {
  Deno.test(`erasing a feed: a crash in the projector's commit ${crashAt} is finished by the erase sweep`, async () => {
    let armed = false;
    let left = 0;
    const site = await buildSite(["alice"], {
      runnerOptions: {
        beforeCommit: () => {
          if (armed && left-- <= 0) throw new Error("simulated crash");
        },
      },
    });
    try {
      const [alice] = site.users;
      await manyPlays(site, 150);
      armed = true;
      left = crashAt;
      const r = await alice.call("DELETE", "/history", { feed: feedId(1) });
      assert.equal(r.status, 500, r.text);
      armed = false;
      // Recorded, and the user already sees it: only the public side is behind.
      assert.equal(
        (await Array.fromAsync(site.t.kv.list({ prefix: keys.erasePrefix(alice.userId) }))).length,
        1,
      );
      assert.equal((await site.t.deps.store.load(alice.userId)).plays.size, 1);
      const done = await site.t.deps.eraser.drainAll();
      assert.deepEqual(done, { histories: 1, accounts: 0, failed: 0 });
      await feedOneErased(site);
      assert.deepEqual(await site.t.deps.eraser.drainAll(), {
        histories: 0,
        accounts: 0,
        failed: 0,
      });
    } finally {
      await site.t.close();
    }
  });
}

Deno.test("erasing a feed: stopped at any write, the erase sweep finishes it", async () => {
  for (let writes = 0;; writes++) {
    const site = await buildSite(["alice"]);
    try {
      const [alice] = site.users;
      await manyPlays(site, 20);
      // What DELETE /history does: the actor appends events_removed (and its marker)…
      await site.t.deps.registry.execute(alice.userId, {
        type: "RemoveHistory",
        data: { feed: feedId(1) },
      });
      const [marker] = await Array.fromAsync(
        site.t.kv.list<ErasureMarker>({ prefix: keys.erasePrefix(alice.userId) }),
      );
      // …then the erasure runs, here on a KV that fails at write number `writes`.
      const deps = { ...site.t.deps, kv: crashingKv(site.t.kv, writes) };
      let crashed = false;
      try {
        await completeHistoryErasure(deps, alice.userId, marker.value as HistoryMarker);
      } catch {
        crashed = true;
      }
      if (crashed) {
        assert.deepEqual(await site.t.deps.eraser.drainAll(), {
          histories: 1,
          accounts: 0,
          failed: 0,
        });
      }
      await feedOneErased(site);
      if (!crashed) break;
    } finally {
      await site.t.close();
    }
  }
});

Deno.test("erasing an episode: playing it again before a crashed erasure is finished keeps the new play", async () => {
  let armed = false;
  const site = await buildSite(["alice"], {
    runnerOptions: {
      beforeCommit: () => {
        if (armed) throw new Error("simulated crash");
      },
    },
  });
  try {
    const [alice] = site.users;
    const episode = { rss_source_feed: feedId(1), rss_source_item: itemId(1, 1) };
    await alice.post("/subscriptions", { rss_source_feed: feedId(1) });
    assert.equal((await alice.post("/play", { ...episode, position: 10 })).status, 200);
    await settle(site.t);
    armed = true;
    const r = await alice.call("DELETE", "/history", { item: itemId(1, 1) });
    assert.equal(r.status, 500, "the projector crashed while taking back the traces");
    armed = false;
    // The user plays it again (another day), and it is projected; then the sweep finishes.
    site.t.clock.advance(DAY);
    assert.equal((await alice.post("/play", { ...episode, position: 99 })).status, 200);
    await settle(site.t);
    assert.deepEqual(await site.t.deps.eraser.drainAll(), { histories: 1, accounts: 0, failed: 0 });
    await settle(site.t);
    const state = await site.t.deps.store.load(alice.userId);
    assert.equal(state.plays.get(itemId(1, 1))?.position, 99);
    const plays = (await alice.get("/play")).body.play_statuses;
    assert.deepEqual(plays.map((p: Json) => p.position), [99], "the read model of the new play");
    const view = () => publicAnswers(site.t, ["alice"], [1], [1]);
    const before = await view();
    assert.equal(before["episode 1/1"].body.plays, 1, "the new play is public");
    await site.t.deps.projector.rebuild();
    await settle(site.t);
    assert.deepEqual(await view(), before);
  } finally {
    await site.t.close();
  }
});
