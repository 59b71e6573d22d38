/**
 * Delta sync on the store (SPEC §4.1): sync tokens bound to their user, what changed after
 * a token (read from the event stream by seq), and whole-state pages of play statuses.
 *
 * Why the event stream and not the time indexes: `play_by_time` is ordered by the client's
 * `updated_at` (an offline device uploads late with old dates) and `sub_by_time` by the
 * appending process's clock (ties and skew between processes); only the seq says exactly
 * what a client has not seen. Reading the events after a token costs what changed since,
 * never the size of the state.
 */
import { ValidationError } from "../domain/errors.ts";
import type { StoredEvent } from "../domain/events.ts";
import { RETENTION_MS } from "../domain/history.ts";
import { ChangeCollector } from "../domain/sync.ts";
import { base64url, feedHash, itemHash, shortHash } from "./hash.ts";
import * as keys from "./keys.ts";
import type { PlayRecord, SubscriptionRecord } from "./read_models.ts";

/** Play statuses in one whole-state or delta answer at most. */
export const SYNC_PAGE_SIZE = 5_000;

/** A client's position in a user's stream. */
export interface SyncPoint {
  /** The seq of the last event the client has been answered. */
  readonly seq: number;
  /** When the server gave the token (ms): past the 45-day window it cannot be answered. */
  readonly at: number;
}

/** What a page token continues: a whole-state listing or a delta too big for one answer. */
export type PagePoint =
  | SyncPoint & { readonly kind: "full"; readonly afterHash: string }
  | SyncPoint & { readonly kind: "delta" };

interface TokenJson {
  v: 1;
  /** s: sync token; p: whole-state page; d: delta page. */
  k: "s" | "p" | "d";
  /** Whose it is (a hash of the user id). */
  u: string;
  s: number;
  t: number;
  /** Whole-state pages: the item hash of the last play status answered. */
  a?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
const MAX_TOKEN_CHARS = 300;
const HASH = /^[A-Za-z0-9_-]{22}$/;
/** How far in the future a token's time may be (clocks of several processes differ). */
const CLOCK_SLACK_MS = 86_400_000;

function userTag(userId: string): Promise<string> {
  return shortHash(`sync-token:${userId}`);
}

async function encode(userId: string, body: Omit<TokenJson, "v" | "u">): Promise<string> {
  const json: TokenJson = { v: 1, u: await userTag(userId), ...body };
  return base64url(encoder.encode(JSON.stringify(json)));
}

/**
 * Reads a token of this user, or throws `code` (400): garbled, forged, another user's or
 * from the future. The token holds nothing secret: it only names a position in the user's
 * own stream, and the tag makes another user's token a clear error.
 */
async function decode(
  userId: string,
  text: unknown,
  kinds: readonly TokenJson["k"][],
  options: { code: string; field: string; now: number },
): Promise<TokenJson> {
  const bad = (why: string) =>
    new ValidationError(options.code, `Invalid ${options.field}: ${why}.`, {
      [options.field]: why,
    });
  if (typeof text !== "string" || text.length === 0) throw bad("expected a non-empty string");
  if (text.length > MAX_TOKEN_CHARS || !/^[A-Za-z0-9_-]+$/.test(text)) throw bad("not a token");
  let json: TokenJson;
  try {
    const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    json = JSON.parse(decoder.decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
  } catch {
    throw bad("not a token");
  }
  const ok = json !== null && typeof json === "object" && json.v === 1 &&
    kinds.includes(json.k) && typeof json.u === "string" &&
    Number.isSafeInteger(json.s) && json.s >= 0 &&
    Number.isSafeInteger(json.t) && json.t >= 0 &&
    (json.k !== "p" || (typeof json.a === "string" && HASH.test(json.a)));
  if (!ok) throw bad("not a token");
  if (json.u !== await userTag(userId)) throw bad("it belongs to another account");
  if (json.t > options.now + CLOCK_SLACK_MS) throw bad("it is from the future");
  return json;
}

/** A sync token for this user at `point`. */
export function syncToken(userId: string, point: SyncPoint): Promise<string> {
  return encode(userId, { k: "s", s: point.seq, t: point.at });
}

/**
 * Reads a client's `since`.
 * @throws {ValidationError} 400 `invalid_sync_token` for a garbled, forged or another
 * user's token.
 */
export async function readSyncToken(
  userId: string,
  text: unknown,
  options: { now: number; field?: string },
): Promise<SyncPoint> {
  const json = await decode(userId, text, ["s"], {
    code: "invalid_sync_token",
    field: options.field ?? "since",
    now: options.now,
  });
  return { seq: json.s, at: json.t };
}

/** A `next_page` token. */
export function pageToken(userId: string, page: PagePoint): Promise<string> {
  return page.kind === "full"
    ? encode(userId, { k: "p", s: page.seq, t: page.at, a: page.afterHash })
    : encode(userId, { k: "d", s: page.seq, t: page.at });
}

/**
 * Reads a client's `page`.
 * @throws {ValidationError} 400 `invalid_page` for a garbled, forged or another user's token.
 */
export async function readPageToken(
  userId: string,
  text: unknown,
  options: { now: number },
): Promise<PagePoint> {
  const json = await decode(userId, text, ["p", "d"], {
    code: "invalid_page",
    field: "page",
    now: options.now,
  });
  return json.k === "p"
    ? { kind: "full", seq: json.s, at: json.t, afterHash: json.a! }
    : { kind: "delta", seq: json.s, at: json.t };
}

/** What changed after a token, as far as one answer goes. */
export interface Changes {
  /** False: the server cannot say (too old, erased, missing events): answer everything. */
  readonly answerable: boolean;
  readonly feeds: ReadonlySet<string>;
  readonly items: ReadonlySet<string>;
  readonly playlists: ReadonlySet<string>;
  /** The seq this answer covers up to (the next token's). */
  readonly upTo: number;
  /** True when events after `upTo` wait for the next answer (more than a page changed). */
  readonly more: boolean;
}

const UNANSWERABLE: Changes = {
  answerable: false,
  feeds: new Set(),
  items: new Set(),
  playlists: new Set(),
  upTo: 0,
  more: false,
};

/**
 * What changed in a user's stream after `since` up to seq `to` (the state being answered),
 * stopping once `maxItems` play statuses are touched. Unanswerable when the token is older
 * than the 45-day window, ahead of `to`, or when the events after it hold an erasure or a
 * gap.
 */
export async function readChanges(
  kv: Deno.Kv,
  userId: string,
  since: SyncPoint,
  options: { to: number; now: number; maxItems?: number },
): Promise<Changes> {
  if (options.now - since.at > RETENTION_MS || since.seq > options.to) return UNANSWERABLE;
  const changes = new ChangeCollector(since.seq);
  const max = options.maxItems ?? SYNC_PAGE_SIZE;
  let more = false;
  if (since.seq < options.to) {
    const list = kv.list<StoredEvent>({
      start: keys.eventKey(userId, since.seq + 1),
      end: keys.eventKey(userId, options.to + 1),
    }, { batchSize: 500 });
    for await (const e of list) {
      if (changes.items.size >= max) {
        more = true;
        break;
      }
      if (!changes.add(e.value)) return UNANSWERABLE;
    }
    if (!more && changes.upTo !== options.to) return UNANSWERABLE; // events missing at the end
  }
  return {
    answerable: true,
    feeds: changes.feeds,
    items: changes.items,
    playlists: changes.playlists,
    upTo: changes.upTo,
    more,
  };
}

/**
 * One page of a user's play statuses in item-hash order, after `afterHash` ("" = from the
 * start), with the hash to continue from when more follow.
 */
export async function playPage(
  kv: Deno.Kv,
  userId: string,
  afterHash: string,
  limit = SYNC_PAGE_SIZE,
): Promise<{ plays: PlayRecord[]; nextHash: string | null }> {
  const prefix = keys.playPrefix(userId);
  const plays: PlayRecord[] = [];
  let last = "";
  let more = false;
  const list = kv.list<PlayRecord>(
    afterHash === "" ? { prefix } : { prefix, start: keys.playKey(userId, afterHash) },
    { limit: limit + 2, batchSize: 1_000 },
  );
  for await (const e of list) {
    if (e.key[2] === afterHash) continue;
    if (plays.length === limit) {
      more = true;
      break;
    }
    plays.push(e.value);
    last = e.key[2] as string;
  }
  return { plays, nextHash: more ? last : null };
}

/** The stored subscriptions of these feeds (absent ones left out), in the given order. */
export async function subscriptionsOf(
  kv: Deno.Kv,
  userId: string,
  feeds: Iterable<string>,
): Promise<SubscriptionRecord[]> {
  const hashes = await Promise.all([...feeds].map(feedHash));
  return await getAll<SubscriptionRecord>(kv, hashes.map((h) => keys.subKey(userId, h)));
}

/** The stored play statuses of these episodes (absent ones left out), in the given order. */
export async function playsOf(
  kv: Deno.Kv,
  userId: string,
  items: Iterable<string>,
): Promise<PlayRecord[]> {
  const hashes = await Promise.all([...items].map(itemHash));
  return await getAll<PlayRecord>(kv, hashes.map((h) => keys.playKey(userId, h)));
}

/** `getMany` in chunks of 10 (KV's limit), in parallel. */
async function getAll<T>(kv: Deno.Kv, ks: Deno.KvKey[]): Promise<T[]> {
  const chunks: Deno.KvKey[][] = [];
  for (let i = 0; i < ks.length; i += 10) chunks.push(ks.slice(i, i + 10));
  const read = await Promise.all(chunks.map((c) => kv.getMany<T[]>(c)));
  return read.flat().filter((e) => e.value !== null).map((e) => e.value as T);
}
