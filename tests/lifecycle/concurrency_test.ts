/**
 * The lifecycle jobs run while the user writes: a checkpoint or a cleanup racing with API
 * calls (and with another run of itself, as two processes would) loses no acknowledged
 * write, and the state a fresh load gives is the one the user's actor holds.
 */
import assert from "node:assert/strict";
import { oneOffJobs } from "../../jobs/mod.ts";
import { itemHash } from "../../src/store/hash.ts";
import * as keys from "../../src/store/keys.ts";
import type { PlayRecord } from "../../src/store/read_models.ts";
import { type ApiClient, feedId, itemId } from "../api/_api.ts";
import { buildSite, DAY, stateJson, storedEvents } from "./_lifecycle.ts";

const OLD_DAYS = 12;
const EPISODES_PER_DAY = 15;

/** Twelve days of history: each day a subscription and fifteen plays. */
async function oldHistory(api: ApiClient, advance: (ms: number) => void): Promise<void> {
  for (let d = 0; d < OLD_DAYS; d++) {
    assert.equal((await api.post("/subscriptions", { rss_source_feed: feedId(d) })).status, 201);
    for (let e = 0; e < EPISODES_PER_DAY; e++) {
      const r = await api.post("/play", {
        rss_source_feed: feedId(d),
        rss_source_item: itemId(d, e),
        position: e,
      });
      assert.equal(r.status, 200, r.text);
    }
    advance(DAY);
  }
}

/** What the writer was told succeeded: the last position per episode, subscribed feeds. */
interface Acked {
  positions: Map<string, { feed: string; position: number }>;
  feeds: Set<string>;
  saved: Set<string>;
}

/**
 * `n` API calls in a row, an hour apart every four (so days turn and users fall due while
 * it writes): new plays, new positions of old plays, subscriptions, saves.
 */
async function writer(
  api: ApiClient,
  round: number,
  n: number,
  acked: Acked,
): Promise<void> {
  for (let k = 0; k < n; k++) {
    if (k % 4 === 3) api.t.clock.advance(3_600_000);
    const id = round * 1000 + k;
    if (k % 4 === 0) {
      const feed = feedId(100 + round);
      const item = itemId(100 + round, id);
      const r = await api.post("/play", {
        rss_source_feed: feed,
        rss_source_item: item,
        position: id,
      });
      if (r.status === 200) acked.positions.set(item, { feed, position: id });
    } else if (k % 4 === 1) {
      // An episode from the old history, which the checkpoint covers.
      const d = k % OLD_DAYS;
      const item = itemId(d, k % EPISODES_PER_DAY);
      const r = await api.put(`/play/${item}/position`, { position: id });
      if (r.status === 200) acked.positions.set(item, { feed: feedId(d), position: id });
    } else if (k % 4 === 2) {
      const feed = feedId(`new-${id}`);
      const r = await api.post("/subscriptions", { rss_source_feed: feed });
      if (r.status === 201) acked.feeds.add(feed);
    } else {
      const d = k % OLD_DAYS;
      const item = itemId(d, (k + 1) % EPISODES_PER_DAY);
      const r = await api.post(`/episodes/${item}/save?feed=${feedId(d)}`);
      if (r.status === 200) acked.saved.add(item);
    }
  }
}

Deno.test("checkpoints and cleanups racing with a writing user and with each other lose no acknowledged write", async () => {
  const { t, users: [alice] } = await buildSite(["alice"], { scopes: ["user.sync", "user.read"] });
  try {
    const start = t.clock.now();
    await oldHistory(alice, (ms) => t.clock.advance(ms));
    const acked: Acked = { positions: new Map(), feeds: new Set(), saved: new Set() };
    for (let d = 0; d < OLD_DAYS; d++) {
      acked.feeds.add(feedId(d));
      for (let e = 0; e < EPISODES_PER_DAY; e++) {
        acked.positions.set(itemId(d, e), { feed: feedId(d), position: e });
      }
    }
    await t.deps.projector.drainAll();

    let checkpoints = 0, deleted = 0, runs = 0;
    const jobs = async () => {
      const run = oneOffJobs(t.deps);
      const c = await run.checkpoint() as { checkpoints: number };
      checkpoints += c.checkpoints;
      const d = await run.cleanup() as { events_deleted: number };
      deleted += d.events_deleted;
      runs++;
    };
    // Two job loops (two processes) run for as long as the user writes.
    const whileWriting = async (writing: Promise<void>) => {
      let done = false;
      const loop = async () => {
        while (!done) await jobs();
      };
      await Promise.all([writing.finally(() => (done = true)), loop(), loop()]);
    };
    // Three rounds on later days, each a writer against the two job loops.
    for (const [round, day] of [[0, 50], [1, 53], [2, 57]]) {
      t.clock.set(start + day * DAY);
      t.deps.registry.sweep();
      await whileWriting(writer(alice, round, 80, acked));
    }
    assert.ok(checkpoints >= 3, `checkpoints written: ${checkpoints} in ${runs} runs`);
    assert.ok(deleted > 0, "the cleanups deleted old events");
    // One more pair of runs once everything is projected: every covered event goes.
    await t.deps.projector.drainAll();
    await Promise.all([jobs(), jobs()]);

    // The actor's state (still resident) is what a fresh load gives.
    const loaded = await t.deps.store.load(alice.userId);
    const actor = await t.deps.registry.state(alice.userId);
    assert.deepEqual(stateJson(actor), stateJson(loaded));
    assert.ok((await storedEvents(t.deps.kv, alice.userId))[0].seq > 1, "old events are gone");

    // Every acknowledged write is in the state, the read models and the API's answers.
    for (const [item, { feed, position }] of acked.positions) {
      assert.equal(loaded.plays.get(item)?.position, position, item);
      const view = await t.deps.kv.get<PlayRecord>(
        keys.playKey(alice.userId, await itemHash(item)),
      );
      assert.equal(view.value?.position, position, `read model of ${item}`);
      assert.equal(view.value?.feed, feed);
    }
    const plays = (await alice.get("/play?limit=500")).body.play_statuses;
    assert.equal(plays.length, acked.positions.size);
    for (const p of plays) {
      assert.equal(p.position, acked.positions.get(p.rss_source_item)?.position);
    }
    const subs = (await alice.get("/subscriptions")).body.subscriptions;
    assert.deepEqual(
      subs.map((s: { rss_source_feed: string }) => s.rss_source_feed).sort(),
      [...acked.feeds].sort(),
    );
    assert.deepEqual([...loaded.subscriptions.keys()].sort(), [...acked.feeds].sort());
    const saved = (await alice.get("/episodes/saved")).body.episodes;
    assert.deepEqual(
      saved.map((s: { rss_source_item: string }) => s.rss_source_item).sort(),
      [...acked.saved].sort(),
    );
    assert.deepEqual([...loaded.saved.keys()].sort(), [...acked.saved].sort());
  } finally {
    await t.close();
  }
});
