/**
 * The feed/item id codec of SPEC §1: base64 of the feed URL, and of `"<guid>,<enclosure>"`.
 * Accepts the standard and URL-safe alphabets, padded or not; always emits the canonical
 * form (URL-safe, unpadded). Pure: no I/O.
 */
import { ValidationError } from "./errors.ts";

/** Longest decoded feed URL, in bytes (SPEC §1). */
export const MAX_FEED_URL_BYTES = 2048;
/** Longest accepted encoded item id (guid + enclosure URL), in characters. */
export const MAX_ITEM_ID_CHARS = 8192;

export interface DecodedFeed {
  /** Canonical feed id. */
  readonly feed: string;
  readonly feedUrl: string;
}

export interface DecodedItem {
  /** Canonical item id. */
  readonly item: string;
  readonly guid: string;
  readonly enclosureUrl: string;
}

const encoder = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function bytesToBase64url(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Decodes either base64 alphabet, padded or not; null when it is not base64. */
function base64ToBytes(text: string): Uint8Array | null {
  if (text.length === 0 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return null;
  if (/[+/]/.test(text) && /[-_]/.test(text)) return null; // mixed alphabets
  const body = text.replace(/=+$/, "");
  if (body.length % 4 === 1) return null;
  if (text.length !== body.length && text.length % 4 !== 0) return null; // bad padding
  const std = body.replace(/-/g, "+").replace(/_/g, "/");
  try {
    const bin = atob(std + "=".repeat((4 - (std.length % 4)) % 4));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

function decodeText(id: string): string | null {
  const bytes = base64ToBytes(id);
  if (!bytes) return null;
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

/** True when `text` is an absolute http(s) URL without whitespace or control characters. */
export function isHttpUrl(text: string): boolean {
  // deno-lint-ignore no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(text)) return false;
  if (!/^https?:\/\//i.test(text)) return false;
  try {
    const u = new URL(text);
    return (u.protocol === "http:" || u.protocol === "https:") && u.hostname.length > 0;
  } catch {
    return false;
  }
}

/** Canonical id for a feed URL. */
export function encodeFeedId(feedUrl: string): string {
  return bytesToBase64url(encoder.encode(feedUrl));
}

/** Canonical id for an episode. */
export function encodeItemId(guid: string, enclosureUrl: string): string {
  return bytesToBase64url(encoder.encode(`${guid},${enclosureUrl}`));
}

/**
 * Decodes and validates a feed id.
 * @throws {ValidationError} `invalid_feed_id` when it is not base64 of an http(s) URL ≤ 2 KiB.
 */
export function decodeFeedId(id: unknown): DecodedFeed {
  const fail = (why: string) =>
    new ValidationError("invalid_feed_id", `Invalid feed id: ${why}.`, { rss_source_feed: why });
  if (typeof id !== "string" || id.length === 0) throw fail("expected a non-empty string");
  if (id.length > Math.ceil((MAX_FEED_URL_BYTES * 4) / 3) + 4) throw fail("too long");
  const url = decodeText(id);
  if (url === null) throw fail("not base64 of UTF-8 text");
  if (encoder.encode(url).length > MAX_FEED_URL_BYTES) throw fail("URL longer than 2048 bytes");
  if (!isHttpUrl(url)) throw fail("does not decode to an absolute http(s) URL");
  return { feed: encodeFeedId(url), feedUrl: url };
}

/**
 * Decodes and validates an item id, splitting at the last `,http://` or `,https://`.
 * @throws {ValidationError} `invalid_item_id` when it has no guid or no http(s) enclosure.
 */
export function decodeItemId(id: unknown): DecodedItem {
  const fail = (why: string) =>
    new ValidationError("invalid_item_id", `Invalid item id: ${why}.`, { rss_source_item: why });
  if (typeof id !== "string" || id.length === 0) throw fail("expected a non-empty string");
  if (id.length > MAX_ITEM_ID_CHARS) throw fail("too long");
  const text = decodeText(id);
  if (text === null) throw fail("not base64 of UTF-8 text");
  const cut = Math.max(text.lastIndexOf(",http://"), text.lastIndexOf(",https://"));
  if (cut <= 0) throw fail('expected "<guid>,<enclosure url>"');
  const guid = text.slice(0, cut);
  const enclosureUrl = text.slice(cut + 1);
  if (!isHttpUrl(enclosureUrl)) throw fail("enclosure is not an absolute http(s) URL");
  return { item: encodeItemId(guid, enclosureUrl), guid, enclosureUrl };
}
