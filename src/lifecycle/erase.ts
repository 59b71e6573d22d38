/**
 * Erasure (SPEC §7.3, §4.7). Erasing history: the user's actor appends `events_removed`
 * (its commit leaves an erase marker); then the erased events are deleted for real, the
 * user is re-checkpointed (so no checkpoint keeps them either), their read models and
 * public traces go. Deleting an account: the user record goes at once (every way in —
 * sessions, app tokens, user tokens, app passwords, the gateway — needs it), then every
 * key naming the user or one of their hashes is deleted and the username freed. Both run
 * from their marker and can resume after a crash: every step is idempotent.
 */
import { authChangedMutation, forgetAuth } from "../auth/auth_cache.ts";
import { Background } from "../background.ts";
import { isoAt } from "../clock.ts";
import type { Clock } from "../clock.ts";
import { episodeIn, type HistoryScope, isHistoryIn } from "../domain/history.ts";
import { EMPTY_STATE, evolveAll, type UserState } from "../domain/state.ts";
import type { StoredEvent } from "../domain/events.ts";
import type { Logger } from "../logger.ts";
import type { PopRecord } from "../projections/popularity_roll.ts";
import type { ProjectionRunner } from "../projections/runner.ts";
import { checkpointHead, readCheckpoint, writeCheckpoint } from "../store/checkpoints.ts";
import type { ErasureMarker, EventStore } from "../store/event_store.ts";
import { feedHash, itemHash, shortHash } from "../store/hash.ts";
import * as keys from "../store/keys.ts";
import type { PlayRecord, SavedRecord, SubscriptionRecord } from "../store/read_models.ts";

/** What erasure needs. */
export interface EraseDeps {
  readonly kv: Deno.Kv;
  readonly store: EventStore;
  readonly projector: ProjectionRunner;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Deletes every key of a listing in commits of 500; returns how many. */
async function deleteAll(
  kv: Deno.Kv,
  selector: Deno.KvListSelector,
  keep?: (e: Deno.KvEntry<unknown>) => boolean,
): Promise<number> {
  let op = kv.atomic();
  let n = 0;
  for await (const e of kv.list(selector, { batchSize: 500 })) {
    if (keep?.(e)) continue;
    op.delete(e.key);
    if (++n % 500 === 0) {
      await op.commit();
      op = kv.atomic();
    }
  }
  if (n % 500 !== 0) await op.commit();
  return n;
}

/** Deletes an exact key and everything under it. */
async function deletePrefix(kv: Deno.Kv, prefix: Deno.KvKey): Promise<number> {
  await kv.delete(prefix);
  return await deleteAll(kv, { prefix });
}

/**
 * Makes sure the user's checkpoint is at `seq` or later, computed while every event up to
 * `seq` is still there (so it keeps what the erasure does not touch, such as the
 * subscription of an erased feed).
 */
async function checkpointAt(deps: EraseDeps, userId: string, seq: number): Promise<UserState> {
  const { kv, store, clock } = deps;
  for (let attempt = 0; attempt < 8; attempt++) {
    const head = await checkpointHead(kv, userId);
    const base = head.value ? await readCheckpoint(kv, userId, head.value) : EMPTY_STATE;
    if (!base) continue;
    if (base.seq >= seq) return base;
    const events = await store.readEvents(userId, base.seq);
    const upTo = events.filter((e) => e.seq <= seq);
    const state = evolveAll(base, upTo);
    if (state.seq !== seq) throw new Error(`erasure of ${userId}: events up to ${seq} missing`);
    const ok = await writeCheckpoint(kv, userId, state, {
      expected: head,
      now: isoAt(clock.now()),
      reason: "erasure",
    });
    if (ok) return state;
  }
  throw new Error(`erasure of ${userId}: the checkpoint kept moving`);
}

/**
 * Finishes a history erasure whose `events_removed` is at `seq`: re-checkpoint, delete the
 * erased events before it, drop the erased read models and public traces, clear the
 * marker. Returns the number of events deleted.
 */
export async function completeHistoryErasure(
  deps: EraseDeps,
  userId: string,
  marker: Extract<ErasureMarker, { kind: "history" }>,
): Promise<number> {
  const { kv, projector } = deps;
  const scope: HistoryScope = { scope: marker.scope, feed: marker.feed, item: marker.item };
  await checkpointAt(deps, userId, marker.seq);
  const deleted = await deleteAll(
    kv,
    { prefix: keys.eventPrefix(userId), end: keys.eventKey(userId, marker.seq) },
    (e) => !isHistoryIn(e.value as StoredEvent, scope),
  );
  await dropReadModels(deps, userId, scope);
  await projector.forget(userId, { kind: "history", history: scope });
  await kv.delete(keys.eraseKey(userId, marker.seq));
  return deleted;
}

/**
 * Deletes the read models of plays, saves and old subscriptions in scope that the user's
 * state no longer has — read after listing them, so what was played again since the
 * erasure stays; each deletion checked, so one rewritten meanwhile stays too.
 */
async function dropReadModels(
  deps: EraseDeps,
  userId: string,
  scope: HistoryScope,
): Promise<void> {
  const { kv } = deps;
  const listed: {
    entry: Deno.KvEntry<unknown>;
    held: (s: UserState) => boolean;
    also?: Deno.KvKey;
  }[] = [];
  for await (const e of kv.list<PlayRecord>({ prefix: keys.playPrefix(userId) })) {
    const p = e.value;
    if (!episodeIn(scope, p.feed, p.item)) continue;
    const h = await itemHash(p.item);
    listed.push({
      entry: e,
      held: (s) => s.plays.has(p.item),
      also: keys.playByTimeKey(userId, Date.parse(p.updated_at), h),
    });
  }
  for await (const e of kv.list<SavedRecord>({ prefix: keys.savedPrefix(userId) })) {
    const v = e.value;
    if (!episodeIn(scope, v.feed, v.item)) continue;
    listed.push({ entry: e, held: (s) => s.saved.has(v.item) });
  }
  if (scope.scope !== "item") {
    // Unsubscribed feeds in scope are history too; a current subscription stays.
    for await (const e of kv.list<SubscriptionRecord>({ prefix: keys.subPrefix(userId) })) {
      const feed = e.value.feed;
      if (scope.scope === "feed" && feed !== scope.feed) continue;
      const changed = e.value.changed_at;
      listed.push({
        entry: e,
        held: (s) => s.subscriptions.has(feed),
        ...(changed === undefined
          ? {}
          : { also: keys.subByTimeKey(userId, changed, e.key[2] as string) }),
      });
    }
  }
  if (listed.length === 0) return;
  const state = await deps.store.load(userId);
  const doomed = listed.filter((d) => !d.held(state));
  for (let i = 0; i < doomed.length; i += 8) {
    const chunk = doomed.slice(i, i + 8);
    const commit = (list: typeof chunk) => {
      const op = kv.atomic();
      for (const d of list) {
        op.check(d.entry).delete(d.entry.key);
        if (d.also) op.delete(d.also);
      }
      return op.commit();
    };
    if ((await commit(chunk)).ok) continue;
    for (const d of chunk) await commit([d]);
  }
}

/**
 * Starts deleting an account: the user record goes at once (nothing authenticates any
 * more) and the erase marker is written in the same commit. Returns the marker, or null
 * for an unknown (or already deleted) user.
 */
export async function requestAccountDeletion(
  deps: Pick<EraseDeps, "kv" | "clock">,
  userId: string,
): Promise<Extract<ErasureMarker, { kind: "account" }> | null> {
  const { kv } = deps;
  const user = await kv.get<{ id: string; username: string }>(keys.userKey(userId));
  if (!user.value) return null;
  const marker: Extract<ErasureMarker, { kind: "account" }> = {
    kind: "account",
    username: user.value.username,
    at: isoAt(deps.clock.now()),
  };
  const res = await kv.atomic().check(user).delete(user.key)
    .set(keys.eraseKey(userId, "account"), marker).mutate(authChangedMutation()).commit();
  if (!res.ok) return null;
  forgetAuth(kv, userId); // request JWTs stop here at once, elsewhere within a second
  return marker;
}

/**
 * Erases everything of a deleted account: events, checkpoints, read models, tokens,
 * sessions, public traces and their contributions, pending gateway plays, rate-limit
 * entries, due entries; then frees the username and clears the marker.
 */
export async function eraseAccount(
  deps: EraseDeps,
  userId: string,
  marker: Extract<ErasureMarker, { kind: "account" }>,
): Promise<void> {
  const { kv, projector } = deps;
  // Events first: nothing can be projected again; then what the projections hold.
  await deletePrefix(kv, ["outbox", userId]);
  await deletePrefix(kv, keys.eventPrefix(userId));
  const played = await Array.fromAsync(
    kv.list({ prefix: keys.publicPersonPrefix(userId) }),
    (e) => ({ kind: e.key[2] as "feed" | "item", hash: e.key[3] as string }),
  );
  // Before the forget (a rerun after a crash still finds what they played) and after it
  // (a roll in between recomputed from people the forget had not yet deleted).
  await scrubRolledName(kv, played, marker.username);
  await projector.forget(userId, { kind: "account" });
  await scrubRolledName(kv, played, marker.username);
  for (const p of projector.projections) await kv.delete(keys.cursorKey(p.name, userId));
  // What is keyed by a hash or an id, found through the user's own indexes.
  for await (
    const e of kv.list<{ hash: string }>({ prefix: keys.userTokenByUserPrefix(userId) })
  ) {
    await deletePrefix(kv, keys.gatewaySeenPrefix(e.value.hash));
    await kv.delete(keys.userTokenKey(e.value.hash));
  }
  for await (const e of kv.list({ prefix: keys.sessionByUserPrefix(userId) })) {
    await kv.delete(keys.sessionKey(e.key[2] as string));
  }
  for await (const e of kv.list({ prefix: keys.gpSessionByUserPrefix(userId) })) {
    await kv.delete(keys.gpSessionKey(e.key[2] as string));
  }
  for await (const e of kv.list({ prefix: keys.dueByUserPrefix(userId) })) {
    await kv.delete(keys.dueKey(e.key[2] as number, userId));
  }
  // Login flows approved but not yet polled (they live 20 minutes at most).
  await deleteAll(
    kv,
    { prefix: keys.loginFlowPrefix() },
    (e) =>
      (e.value as { approved?: { login_name?: string } }).approved?.login_name !== marker.username,
  );
  await deleteAll(
    kv,
    { prefix: keys.gatewayPlayPrefix() },
    (e) => (e.value as { user_id?: string }).user_id !== userId,
  );
  await kv.delete(keys.rateLimitKey("login_user", await shortHash(marker.username)));
  for (const prefix of keys.userDataPrefixes(userId)) await deletePrefix(kv, prefix);
  const first = await kv.get<{ user_id: string; at: string }>(keys.firstUserKey());
  if (first.value?.user_id === userId) {
    // The instance keeps its "first user made" mark (closed registration), not the id.
    await kv.atomic().check(first).set(first.key, { user_id: null, at: first.value.at }).commit();
  }
  // Last: the name is free, and the marker says the work is done.
  const name = await kv.get<string>(keys.usernameKey(marker.username));
  const op = kv.atomic().delete(keys.eraseKey(userId, "account"));
  if (name.value === userId) op.check(name).delete(name.key);
  await op.commit();
  await deletePrefix(kv, keys.erasePrefix(userId));
}

/**
 * The rolled popularity records (and trending entries) of what a deleted user played in
 * public drop their username now rather than at the next roll. Each write checks the
 * record, so a roll that rewrote it meanwhile (from the people the forget left) wins.
 */
async function scrubRolledName(
  kv: Deno.Kv,
  played: readonly { kind: "feed" | "item"; hash: string }[],
  username: string,
): Promise<void> {
  for (const { kind, hash } of played) {
    for (let attempt = 0; attempt < 5; attempt++) {
      const total = await kv.get<PopRecord>(keys.popTotalKey(kind, hash));
      const record = total.value;
      if (!record?.plays_people.includes(username)) break;
      const next = { ...record, plays_people: record.plays_people.filter((n) => n !== username) };
      const op = kv.atomic().check(total).set(total.key, next);
      if (record.score > 0) {
        op.set(keys.trendingKey(kind, record.score, hash), next);
        if (kind === "item") {
          op.set(keys.trendingByFeedKey(await feedHash(record.feed), record.score, hash), next);
        }
      }
      if ((await op.commit()).ok) break;
    }
  }
}

/** Runs pending erasures (the cron sweep, a kick after a request, a crashed one). */
export class EraseProcessor extends Background {
  readonly kind = "erase";
  readonly #deps: EraseDeps;

  constructor(deps: EraseDeps) {
    super(deps.logger, "erase drain");
    this.#deps = deps;
  }

  /** Completes every pending erasure once. */
  async drainAll(): Promise<{ histories: number; accounts: number; failed: number }> {
    const { kv, logger } = this.#deps;
    const done = { histories: 0, accounts: 0, failed: 0 };
    const markers = await Array.fromAsync(
      kv.list<ErasureMarker>({ prefix: keys.erasePrefix() }, { limit: 1000 }),
    );
    const accounts = new Set(
      markers.filter((m) => m.value.kind === "account").map((m) => m.key[1] as string),
    );
    for (const m of markers) {
      const userId = m.key[1] as string;
      try {
        if (m.value.kind === "account") {
          await eraseAccount(this.#deps, userId, m.value);
          done.accounts++;
        } else if (!accounts.has(userId)) {
          await completeHistoryErasure(this.#deps, userId, m.value);
          done.histories++;
        }
      } catch (err) {
        done.failed++;
        logger.error("erasure failed", { kind: m.value.kind, error: String(err) });
      }
    }
    return done;
  }
}
