/**
 * The persistent map reads exactly like a `Map` that went through the same changes — same
 * entries, same iteration order — in every version, including versions branched from old
 * ones, and no version changes when another is edited.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { objectRows, PersistentMap, type RowStore } from "../../src/domain/persistent_map.ts";
import { playRows } from "../../src/domain/play_rows.ts";
import { isoOfMs, msOfIso } from "../../src/domain/iso_ms.ts";
import type { PlayState } from "../../src/domain/state.ts";

type Op<V> = { kind: "set"; key: string; value: V } | { kind: "delete"; key: string };

interface Version<V> {
  model: Map<string, V>;
  map: PersistentMap<string, V, unknown>;
}

function assertSame<V>(map: ReadonlyMap<string, V>, model: Map<string, V>, where: string) {
  assert.equal(map.size, model.size, `${where}: size`);
  assert.deepEqual([...map.entries()], [...model.entries()], `${where}: entries in order`);
  assert.deepEqual([...map.keys()], [...model.keys()], `${where}: keys`);
  for (const [k, v] of model) {
    assert.ok(map.has(k), `${where}: has ${k}`);
    assert.deepEqual(map.get(k), v, `${where}: get ${k}`);
  }
}

/** Runs rounds of edits, each on a version picked among all so far; checks every version. */
function checkAgainstMap<V>(
  newStore: () => RowStore<string, V, unknown>,
  rounds: { from: number; ops: Op<V>[] }[],
  probeKeys: readonly string[],
) {
  const versions: Version<V>[] = [{ model: new Map(), map: PersistentMap.empty(newStore) }];
  for (const [r, round] of rounds.entries()) {
    const base = versions[round.from % versions.length];
    const model = new Map(base.model);
    const map = base.map.edit();
    for (const op of round.ops) {
      if (op.kind === "set") {
        model.set(op.key, op.value);
        map.set(op.key, op.value);
      } else {
        assert.equal(map.delete(op.key), model.delete(op.key), `round ${r}: delete ${op.key}`);
      }
    }
    // Read while still editing, then frozen.
    assertSame(map, model, `round ${r} (editing)`);
    map.freeze();
    versions.push({ model, map });
    for (const [i, v] of versions.entries()) assertSame(v.map, v.model, `round ${r}, version ${i}`);
    for (const k of probeKeys) assert.equal(map.has(k), model.has(k), `round ${r}: has ${k}`);
  }
}

const keyArb = fc.integer({ min: 0, max: 40 }).map((i) => `k${i}`);
const PROBES = Array.from({ length: 42 }, (_, i) => `k${i}`);

function opArb<V>(value: fc.Arbitrary<V>): fc.Arbitrary<Op<V>> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("set" as const), key: keyArb, value }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("delete" as const), key: keyArb }) },
  );
}

function roundsArb<V>(value: fc.Arbitrary<V>) {
  return fc.array(
    fc.record({ from: fc.nat(), ops: fc.array(opArb(value), { maxLength: 30 }) }),
    { maxLength: 25 },
  );
}

Deno.test("a persistent map reads like a Map with the same changes, in every version", () => {
  fc.assert(
    fc.property(roundsArb(fc.integer()), (rounds) => {
      checkAgainstMap(objectRows as () => RowStore<string, number, unknown>, rounds, PROBES);
    }),
    { numRuns: 300 },
  );
});

const T = Date.UTC(2026, 0, 1);
const playArb = (key: fc.Arbitrary<string>) =>
  fc.record({
    feed: fc.constantFrom("feed-a", "feed-b", "feed-c"),
    position: fc.oneof(fc.nat(100_000), fc.constant(2 ** 40)),
    played: fc.boolean(),
    duration: fc.option(fc.nat(100_000), { nil: undefined }),
    updated_at: fc.oneof(
      fc.nat(10 ** 9).map((d) => new Date(T + d).toISOString()),
      fc.constant("2026-01-01T00:00:00Z"), // not in toISOString() form: kept whole
    ),
    started: fc.option(fc.nat(100_000), { nil: undefined }),
    device: fc.option(
      fc.oneof(
        fc.constant({ id: "phone", name: "Phone" }),
        fc.constant({ id: "phone" }),
        fc.constant({ id: "web", name: undefined }),
      ),
      { nil: undefined },
    ),
    other: key,
  });

Deno.test("play statuses kept as columns read back as written, in Map order, in every version", () => {
  const value = playArb(keyArb);
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          from: fc.nat(),
          ops: fc.array(
            fc.oneof(
              {
                weight: 3,
                arbitrary: fc.tuple(keyArb, value, fc.boolean()).map(([key, v, mismatch]) => ({
                  kind: "set" as const,
                  key,
                  // The item is the key, except now and then (then it is kept whole).
                  value: {
                    feed: v.feed,
                    item: mismatch ? v.other : key,
                    position: v.position,
                    played: v.played,
                    duration: v.duration,
                    updated_at: v.updated_at,
                    started: v.started,
                    device: v.device,
                  } as PlayState,
                })),
              },
              {
                weight: 1,
                arbitrary: fc.record({ kind: fc.constant("delete" as const), key: keyArb }),
              },
            ),
            { maxLength: 30 },
          ),
        }),
        { maxLength: 20 },
      ),
      (rounds) => {
        checkAgainstMap(playRows as () => RowStore<string, PlayState, unknown>, rounds, PROBES);
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("versions left with many dead or moved rows are compacted and still read like their Map", () => {
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
  const rounds: Op<number>[][] = [
    range(0, 3_000).map((i) => ({ kind: "set", key: `k${i}`, value: i })),
    // Half deleted: many dead rows, not yet more than the live ones.
    range(0, 1_500).map((i) => ({ kind: "delete", key: `k${i * 2}` })),
    // Re-added: each takes a fresh row (moved keys), then the version is compacted.
    range(0, 1_500).map((i) => ({ kind: "set", key: `k${i * 2}`, value: -i })),
    // Most deleted: more dead rows than live ones.
    range(0, 2_800).map((i) => ({ kind: "delete", key: `k${(i * 7) % 3_000}` })),
    range(0, 500).map((i) => ({ kind: "set", key: `k${i * 3}`, value: i })),
  ];
  const compactions: number[] = [];
  const versions: Version<number>[] = [{
    model: new Map(),
    map: PersistentMap.empty(objectRows as () => RowStore<string, number, unknown>),
  }];
  for (const [r, ops] of rounds.entries()) {
    const { model: m0, map: v0 } = versions.at(-1)!;
    const model = new Map(m0);
    const map = v0.edit();
    for (const op of ops) {
      if (op.kind === "set") model.set(op.key, op.value), map.set(op.key, op.value);
      else model.delete(op.key), map.delete(op.key);
    }
    // Compacted: the version spans its live rows only.
    if (map.freeze().span === map.size && map.span < v0.span + ops.length) compactions.push(r);
    versions.push({ model, map });
  }
  for (const [i, v] of versions.entries()) assertSame(v.map, v.model, `version ${i}`);
  assert.deepEqual(compactions, [2, 3]);
});

Deno.test("a frozen version refuses changes", () => {
  const map = PersistentMap.empty(objectRows<string, number>).edit().set("a", 1).freeze();
  assert.throws(() => map.set("b", 2), TypeError);
  assert.throws(() => map.delete("a"), TypeError);
  assert.deepEqual([...map], [["a", 1]]);
});

Deno.test("times are formatted and read back exactly as Date does, and only its own form is read", () => {
  fc.assert(
    fc.property(fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }), (ms) => {
      const iso = new Date(ms).toISOString();
      assert.equal(isoOfMs(ms), iso);
      assert.equal(msOfIso(iso), ms);
    }),
    { numRuns: 20_000 },
  );
  for (
    const s of [
      "2024-02-30T00:00:00.000Z",
      "2023-02-29T00:00:00.000Z",
      "2024-13-01T00:00:00.000Z",
      "2024-01-01T24:00:00.000Z",
      "2024-01-01T00:60:00.000Z",
      "2024-01-01T00:00:00Z",
      "2024-01-01T00:00:00.000+00:00",
      "2024-01-01 00:00:00.000Z",
      "+02024-01-01T00:00:00.000",
      "2024-01-0aT00:00:00.000Z",
      "",
    ]
  ) assert.ok(Number.isNaN(msOfIso(s)), s);
  assert.equal(msOfIso("2024-02-29T23:59:59.999Z"), Date.parse("2024-02-29T23:59:59.999Z"));
});
