import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeItemId } from "../../src/domain/ids.ts";
import { KeyIndex } from "../../src/domain/key_index.ts";

Deno.test("a key index answers like a Map before and after it spreads over shards", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.string({ maxLength: 20 }), fc.integer()), { maxLength: 200 }),
      fc.integer({ min: 0, max: 9_000 }),
      (pairs, filler) => {
        const index = new KeyIndex<string>();
        const model = new Map<string, number>();
        // Filler keys push the index past the point where it spreads (4,096 keys).
        for (let i = 0; i < filler; i++) {
          index.set(`filler-${i}`, i);
          model.set(`filler-${i}`, i);
        }
        for (const [k, v] of pairs) {
          index.set(k, v);
          model.set(k, v);
          assert.equal(index.size, model.size);
        }
        for (const [k, v] of model) assert.equal(index.get(k), v);
        assert.equal(index.get("never set"), undefined);
      },
    ),
    { numRuns: 30 },
  );
});

Deno.test("an index of 300,000 item ids never holds a map of more than a few thousand keys", () => {
  // V8 grows a Map by rehashing it whole (≈ 70–90 ms at 262,144 keys): no one map may get big.
  const index = new KeyIndex<string>();
  for (let n = 0; n < 300_000; n++) {
    index.set(encodeItemId(`episode-${n}`, `https://cdn.example.org/show/${n}.mp3`), n);
  }
  assert.equal(index.size, 300_000);
  assert.ok(index.largestMap < 2_000, `largest map ${index.largestMap}`);
  assert.equal(
    index.get(encodeItemId("episode-123456", "https://cdn.example.org/show/123456.mp3")),
    123_456,
  );
});

Deno.test("a key index keeps keys that are not strings", () => {
  const index = new KeyIndex<number>();
  for (let n = 0; n < 10_000; n++) index.set(n, n * 2);
  assert.equal(index.size, 10_000);
  assert.equal(index.get(9_999), 19_998);
});
