import assert from "node:assert/strict";
import { base64url, secretHash, shortHash } from "../../src/store/hash.ts";

/** The hashes as Web Crypto gives them: the KV keys written before stay where they are. */
async function webCrypto(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

const TEXTS = [
  "",
  "feed:aHR0cHM6Ly9mZWVkcy5leGFtcGxlLm9yZy9wb2RjYXN0LnhtbA",
  "item:ZXAtNDIsaHR0cHM6Ly9jZG4uZXhhbXBsZS5vcmcvZXA0Mi5tcDM",
  "Épisode 42 — ça marche 🎧",
  "lone surrogate \ud800 end",
  "x".repeat(10_000),
];

Deno.test("key hashes are the first 16 bytes of SHA-256 of the UTF-8 text, as before", async () => {
  for (const text of TEXTS) {
    const expected = base64url((await webCrypto(text)).subarray(0, 16));
    assert.equal(await shortHash(text), expected, JSON.stringify(text.slice(0, 40)));
    assert.equal((await shortHash(text)).length, 22);
  }
});

Deno.test("secret hashes are the whole SHA-256 of the UTF-8 text, as before", async () => {
  for (const text of TEXTS) {
    assert.equal(await secretHash(text), base64url(await webCrypto(text)));
  }
});
