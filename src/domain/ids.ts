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

const URL_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * True when `id` is already the canonical spelling of the bytes it decodes to (URL-safe,
 * unpadded, unused bits zero), so re-encoding them would give it back.
 */
function isCanonical(id: string): boolean {
  if (!/^[A-Za-z0-9_-]+$/.test(id)) return false;
  const tail = id.length % 4;
  if (tail === 0) return true;
  if (tail === 1) return false;
  const last = URL_SAFE.indexOf(id[id.length - 1]);
  return (last & (tail === 2 ? 0x0f : 0x03)) === 0;
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
 * A bounded memo of decoded ids: the same feeds and episodes come back on every sync and
 * every answer, and decoding (base64, UTF-8, URL parsing, re-encoding) is most of what a
 * re-sync costs. Only valid ids are kept (a refusal is cheap to repeat and hostile input
 * must not fill it); the oldest entry goes first when it is full.
 */
class DecodeMemo<T> {
  readonly #max: number;
  readonly #entries = new Map<string, T>();
  constructor(max: number) {
    this.#max = max;
  }
  get(id: string): T | undefined {
    return this.#entries.get(id);
  }
  set(id: string, value: T): T {
    if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(id, value);
    return value;
  }
}

/** Entries of each memo: about 1,000 bytes each at most (a long URL), so ≈ 20 MB in all. */
export const ID_MEMO_SIZE = 16_384;
const feeds = new DecodeMemo<DecodedFeed>(ID_MEMO_SIZE);
const items = new DecodeMemo<DecodedItem>(ID_MEMO_SIZE);

/**
 * Decodes and validates a feed id (memoised: a valid id seen recently costs a lookup).
 * @throws {ValidationError} `invalid_feed_id` when it is not base64 of an http(s) URL ≤ 2 KiB.
 */
export function decodeFeedId(id: unknown): DecodedFeed {
  if (typeof id === "string") {
    const hit = feeds.get(id);
    if (hit !== undefined) return hit;
  }
  return feeds.set(id as string, decodeFeedIdNow(id));
}

function decodeFeedIdNow(id: unknown): DecodedFeed {
  const fail = (why: string) =>
    new ValidationError("invalid_feed_id", `Invalid feed id: ${why}.`, { rss_source_feed: why });
  if (typeof id !== "string" || id.length === 0) throw fail("expected a non-empty string");
  if (id.length > Math.ceil((MAX_FEED_URL_BYTES * 4) / 3) + 4) throw fail("too long");
  const url = decodeText(id);
  if (url === null) throw fail("not base64 of UTF-8 text");
  if (encoder.encode(url).length > MAX_FEED_URL_BYTES) throw fail("URL longer than 2048 bytes");
  if (!isHttpUrl(url)) throw fail("does not decode to an absolute http(s) URL");
  return Object.freeze({ feed: isCanonical(id) ? id : encodeFeedId(url), feedUrl: url });
}

/**
 * Decodes and validates an item id, splitting at the last `,http://` or `,https://`
 * (memoised like {@linkcode decodeFeedId}).
 * @throws {ValidationError} `invalid_item_id` when it has no guid or no http(s) enclosure.
 */
export function decodeItemId(id: unknown): DecodedItem {
  if (typeof id === "string") {
    const hit = items.get(id);
    if (hit !== undefined) return hit;
  }
  return items.set(id as string, decodeItemIdNow(id));
}

function decodeItemIdNow(id: unknown): DecodedItem {
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
  const item = isCanonical(id) ? id : encodeItemId(guid, enclosureUrl);
  return Object.freeze({ item, guid, enclosureUrl });
}

/**
 * The decoded values of a feed id the server already holds (canonical, validated when it
 * came in), for answers: a memo hit, else only the base64 decoding — no validation. Never
 * call it with a client's id: use {@linkcode decodeFeedId}.
 */
export function knownFeed(feed: string): DecodedFeed {
  const hit = feeds.get(feed);
  if (hit !== undefined) return hit;
  const url = decodeText(feed);
  return url === null ? decodeFeedId(feed) : { feed, feedUrl: url };
}

/** The decoded values of an item id the server already holds (see {@linkcode knownFeed}). */
export function knownItem(item: string): DecodedItem {
  const hit = items.get(item);
  if (hit !== undefined) return hit;
  const text = decodeText(item);
  const cut = text === null
    ? -1
    : Math.max(text.lastIndexOf(",http://"), text.lastIndexOf(",https://"));
  if (text === null || cut <= 0) return decodeItemId(item);
  return { item, guid: text.slice(0, cut), enclosureUrl: text.slice(cut + 1) };
}
