/**
 * The 45-day lifecycle (SPEC §7.1–7.2). The checkpoint job takes the users the due index
 * names (`["due", day, user]`, written by append commits) and writes, for each, a
 * checkpoint of their state as of their newest event older than 45 days, leaving out what
 * was unsubscribed or deleted before then. The cleanup job then deletes the events that
 * checkpoint covers and that every projection has passed, takes back their public traces,
 * and drops the pruned read models. Both are safe to run twice and in two processes at
 * once: checkpoint heads are written with a check, deletions are idempotent, and nothing
 * here touches what an append writes.
 */
import { isoAt } from "../clock.ts";
import type { Clock } from "../clock.ts";
import type { StoredEvent } from "../domain/events.ts";
import { dayOf, pruneTombstones, RETENTION_MS } from "../domain/history.ts";
import { EMPTY_STATE, StateBuilder, type UserState } from "../domain/state.ts";
import type { Logger } from "../logger.ts";
import type { ProjectionRunner } from "../projections/runner.ts";
import { checkpointHead, readCheckpoint, writeCheckpoint } from "../store/checkpoints.ts";
import type { EventStore } from "../store/event_store.ts";
import * as keys from "../store/keys.ts";
import type {
  PlaylistItemRecord,
  PlaylistRecord,
  SubscriptionRecord,
} from "../store/read_models.ts";

/** What the jobs need. */
export interface RetentionDeps {
  readonly kv: Deno.Kv;
  readonly store: EventStore;
  readonly projector: ProjectionRunner;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** What one run did. */
export interface RetentionResult {
  users: number;
  checkpoints: number;
  events_deleted: number;
  duration_ms: number;
}

const PAGE = 1_000;

function recordedMs(e: StoredEvent): number {
  return Date.parse(e.recorded_at ?? e.ts);
}

/** The latest checkpoint's state (re-read while it is being replaced) and its entry. */
async function latestCheckpoint(kv: Deno.Kv, userId: string) {
  for (let attempt = 0; attempt < 8; attempt++) {
    const head = await checkpointHead(kv, userId);
    if (!head.value) return { head, state: EMPTY_STATE };
    const state = await readCheckpoint(kv, userId, head.value);
    if (state) return { head, state };
  }
  throw new Error(`Could not read the checkpoint of ${userId}.`);
}

/**
 * Checkpoints one user as of their newest event older than `cutoff` (ms). Returns
 * whether it wrote one (false when nothing is old enough, or another writer won).
 */
export async function checkpointUser(
  deps: RetentionDeps,
  userId: string,
  cutoff: number,
): Promise<boolean> {
  const { kv, store, clock } = deps;
  const { head, state: base } = await latestCheckpoint(kv, userId);
  const builder = new StateBuilder(base);
  let last = base.seq;
  // The events older than the cutoff, oldest first, in pages (flat memory).
  for (let done = false; !done;) {
    const page = await store.readEvents(userId, last, PAGE);
    for (const e of page) {
      if (recordedMs(e) >= cutoff) {
        done = true;
        break;
      }
      builder.apply(e);
      last = e.seq;
    }
    if (page.length < PAGE) done = true;
  }
  if (last === base.seq) return false;
  const { state } = pruneTombstones(builder.build(), cutoff);
  return await writeCheckpoint(kv, userId, state, {
    expected: head,
    now: isoAt(clock.now()),
    reason: "age",
  });
}

/** Deletes keys in commits of up to `size` deletions. */
async function deleteKeys(kv: Deno.Kv, list: AsyncIterable<Deno.KvKey>, size = 500) {
  let op = kv.atomic();
  let n = 0;
  for await (const key of list) {
    op.delete(key);
    if (++n % size === 0) {
      await op.commit();
      op = kv.atomic();
    }
  }
  if (n % size !== 0) await op.commit();
  return n;
}

/** The lowest cursor of every projection for a user: events after it are still needed. */
export async function projectedUpTo(
  kv: Deno.Kv,
  projector: ProjectionRunner,
  userId: string,
): Promise<number> {
  const cursors = await kv.getMany<number[]>(
    projector.projections.map((p) => keys.cursorKey(p.name, userId)),
  );
  return Math.min(...cursors.map((c) => c.value ?? 0));
}

/**
 * Cleans one user: deletes the events older than `cutoff` that the checkpoint covers and
 * every projection has passed, takes back their public traces, and deletes the read
 * models of what the checkpoint pruned. `complete` is false when a projection has not
 * passed the covered events yet (the cleanup then comes back for the rest).
 */
export async function cleanupUser(
  deps: RetentionDeps,
  userId: string,
  cutoff: number,
): Promise<{ deleted: number; complete: boolean }> {
  const { kv, store, projector } = deps;
  const head = await checkpointHead(kv, userId);
  if (!head.value) return { deleted: 0, complete: true };
  // A cleanup that runs later than its checkpoint (a projection was behind) goes no
  // further than the checkpoint covers: its events, traces and tombstones stay.
  const [after] = await store.readEvents(userId, head.value.seq, 1);
  const upTo = after ? Math.min(cutoff, recordedMs(after)) : cutoff;
  const projected = await projectedUpTo(kv, projector, userId);
  const bound = Math.min(head.value.seq, projected);
  const kvList = kv.list<StoredEvent>(
    { prefix: keys.eventPrefix(userId), end: keys.eventKey(userId, bound + 1) },
    { batchSize: PAGE },
  );
  const deleted = await deleteKeys(
    kv,
    (async function* () {
      for await (const e of kvList) {
        if (recordedMs(e.value) >= upTo) return;
        yield e.key;
      }
    })(),
  );
  if (projected < head.value.seq) return { deleted, complete: false };
  await projector.forget(userId, { kind: "before", before: upTo });
  await pruneReadModels(deps, userId, upTo);
  return { deleted, complete: true };
}

/**
 * Deletes the read models of subscriptions unsubscribed, playlists deleted and playlist
 * episodes removed before `cutoff` that the user's state (checkpoint + events) no longer
 * has — each with a check, so one rewritten meanwhile stays.
 */
async function pruneReadModels(
  deps: RetentionDeps,
  userId: string,
  cutoff: number,
): Promise<void> {
  const { kv } = deps;
  const old = (at: string | undefined | null) => at != null && Date.parse(at) < cutoff;
  const doomed: Deno.KvEntry<unknown>[] = [];
  for await (const e of kv.list<SubscriptionRecord>({ prefix: keys.subPrefix(userId) })) {
    const s = e.value;
    const inactive = s.unsubscribed_at !== undefined &&
      Date.parse(s.unsubscribed_at) >= Date.parse(s.subscribed_at);
    if (inactive && old(s.unsubscribed_at)) doomed.push(e);
  }
  for await (const e of kv.list<PlaylistRecord>({ prefix: keys.playlistPrefix(userId) })) {
    if (!old(e.value.deleted_at)) {
      const prefix = keys.playlistItemPrefix(userId, e.value.id);
      for await (const it of kv.list<PlaylistItemRecord>({ prefix })) {
        const v = it.value;
        const removed = v.removed_at !== undefined &&
          Date.parse(v.removed_at) >= Date.parse(v.added_at);
        if (removed && old(v.removed_at)) doomed.push(it);
      }
      continue;
    }
    doomed.push(e);
    for await (const it of kv.list({ prefix: keys.playlistItemPrefix(userId, e.value.id) })) {
      doomed.push(it);
    }
  }
  if (doomed.length === 0) return;
  // Read after the listing: a tombstone made again since then fails its check below; one
  // the state still holds (an event after the checkpoint made it, with a client's old
  // date) stays.
  const state = await deps.store.load(userId);
  const held = (e: Deno.KvEntry<unknown>) => {
    const [name, , a, b] = e.key as [string, string, string, string?];
    const v = e.value as { feed?: string; item?: string };
    if (name === "sub") return state.subscriptions.has(v.feed!);
    if (name === "pl") return state.playlists.has(a);
    const pl = state.playlists.get(a);
    return b !== undefined && pl !== undefined && pl.items.has(v.item!);
  };
  const gone = doomed.filter((e) => !held(e));
  for (let i = 0; i < gone.length; i += 8) {
    const chunk = gone.slice(i, i + 8);
    const op = kv.atomic();
    for (const e of chunk) op.check(e).delete(e.key);
    if ((await op.commit()).ok) continue;
    for (const e of chunk) await kv.atomic().check(e).delete(e.key).commit();
  }
}

/** Users due at `day` or before, at most `limit`, with their due days. */
async function dueUsers(kv: Deno.Kv, day: number, limit: number) {
  const users = new Map<string, number[]>();
  const prefix = keys.duePrefix();
  for await (const e of kv.list<number>({ prefix, end: [...prefix, day + 1] })) {
    const [, d, userId] = e.key as [string, number, string];
    if (!users.has(userId) && users.size >= limit) break;
    users.set(userId, [...(users.get(userId) ?? []), d]);
  }
  return users;
}

/**
 * The checkpoint job: checkpoints up to `limit` due users, marks them for the cleanup and
 * clears their due entries.
 */
export async function runCheckpoints(
  deps: RetentionDeps,
  options: { now?: number; limit?: number } = {},
): Promise<RetentionResult> {
  const started = performance.now();
  const { kv } = deps;
  const now = options.now ?? deps.clock.now();
  const cutoff = now - RETENTION_MS;
  const result: RetentionResult = { users: 0, checkpoints: 0, events_deleted: 0, duration_ms: 0 };
  for (const [userId, days] of await dueUsers(kv, dayOf(now), options.limit ?? 500)) {
    try {
      if (await checkpointUser(deps, userId, cutoff)) result.checkpoints++;
      const op = kv.atomic().set(keys.cleanupDueKey(userId), { at: now });
      for (const d of days) op.delete(keys.dueKey(d, userId)).delete(keys.dueByUserKey(userId, d));
      await op.commit();
      result.users++;
    } catch (err) {
      deps.logger.error("checkpoint failed", { error: String(err) });
    }
  }
  result.duration_ms = Math.round(performance.now() - started);
  return result;
}

/** The cleanup job: cleans up to `limit` users the checkpoint job marked. */
export async function runCleanup(
  deps: RetentionDeps,
  options: { now?: number; limit?: number } = {},
): Promise<RetentionResult> {
  const started = performance.now();
  const { kv } = deps;
  const now = options.now ?? deps.clock.now();
  const cutoff = now - RETENTION_MS;
  const result: RetentionResult = { users: 0, checkpoints: 0, events_deleted: 0, duration_ms: 0 };
  const list = kv.list({ prefix: keys.cleanupDuePrefix() }, { limit: options.limit ?? 500 });
  for await (const e of list) {
    const userId = e.key[1] as string;
    try {
      const r = await cleanupUser(deps, userId, cutoff);
      result.events_deleted += r.deleted;
      if (r.complete) await kv.atomic().check(e).delete(e.key).commit();
      result.users++;
    } catch (err) {
      deps.logger.error("cleanup failed", { error: String(err) });
    }
  }
  result.duration_ms = Math.round(performance.now() - started);
  return result;
}

/** For tests: the state a user's checkpoint holds, or null. */
export async function checkpointState(kv: Deno.Kv, userId: string): Promise<UserState | null> {
  const { head, state } = await latestCheckpoint(kv, userId);
  return head.value ? state : null;
}
