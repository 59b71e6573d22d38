/**
 * gpodder's episode actions are read from the event stream itself, from the first event the
 * server recorded at or after `since` (a binary search over seqs): every `since` answers
 * exactly the plays recorded from then on, also with holes in the stream (events a cleanup or
 * an erasure deleted), and each play carries the episode's known length.
 */
import assert from "node:assert/strict";
import { EMPTY_STATE, type UserState } from "../../src/domain/state.ts";
import { actionsSince } from "../../src/gpodder/queries.ts";
import { EventStore } from "../../src/store/event_store.ts";
import * as keys from "../../src/store/keys.ts";
import { FakeClock } from "../_support/clock.ts";
import { playedEvent } from "../_support/events.ts";

Deno.test("episode actions since any time are exactly the plays recorded from then on, holes and all", async () => {
  const kv = await Deno.openKv(":memory:");
  const t0 = Date.parse("2026-03-01T00:00:00Z");
  const clock = new FakeClock(t0);
  const store = new EventStore({ kv, clock });
  let state: UserState = EMPTY_STATE;
  // 60 appends of 1–3 plays each, a second apart: several events share a recorded time.
  const recorded: { seq: number; at: number; position: number }[] = [];
  let position = 0;
  for (let i = 0; i < 60; i++) {
    const n = 1 + (i % 3);
    const events = Array.from({ length: n }, () => playedEvent(position % 7, ++position));
    const r = await store.append("u1", state, events);
    state = r.state;
    for (const e of r.events) {
      recorded.push({
        seq: e.seq,
        at: clock.now(),
        position: (e.data as { position: number }).position,
      });
    }
    clock.advance(1_000);
  }
  // Holes: every fifth event deleted (as a cleanup or an erasure would).
  const kept = recorded.filter((r) => r.seq % 5 !== 0);
  for (const r of recorded) if (r.seq % 5 === 0) await kv.delete(keys.eventKey("u1", r.seq));

  const now = clock.now();
  for (let since = t0 - 1_500; since <= now + 1_000; since += 500) {
    const got = await actionsSince(kv, "u1", { sinceMs: since, now });
    const want = kept.filter((r) => r.at >= since).map((r) => r.position);
    assert.deepEqual(got.map((a) => a.position), want, `since ${since - t0} ms`);
  }
  kv.close();
});

Deno.test("a position update's action carries the length the episode's play status knows", async () => {
  const kv = await Deno.openKv(":memory:");
  const clock = new FakeClock("2026-03-01T00:00:00Z");
  const store = new EventStore({ kv, clock });
  const first = playedEvent(1, 10);
  const withLength = { ...first, data: { ...first.data, duration: 1_800 } } as typeof first;
  const r = await store.append("u1", EMPTY_STATE, [withLength]);
  clock.advance(1_000);
  await store.append("u1", r.state, [
    {
      type: "position_updated",
      id: "p2",
      ts: "2026-03-01T00:00:01.000Z",
      feed: first.feed,
      item: first.item,
      data: { position: 20 },
    } as typeof first,
  ]);
  const actions = await actionsSince(kv, "u1", { sinceMs: clock.now(), now: clock.now() });
  assert.equal(actions.length, 1);
  assert.equal(actions[0].position, 20);
  assert.equal(actions[0].total, 1_800);
  kv.close();
});
