/**
 * `since` on the polling reads (`GET /subscriptions`, `GET /play`): what changed after a
 * sync token, read like a delta sync (the event stream by seq, see sync_changes.ts) and
 * answered from the read models, in the GET endpoints' shapes.
 */
import { ValidationError } from "../domain/errors.ts";
import type { EventStore } from "./event_store.ts";
import {
  describePlays,
  describeSubscriptions,
  listPlays,
  listSubscriptions,
  type PlayQuery,
} from "./queries.ts";
import {
  playsOf,
  readChanges,
  readSyncToken,
  subscriptionsOf,
  type SyncPoint,
  syncToken,
} from "./sync_changes.ts";

/** What the polling reads need. */
export interface DeltaDeps {
  readonly kv: Deno.Kv;
  readonly store: EventStore;
}

/** The point a read starting now answers from: the stream head, read before the data. */
export async function headPoint(deps: DeltaDeps, userId: string, now: number): Promise<SyncPoint> {
  return { seq: (await deps.store.head(userId)).seq, at: now };
}

/**
 * Subscriptions changed after `since` — unsubscriptions included — newest subscription
 * first; or, when the token cannot be answered from, every subscription (unsubscribed
 * ones too) with `full: true`.
 */
export async function subscriptionsSince(
  deps: DeltaDeps,
  userId: string,
  since: SyncPoint,
  now: number,
) {
  const head = await headPoint(deps, userId, now);
  const changes = await readChanges(deps.kv, userId, since, {
    to: head.seq,
    now,
    maxItems: Infinity,
  });
  const subscriptions = changes.answerable
    ? (await describeSubscriptions(deps.kv, await subscriptionsOf(deps.kv, userId, changes.feeds)))
      .sort((a, b) => Date.parse(b.subscribed_at) - Date.parse(a.subscribed_at))
    : await listSubscriptions(deps.kv, userId, { includeAll: true });
  return { subscriptions, sync_token: await syncToken(userId, head), full: !changes.answerable };
}

/**
 * Play statuses changed after the client's `since` — or after `query.cursor`, the
 * `next_cursor` of the answer before (a sync token too) — at most `query.limit` of them,
 * newest `updated_at` first, filtered like the listing; `next_cursor` when more changed.
 * When the token cannot be answered from: the listing's pages (`query.cursor` is then the
 * listing's cursor) with `full: true`.
 * @throws {ValidationError} 400 `invalid_sync_token`, or `invalid_cursor` for a cursor
 * that is neither.
 */
export async function playsSince(
  deps: DeltaDeps,
  userId: string,
  since: SyncPoint,
  options: { now: number; query: PlayQuery },
) {
  const { now, query } = options;
  let from = since;
  let listCursor: string | undefined;
  if (query.cursor !== undefined) {
    try {
      from = await readSyncToken(userId, query.cursor, { now, field: "cursor" });
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      listCursor = query.cursor; // a cursor of the whole listing (after full: true)
    }
  }
  const head = await headPoint(deps, userId, now);
  const changes = await readChanges(deps.kv, userId, listCursor ? since : from, {
    to: head.seq,
    now,
    maxItems: query.limit,
  });
  if (!changes.answerable) {
    const page = await listPlays(deps.kv, userId, { ...query, cursor: listCursor });
    return {
      ...page,
      // The token of the listing is the first page's: later pages leave it out.
      ...(listCursor === undefined ? { sync_token: await syncToken(userId, head) } : {}),
      full: true,
    };
  }
  if (listCursor !== undefined) {
    throw new ValidationError("invalid_cursor", "This cursor is invalid for this query.");
  }
  const records = (await playsOf(deps.kv, userId, changes.items))
    .filter((p) => query.played === undefined || p.played === query.played)
    .filter((p) => query.feed === undefined || p.feed === query.feed)
    .sort((a, b) => Date.parse(b.updated_at) - Date.parse(a.updated_at));
  // Events after a partial answer may be as old as the token it started from.
  const token = await syncToken(userId, {
    seq: changes.upTo,
    at: changes.more ? from.at : now,
  });
  return {
    play_statuses: await describePlays(deps.kv, records),
    next_cursor: changes.more ? token : null,
    sync_token: token,
    full: false,
  };
}
