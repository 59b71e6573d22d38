import assert from "node:assert/strict";
import { normalizeTime } from "../../routes/input.ts";

Deno.test("normalizeTime() reads RFC 3339 with Z, fractions or offsets, in UTC", () => {
  assert.equal(normalizeTime("2024-01-15T10:30:00Z"), "2024-01-15T10:30:00.000Z");
  assert.equal(normalizeTime("2024-01-15T10:30:00.5Z"), "2024-01-15T10:30:00.500Z");
  assert.equal(normalizeTime("2024-01-15T12:30:00+02:00"), "2024-01-15T10:30:00.000Z");
  assert.equal(normalizeTime("2024-02-29T00:00:00Z"), "2024-02-29T00:00:00.000Z");
});

Deno.test("normalizeTime() refuses impossible dates instead of rolling them over", () => {
  for (
    const bad of [
      "2024-02-30T00:00:00Z",
      "2023-02-29T00:00:00Z",
      "2024-04-31T00:00:00Z",
      "2024-13-01T00:00:00Z",
      "2024-00-10T00:00:00Z",
      "2024-01-15",
      "yesterday",
      1705314600000,
      null,
    ]
  ) assert.equal(normalizeTime(bad), null, String(bad));
});
