import assert from "node:assert/strict";

/** What the pure domain may never touch: the runtime, KV, the clock, randomness, I/O. */
const FORBIDDEN = [
  /\bDeno\./,
  /\bDate\.now\(/,
  /new Date\(\s*\)/,
  /\bMath\.random\(/,
  /\bcrypto\./,
  /\bfetch\(/,
  /\bperformance\./,
  /\bsetTimeout\(|\bsetInterval\(/,
  /from "(hono|jose|fast-xml-parser)/,
  /from "\.\.\/(store|auth|rss)\//,
];

Deno.test("nothing in src/domain touches Deno, KV, the clock, randomness or I/O", async () => {
  const dir = new URL("../../src/domain/", import.meta.url);
  let files = 0;
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.name.endsWith(".ts")) continue;
    files++;
    const text = await Deno.readTextFile(new URL(entry.name, dir));
    for (const pattern of FORBIDDEN) {
      assert.doesNotMatch(text, pattern, `${entry.name} matches ${pattern}`);
    }
  }
  assert.ok(files >= 8, "the domain files were found");
});
