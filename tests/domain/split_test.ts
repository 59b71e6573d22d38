/**
 * A large sync runs as consecutive parts (SPEC §4.1: in batches that each commit whole):
 * deciding the parts one after the other gives the events the whole body gives at once.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { UserEvent } from "../../src/domain/events.ts";
import { encodeFeedId, encodeItemId } from "../../src/domain/ids.ts";
import { slices, splitSync, syncItems } from "../../src/domain/split.ts";
import { EMPTY_STATE, evolveAll, type UserState } from "../../src/domain/state.ts";
import { decideSync, type SyncInput } from "../../src/domain/sync.ts";
import { META, stored } from "../_support/decider.ts";

const FEEDS = [0, 1, 2].map((i) => encodeFeedId(`https://example.org/${i}.xml`));
const ITEMS = Array.from(
  { length: 8 },
  (_, i) => encodeItemId(`ep-${i}`, `https://cdn.example.org/${i}.mp3`),
);
const T = (h: number) => new Date(Date.UTC(2026, 0, 1, h)).toISOString();

const time = fc.integer({ min: 0, max: 30 }).map(T);
const optTime = fc.option(time, { nil: undefined });
const sub = fc.record({
  feed: fc.constantFrom(...FEEDS),
  subscribed_at: time,
  unsubscribed_at: optTime,
}, { requiredKeys: ["feed", "subscribed_at"] });
const play = fc.record({
  feed: fc.constantFrom(...FEEDS),
  item: fc.constantFrom(...ITEMS),
  position: fc.nat(500),
  played: fc.option(fc.boolean(), { nil: undefined }),
  duration: fc.option(fc.nat(900), { nil: undefined }),
  updated_at: time,
}, { requiredKeys: ["feed", "item", "position", "updated_at"] });
const playlist = fc.record({
  id: fc.option(fc.constantFrom("pl-a", "pl-b"), { nil: undefined }),
  name: fc.constantFrom("Morning", "Evening"),
  updated_at: time,
  deleted_at: optTime,
  items: fc.array(
    fc.record({
      feed: fc.constantFrom(...FEEDS),
      item: fc.constantFrom(...ITEMS),
      added_at: time,
      removed_at: optTime,
      position: fc.option(fc.nat(5), { nil: undefined }),
    }, { requiredKeys: ["feed", "item", "added_at"] }),
    { maxLength: 5 },
  ),
}, { requiredKeys: ["name", "updated_at", "items"] });
const body: fc.Arbitrary<SyncInput> = fc.record({
  subscriptions: fc.array(sub, { maxLength: 8 }),
  play_statuses: fc.array(play, { maxLength: 12 }),
  playlists: fc.array(playlist, { maxLength: 3 }),
});

/** Events without their ids, playlist ids made by the server named by first appearance. */
function comparable(events: readonly UserEvent[]) {
  const names = new Map<string, string>();
  const name = (id: string) => {
    if (!/^pl-.*-\d+$/.test(id) || id === "pl-a" || id === "pl-b") return id;
    if (!names.has(id)) names.set(id, `made-${names.size}`);
    return names.get(id)!;
  };
  return events.map(({ id: _id, ...e }) =>
    "playlist_id" in e.data
      ? { ...e, data: { ...e.data, playlist_id: name(e.data.playlist_id) } }
      : e
  );
}

function decideInParts(state: UserState, parts: SyncInput[]): UserEvent[] {
  const all: UserEvent[] = [];
  parts.forEach((part, i) => {
    const events = decideSync(state, part, { ...META, idPrefix: `part${i}` });
    state = evolveAll(state, stored(events, state.seq + 1));
    all.push(...events);
  });
  return all;
}

Deno.test("a sync decided in parts gives the events of the whole body, whatever the state", () => {
  fc.assert(
    fc.property(body, body, fc.integer({ min: 1, max: 6 }), (first, input, max) => {
      const state = evolveAll(EMPTY_STATE, stored(decideSync(EMPTY_STATE, first, META)));
      const parts = splitSync(input, max);
      const whole = decideSync(state, input, { ...META, idPrefix: "whole" });
      assert.deepEqual(comparable(decideInParts(state, parts)), comparable(whole));
    }),
    { numRuns: 400 },
  );
});

Deno.test("a sync's parts keep its order, stay within the size, and never cut a playlist", () => {
  fc.assert(
    fc.property(body, fc.integer({ min: 1, max: 6 }), (input, max) => {
      const parts = splitSync(input, max);
      assert.deepEqual(parts.flatMap((p) => p.subscriptions), input.subscriptions);
      assert.deepEqual(parts.flatMap((p) => p.play_statuses), input.play_statuses);
      assert.deepEqual(parts.flatMap((p) => p.playlists), input.playlists);
      for (const p of parts) {
        assert.ok(syncItems(p) <= max || p.playlists.length === 1, JSON.stringify(p));
      }
      if (syncItems(input) <= max) assert.deepEqual(parts, [input]);
    }),
  );
});

Deno.test("a sync body's other fields go along with every part", () => {
  const input = {
    subscriptions: [],
    play_statuses: Array.from({ length: 3 }, (_, i) => ({
      feed: FEEDS[0],
      item: ITEMS[i],
      position: i,
      updated_at: T(i),
    })),
    playlists: [],
    since: "token",
  };
  const parts = splitSync(input, 2) as (SyncInput & { since?: string })[];
  assert.deepEqual(parts.map((p) => [p.since, p.play_statuses.length]), [["token", 2], [
    "token",
    1,
  ]]);
  assert.deepEqual(slices([1, 2, 3], 2), [[1, 2], [3]]);
  assert.deepEqual(slices([], 2), [[]]);
});
