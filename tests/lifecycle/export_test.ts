/**
 * `GET /api/v1/export` of a long history (SPEC §4.7): the document streams — the server's
 * memory grows far less than the document while it is read — and it is complete: the
 * checkpoint first, then every stored event, then the devices.
 */
import assert from "node:assert/strict";
import { runCheckpoints } from "../../src/lifecycle/retention.ts";
import type { UserEvent } from "../../src/domain/events.ts";
import type { UserState } from "../../src/domain/state.ts";
import { feedId, itemId } from "../api/_api.ts";
import { buildSite, DAY, saveMeasuringHeap } from "./_lifecycle.ts";

const EVENTS = 100_000;
const BATCH = 10_000;

/** Saves and unsaves of ten episodes, from two devices (a small state, a long stream). */
function bulk(from: number, n: number, ts: string): UserEvent[] {
  const out: UserEvent[] = [];
  for (let i = from; i < from + n; i++) {
    const e = Math.floor(i / 2) % 10;
    out.push({
      type: i % 2 === 0 ? "saved" : "unsaved",
      id: `bulk-${i}`,
      ts,
      device: { id: `device-${i % 2}`, name: `Device ${i % 2}` },
      feed: feedId(e),
      item: itemId(e, 1),
      data: {},
    });
  }
  return out;
}

Deno.test("GET /export of a 100,000-event user streams in flat memory and holds every event", async () => {
  const { t, users: [alice] } = await buildSite(["alice"]);
  const file = await Deno.makeTempFile({ suffix: ".json" });
  try {
    const { store } = t.deps;
    let state: UserState = await store.load(alice.userId);
    for (let i = 0; i < EVENTS; i += BATCH) {
      // The first half is old enough for a checkpoint; it stays stored (no cleanup).
      if (i === EVENTS / 2) t.clock.advance(47 * DAY);
      const ts = new Date(t.clock.now()).toISOString();
      ({ state } = await store.append(alice.userId, state, bulk(i, BATCH, ts)));
    }
    assert.equal(state.seq, EVENTS);
    assert.equal((await runCheckpoints(t.deps)).checkpoints, 1);

    const res = await t.app.request("/api/v1/export", {
      headers: { Authorization: `Bearer ${await alice.jwt()}` },
    });
    assert.equal(res.status, 200);
    assert.match(
      res.headers.get("Content-Disposition") ?? "",
      /^attachment; filename="balados-export-alice-\d{4}-\d{2}-\d{2}\.json"$/,
    );
    // A collection every 40 chunks (~6 MiB) and at the end.
    const { peak, bytes, chunks } = await saveMeasuringHeap(res.body!, file, 40);
    assert.ok(chunks > 50, `${chunks} chunks: the body came in pieces`);
    assert.ok(
      peak < bytes * 0.1,
      `heap grew ${(peak / 2 ** 20).toFixed(1)} MiB for a ${
        (bytes / 2 ** 20).toFixed(1)
      } MiB document`,
    );

    const doc = JSON.parse(await Deno.readTextFile(file));
    assert.equal(doc.events_total, EVENTS);
    assert.equal(doc.events.length, EVENTS + 1, "the checkpoint and every stored event");
    assert.equal(doc.events[0].type, "checkpoint");
    assert.equal(doc.events[0].seq, EVENTS / 2);
    assert.equal(doc.events[0].data.seq, EVENTS / 2);
    for (let i = 1; i <= EVENTS; i++) {
      if (doc.events[i].seq !== i) assert.fail(`event ${i} is ${JSON.stringify(doc.events[i])}`);
    }
    assert.deepEqual(doc.devices.map((d: { id: string }) => d.id).sort(), ["device-0", "device-1"]);
    assert.equal(doc.user.username, "alice");
  } finally {
    await Deno.remove(file);
    await t.close();
  }
});
