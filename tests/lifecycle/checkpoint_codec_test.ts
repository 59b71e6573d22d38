/**
 * Checkpoints (SPEC §7.1) give back the state they were written from — every field, every
 * map in its order — whether read whole or in pieces cut anywhere, in the compact line
 * format or in the one-document format older checkpoints have; a checkpoint with a part
 * missing reads as "being replaced" (null), never as a wrong state.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { StoredEvent, UserEvent } from "../../src/domain/events.ts";
import { encodeFeedId, encodeItemId } from "../../src/domain/ids.ts";
import { EMPTY_STATE, evolveAll, type UserState } from "../../src/domain/state.ts";
import {
  CheckpointDecoder,
  CheckpointJson,
  checkpointLines,
  stateToJson,
} from "../../src/store/checkpoint_codec.ts";
import { checkpointHead, readCheckpoint, writeCheckpoint } from "../../src/store/checkpoints.ts";
import * as keys from "../../src/store/keys.ts";

const FEEDS = [0, 1, 2].map((i) => encodeFeedId(`https://example.org/${i}.xml`));
const ITEMS = Array.from(
  { length: 8 },
  (_, i) => encodeItemId(`ep-${i}`, `https://cdn.example.org/${i}.mp3`),
);
const T = (m: number) => new Date(Date.UTC(2026, 0, 1, 0, m)).toISOString();

const at = fc.oneof(
  fc.nat(500).map(T),
  fc.constant("2026-01-01T00:00:00Z"), // a time the compact form does not hold: kept as text
);
const device = fc.constantFrom(
  undefined,
  { id: "phone", name: "Phone" },
  { id: "web" },
  { id: "tablet", name: undefined },
);
const feed = fc.constantFrom(...FEEDS);
const item = fc.constantFrom(...ITEMS);
const event: fc.Arbitrary<UserEvent> = fc.oneof(
  fc.record({ feed, item, at, device, position: fc.oneof(fc.nat(900), fc.constant(2 ** 40)) })
    .chain((e) =>
      fc.record({ played: fc.boolean(), duration: fc.option(fc.nat(5000), { nil: undefined }) })
        .map(({ played, duration }) =>
          ({
            type: "played",
            id: "x",
            ts: e.at,
            feed: e.feed,
            item: e.item,
            ...(e.device ? { device: e.device } : {}),
            data: {
              position: e.position,
              played,
              ...(duration === undefined ? {} : { duration, started: 3 }),
            },
          }) as UserEvent
        )
    ),
  fc.record({ feed, item, at, type: fc.constantFrom("saved", "shared") }).map((e) =>
    ({ type: e.type, id: "x", ts: e.at, feed: e.feed, item: e.item, data: {} }) as UserEvent
  ),
  fc.record({ feed, item, at, action: fc.constantFrom("download", "delete", "new") }).map((e) =>
    ({
      type: "episode_action",
      id: "x",
      ts: e.at,
      feed: e.feed,
      item: e.item,
      data: { action: e.action },
    }) as UserEvent
  ),
  fc.record({ feed, at, rss: fc.option(fc.constant("src-1"), { nil: undefined }) }).map((e) =>
    ({
      type: "subscribed",
      id: "x",
      ts: e.at,
      feed: e.feed,
      data: { subscribed_at: e.at, ...(e.rss ? { rss_source_id: e.rss } : {}) },
    }) as UserEvent
  ),
  fc.record({ feed, item, level: fc.constantFrom("public", "private", null) }).map((e) =>
    ({
      type: "privacy_changed",
      id: "x",
      ts: T(1),
      feed: e.feed,
      item: e.item,
      data: { scope: "item", privacy: e.level },
    }) as UserEvent
  ),
  fc.record({ feed, level: fc.constantFrom("anonymous", "private") }).map((e) =>
    ({
      type: "privacy_changed",
      id: "x",
      ts: T(1),
      feed: e.feed,
      data: { scope: "feed", privacy: e.level },
    }) as UserEvent
  ),
  fc.constantFrom("pl-1", "pl-2").map((id) =>
    ({
      type: "playlist_created",
      id: "x",
      ts: T(2),
      data: { playlist_id: id, name: id, description: "", is_public: false },
    }) as UserEvent
  ),
  fc.record({ feed, item, id: fc.constantFrom("pl-1", "pl-2") }).map((e) =>
    ({
      type: "playlist_item_added",
      id: "x",
      ts: T(3),
      feed: e.feed,
      data: { playlist_id: e.id, item: e.item },
    }) as UserEvent
  ),
  fc.constantFrom("ipod", "car").map((id) =>
    ({
      type: "device_updated",
      id: "x",
      ts: T(4),
      data: { device_id: id, caption: `My ${id}`, type: "mobile" },
    }) as UserEvent
  ),
);

function stateOf(events: readonly UserEvent[]): UserState {
  const stored = events.map((e, i) => ({ ...e, seq: i + 1, user_id: "u" }) as StoredEvent);
  return evolveAll(EMPTY_STATE, stored);
}

/** A state as plain data, every map's entries in order. */
function dump(s: UserState): unknown {
  return JSON.parse(JSON.stringify({
    seq: s.seq,
    subscriptions: [...s.subscriptions],
    plays: [...s.plays],
    saved: [...s.saved],
    shared: [...s.shared],
    playlists: [...s.playlists].map(([k, p]) => [k, { ...p, items: [...p.items] }]),
    privacy: { user: s.privacy.user, feeds: [...s.privacy.feeds], items: [...s.privacy.items] },
    marks: [...s.marks],
    devices: [...s.devices],
  }));
}

/** The text given to a decoder in pieces cut at the given offsets. */
function decodeInPieces(text: string, cuts: number[]): UserState {
  const d = new CheckpointDecoder();
  let from = 0;
  for (const c of [...cuts.map((x) => x % (text.length + 1))].sort((a, b) => a - b)) {
    d.push(text.slice(from, Math.max(from, c)));
    from = Math.max(from, c);
  }
  d.push(text.slice(from));
  return d.end();
}

/** The export's document of a checkpoint text given in pieces cut at the given offsets. */
function jsonInPieces(text: string, cuts: number[]): string {
  const j = new CheckpointJson();
  const out: string[] = [];
  let from = 0;
  for (const c of [...cuts.map((x) => x % (text.length + 1))].sort((a, b) => a - b)) {
    out.push(j.push(text.slice(from, Math.max(from, c))));
    from = Math.max(from, c);
  }
  out.push(j.push(text.slice(from)), j.end());
  return out.join("");
}

Deno.test("a checkpoint's text gives back its state, read whole or cut anywhere, in both formats", () => {
  fc.assert(
    fc.property(
      fc.array(event, { maxLength: 60 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      (events, cuts) => {
        const state = stateOf(events);
        const lines = [...checkpointLines(state)].join("");
        assert.deepEqual(dump(decodeInPieces(lines, cuts)), dump(state));
        assert.deepEqual(dump(decodeInPieces(stateToJson(state), cuts)), dump(state));
        // The export's form of it: the one-document JSON, from either format.
        const document = JSON.parse(stateToJson(state));
        assert.deepEqual(JSON.parse(jsonInPieces(lines, cuts)), document);
        assert.deepEqual(JSON.parse(jsonInPieces(stateToJson(state), cuts)), document);
      },
    ),
    { numRuns: 300 },
  );
});

/** A state with `n` play statuses (and saves), large enough to take several parts. */
function bigState(n: number): UserState {
  const events: UserEvent[] = [];
  for (let i = 0; i < n; i++) {
    const it = encodeItemId(`big-${i}`, `https://cdn.example.org/big/${i}.mp3`);
    events.push({
      type: "played",
      id: `p${i}`,
      ts: T(i % 500),
      feed: FEEDS[i % 3],
      item: it,
      device: { id: "phone", name: "Phone" },
      data: { position: i, played: i % 2 === 0 },
    });
    if (i % 10 === 0) {
      events.push({ type: "saved", id: `s${i}`, ts: T(1), feed: FEEDS[0], item: it, data: {} });
    }
  }
  return stateOf(events);
}

Deno.test("a large checkpoint is written in parts and read back as the same state", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const state = bigState(5_000);
    const expected = await checkpointHead(kv, "u");
    assert.ok(await writeCheckpoint(kv, "u", state, { expected, now: T(9), reason: "age" }));
    const head = (await checkpointHead(kv, "u")).value!;
    assert.ok(head.parts > 3, `${head.parts} parts`);
    assert.deepEqual(dump((await readCheckpoint(kv, "u", head))!), dump(state));

    // A part gone (the checkpoint is being replaced) reads as null, not as a wrong state.
    await kv.delete(keys.checkpointPartKey("u", head.seq, 1, head.write));
    assert.equal(await readCheckpoint(kv, "u", head), null);
  } finally {
    kv.close();
  }
});

Deno.test("a checkpoint written again at the same seq with fewer parts reads whole", async () => {
  // E.g. two versions of the text (lines of 100 rows, then 50) or a smaller pruned state: the
  // first write's extra parts used to stay under the same keys and spoil every read.
  const kv = await Deno.openKv(":memory:");
  try {
    const big = bigState(5_000);
    const small = { ...bigState(300), seq: big.seq };
    assert.ok(
      await writeCheckpoint(kv, "u", big, {
        expected: await checkpointHead(kv, "u"),
        now: T(9),
        reason: "age",
      }),
    );
    const first = (await checkpointHead(kv, "u")).value!;
    assert.ok(
      await writeCheckpoint(kv, "u", small, {
        expected: await checkpointHead(kv, "u"),
        now: T(9),
        reason: "erasure",
      }),
    );
    const head = (await checkpointHead(kv, "u")).value!;
    assert.equal(head.seq, first.seq);
    assert.ok(head.parts < first.parts);
    assert.deepEqual(dump((await readCheckpoint(kv, "u", head))!), dump(small));
    // Only the live write's parts are left.
    const left = await Array.fromAsync(kv.list({ prefix: keys.checkpointPrefix("u") }));
    assert.equal(left.length, head.parts);
    assert.ok(left.every((e) => e.key[3] === head.write));
  } finally {
    kv.close();
  }
});

Deno.test("two writes racing at the same seq never mix their parts: the winner reads whole", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const a = bigState(4_000);
    const b = { ...bigState(1_500), seq: a.seq };
    const expected = await checkpointHead(kv, "u");
    const won = await Promise.all([
      writeCheckpoint(kv, "u", a, { expected, now: T(9), reason: "age" }),
      writeCheckpoint(kv, "u", b, { expected, now: T(9), reason: "age" }),
    ]);
    assert.equal(won.filter(Boolean).length, 1);
    const head = (await checkpointHead(kv, "u")).value!;
    assert.deepEqual(dump((await readCheckpoint(kv, "u", head))!), dump(won[0] ? a : b));
    const left = await Array.fromAsync(kv.list({ prefix: keys.checkpointPrefix("u") }));
    assert.ok(left.every((e) => e.key[3] === head.write), "the loser's parts are gone");
  } finally {
    kv.close();
  }
});

Deno.test("a checkpoint written before the line format (one JSON document) is still read", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const state = bigState(2_000);
    // As the checkpoint job wrote them: the bytes of one document in 60 KiB parts.
    const bytes = new TextEncoder().encode(stateToJson(state));
    const parts = Math.ceil(bytes.length / (60 * 1024));
    for (let i = 0; i < parts; i++) {
      await kv.set(
        keys.checkpointPartKey("u", state.seq, i),
        bytes.slice(i * 60 * 1024, (i + 1) * 60 * 1024),
      );
    }
    const head = { seq: state.seq, parts, bytes: bytes.length, created_at: T(9), reason: "age" };
    await kv.set(keys.checkpointHeadKey("u"), head);
    const read = await readCheckpoint(kv, "u", (await checkpointHead(kv, "u")).value!);
    assert.deepEqual(dump(read!), dump(state));
    // The next checkpoint (parts keyed by its write) replaces it, old parts and all.
    const later = { ...state, seq: state.seq + 1 };
    const expected = await checkpointHead(kv, "u");
    assert.ok(await writeCheckpoint(kv, "u", later, { expected, now: T(9), reason: "age" }));
    const now = (await checkpointHead(kv, "u")).value!;
    assert.deepEqual(dump((await readCheckpoint(kv, "u", now))!), dump(later));
    const left = await Array.fromAsync(kv.list({ prefix: keys.checkpointPrefix("u") }));
    assert.ok(left.length > 0 && left.every((e) => e.key[2] === later.seq));
  } finally {
    kv.close();
  }
});
