/**
 * `GET /api/v1/export` of a listener with a large state (SPEC §4.7): the play statuses and
 * the checkpoint are written a page at a time, so the server's memory grows far less than
 * the document, and every play status is there, in both.
 */
import assert from "node:assert/strict";
import { runCheckpoints } from "../../src/lifecycle/retention.ts";
import type { UserEvent } from "../../src/domain/events.ts";
import type { UserState } from "../../src/domain/state.ts";
import { feedId, itemId } from "../api/_api.ts";
import { buildSite, DAY, saveMeasuringHeap } from "./_lifecycle.ts";

const PLAYS = 20_000;

function plays(from: number, n: number, ts: string): UserEvent[] {
  return Array.from({ length: n }, (_, k) => ({
    type: "played",
    id: `p-${from + k}`,
    ts,
    device: { id: "phone", name: "Phone" },
    feed: feedId((from + k) % 20),
    item: itemId((from + k) % 20, from + k),
    data: { position: from + k, played: (from + k) % 2 === 0 },
  }));
}

Deno.test("GET /export of a listener with 20,000 play statuses streams them in flat memory", async () => {
  const { t, users: [alice] } = await buildSite(["alice"]);
  const file = await Deno.makeTempFile({ suffix: ".json" });
  try {
    const { store } = t.deps;
    let state: UserState = await store.load(alice.userId);
    for (let i = 0; i < PLAYS; i += 5_000) {
      // The first half is old enough for a checkpoint.
      if (i === PLAYS / 2) t.clock.advance(47 * DAY);
      const ts = new Date(t.clock.now()).toISOString();
      ({ state } = await store.append(alice.userId, state, plays(i, 5_000, ts)));
    }
    assert.equal((await runCheckpoints(t.deps)).checkpoints, 1);

    const res = await t.app.request("/api/v1/export", {
      headers: { Authorization: `Bearer ${await alice.jwt()}` },
    });
    assert.equal(res.status, 200);
    const { peak, bytes } = await saveMeasuringHeap(res.body!, file, 20);
    assert.ok(
      peak < bytes * 0.1,
      `heap grew ${(peak / 2 ** 20).toFixed(1)} MiB for a ${
        (bytes / 2 ** 20).toFixed(1)
      } MiB document`,
    );

    const doc = JSON.parse(await Deno.readTextFile(file));
    assert.deepEqual(
      Object.keys(doc),
      [
        "exported_at",
        "user",
        "subscriptions",
        "play_statuses",
        "playlists",
        "saved_episodes",
        "shared_episodes",
        "privacy",
        "apps",
        "user_tokens",
        "events_total",
        "events",
        "devices",
      ],
    );
    assert.equal(doc.play_statuses.length, PLAYS);
    assert.deepEqual(
      doc.play_statuses.map((p: { rss_source_item: string }) => p.rss_source_item),
      [...state.plays.keys()],
    );
    const last = doc.play_statuses[PLAYS - 1];
    assert.equal(last.position, PLAYS - 1);
    assert.equal(last.guid, `guid-${(PLAYS - 1) % 20}-${PLAYS - 1}`);
    const checkpoint = doc.events[0];
    assert.equal(checkpoint.type, "checkpoint");
    assert.equal(checkpoint.data.plays.length, PLAYS / 2);
    assert.deepEqual(checkpoint.data.plays[0].device, { id: "phone", name: "Phone" });
    assert.equal(doc.events.length, PLAYS + 1, "the checkpoint and every stored event");
  } finally {
    await Deno.remove(file);
    await t.close();
  }
});
