/**
 * Short, key-safe hashes of long strings (URLs never go into KV keys raw). SHA-256 from
 * `node:crypto`, computed in place: Web Crypto's `digest` is a round trip to another thread
 * per call, which a first sync of 5,000 episodes paid 5,000 times.
 */
import { createHash } from "node:crypto";

/** base64url without padding. */
export function base64url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** First 16 bytes of SHA-256 of the text (UTF-8), base64url (22 chars). */
export function shortHashNow(text: string): string {
  return createHash("sha256").update(text, "utf8").digest().subarray(0, 16).toString("base64url");
}

/** First 16 bytes of SHA-256 of the text, base64url (22 chars). */
export function shortHash(text: string): Promise<string> {
  return Promise.resolve(shortHashNow(text));
}

/** Full SHA-256 of the text, base64url (for secrets such as tokens). */
export function secretHash(text: string): Promise<string> {
  return Promise.resolve(createHash("sha256").update(text, "utf8").digest("base64url"));
}

/** Recent key hashes: the same feeds and episodes come back on every request. */
const memo = new Map<string, Promise<string>>();
const MEMO_MAX = 50_000;

function memoHash(text: string): Promise<string> {
  let h = memo.get(text);
  if (h === undefined) {
    if (memo.size >= MEMO_MAX) memo.delete(memo.keys().next().value!);
    h = shortHash(text);
    memo.set(text, h);
  }
  return h;
}

/** Key hash of a feed, from its canonical feed id. */
export function feedHash(feed: string): Promise<string> {
  return memoHash(`feed:${feed}`);
}

/** Key hash of an episode, from its canonical item id. */
export function itemHash(item: string): Promise<string> {
  return memoHash(`item:${item}`);
}
