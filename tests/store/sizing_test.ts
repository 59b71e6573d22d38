import assert from "node:assert/strict";
import fc from "fast-check";
import { keySize, opOf, utf8Length, valueSize } from "../../src/store/sizing.ts";

const encoder = new TextEncoder();

Deno.test("utf8Length() counts the bytes TextEncoder writes, without encoding", () => {
  fc.assert(
    fc.property(fc.string({ unit: "grapheme", maxLength: 200 }), (s) => {
      assert.equal(utf8Length(s), encoder.encode(s).length);
    }),
  );
  for (const s of ["", "abc", "é", "€", "😀", "a😀b", "\u0000", "\u07ff\u0800"]) {
    assert.equal(utf8Length(s), encoder.encode(s).length, JSON.stringify(s));
  }
});

Deno.test("utf8Length() never counts less than what is written, lone surrogates included", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 200 }), (s) => {
      assert.ok(utf8Length(s) >= encoder.encode(s).length);
    }),
  );
  for (const s of ["\ud800", "\udc00", "\ud800a", "a\ud800", "\ud800\ud800\udc00"]) {
    assert.equal(utf8Length(s), encoder.encode(s).length, JSON.stringify(s));
  }
});

Deno.test("valueSize() sizes values holding a bigint and KvU64 counters", () => {
  assert.equal(valueSize({ n: 5n, s: "é" }), JSON.stringify({ n: "0", s: "é" }).length + 1);
  assert.equal(valueSize(new Deno.KvU64(7n)), 8);
  assert.equal(valueSize("😀"), 6);
});

Deno.test("opOf() takes a value's size from what was sized already, and sizes the rest", () => {
  const event = { type: "played", text: "x".repeat(100) };
  const record = { position: 3 };
  const mutations: Deno.KvMutation[] = [
    { type: "set", key: ["ev", "u1", 1], value: event },
    { type: "set", key: ["play", "u1", "é"], value: record },
    { type: "delete", key: ["play_by_time", "u1", 5, "é"] },
  ];
  const checks = [{ key: ["ev", "u1", 2], versionstamp: null }];
  const keys = mutations.reduce((n, m) => n + keySize(m.key), 0);
  const plain = opOf(checks, mutations, []);
  assert.equal(plain.bytes, keys + valueSize(event) + valueSize(record));
  assert.equal(plain.keyBytes, keys + keySize(checks[0].key));
  const told = opOf(checks, mutations, [], new Map([[event, 1]]));
  assert.equal(told.bytes, keys + 1 + valueSize(record));
});
