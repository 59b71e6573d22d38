/**
 * Every state `evolve` returns is a value: later events — applied to it, to an older state,
 * or one by one rather than together — never change it, and folding events one at a time
 * or all at once gives the same state, in the same order.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { StoredEvent, UserEvent } from "../../src/domain/events.ts";
import { encodeFeedId, encodeItemId } from "../../src/domain/ids.ts";
import { EMPTY_STATE, evolve, evolveAll, type UserState } from "../../src/domain/state.ts";

const FEEDS = [0, 1].map((i) => encodeFeedId(`https://example.org/${i}.xml`));
const ITEMS = Array.from(
  { length: 6 },
  (_, i) => encodeItemId(`ep-${i}`, `https://cdn.example.org/${i}.mp3`),
);
const T = (m: number) => new Date(Date.UTC(2026, 0, 1, 0, m)).toISOString();

const target = fc.record({ f: fc.nat(1), i: fc.nat(5) });
const event: fc.Arbitrary<UserEvent> = fc.oneof(
  fc.tuple(target, fc.nat(900), fc.boolean(), fc.nat(100)).map(([t, position, played, m]) => ({
    type: "played" as const,
    id: "x",
    ts: T(m),
    feed: FEEDS[t.f],
    item: ITEMS[t.i],
    device: { id: "phone", name: "Phone" },
    data: { position, played, ...(m % 3 === 0 ? { duration: 999 } : {}) },
  })),
  fc.tuple(target, fc.nat(900), fc.nat(100)).map(([t, position, m]) => ({
    type: "position_updated" as const,
    id: "x",
    ts: T(m),
    feed: FEEDS[t.f],
    item: ITEMS[t.i],
    data: { position },
  })),
  fc.tuple(target, fc.constantFrom("saved", "unsaved", "shared"), fc.nat(100)).map((
    [t, type, m],
  ) => ({ type, id: "x", ts: T(m), feed: FEEDS[t.f], item: ITEMS[t.i], data: {} }) as UserEvent),
  fc.tuple(target, fc.constantFrom("download", "delete", "new"), fc.nat(100)).map((
    [t, action, m],
  ) => ({
    type: "episode_action" as const,
    id: "x",
    ts: T(m),
    feed: FEEDS[t.f],
    item: ITEMS[t.i],
    data: { action },
  })),
  fc.tuple(target, fc.constantFrom("user", "feed", "item")).map(([t, scope]) =>
    ({
      type: "events_removed" as const,
      id: "x",
      ts: T(0),
      ...(scope === "user" ? {} : { feed: FEEDS[t.f] }),
      ...(scope === "item" ? { item: ITEMS[t.i] } : {}),
      data: { scope },
    }) as UserEvent
  ),
);

/** A state as plain data, its maps' entries in order. */
function dump(s: UserState): unknown {
  return JSON.parse(JSON.stringify({
    seq: s.seq,
    plays: [...s.plays],
    saved: [...s.saved],
    shared: [...s.shared],
    marks: [...s.marks],
  }));
}

function numbered(events: readonly UserEvent[], from: number): StoredEvent[] {
  return events.map((e, i) => ({ ...e, seq: from + i, user_id: "u" }) as StoredEvent);
}

Deno.test("states are values: one at a time or all together, branched or not, none changes", () => {
  fc.assert(
    fc.property(
      fc.array(event, { maxLength: 40 }),
      fc.array(event, { maxLength: 15 }),
      fc.nat(),
      (events, branch, at) => {
        const versions: { state: UserState; dump: unknown }[] = [];
        let state = EMPTY_STATE;
        for (const e of numbered(events, 1)) {
          state = evolve(state, e);
          versions.push({ state, dump: dump(state) });
        }
        assert.deepEqual(dump(evolveAll(EMPTY_STATE, numbered(events, 1))), dump(state));
        // A branch from an older version, folded together.
        const from = versions.length === 0 ? EMPTY_STATE : versions[at % versions.length].state;
        const branched = evolveAll(from, numbered(branch, from.seq + 1));
        let oneByOne = from;
        for (const e of numbered(branch, from.seq + 1)) oneByOne = evolve(oneByOne, e);
        assert.deepEqual(dump(branched), dump(oneByOne));
        for (const v of versions) assert.deepEqual(dump(v.state), v.dump);
      },
    ),
    { numRuns: 300 },
  );
});
