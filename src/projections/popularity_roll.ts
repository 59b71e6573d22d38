/**
 * The popularity roll (SPEC §7.4), every 5 minutes: recomputes the rolled record
 * (`score`, `plays`, `likes`, their `*_previous`, `plays_people`) of every feed and episode
 * whose counts changed since the last roll (dirty markers) or whose activity crossed a
 * period boundary since then (the bucket index), and keeps the trending index (ordered by
 * score, so a trending read is one `list`) in step. Its work grows with the activity since
 * the last roll and in the buckets that crossed, never with the whole history. Counts only
 * ever go down through the projection's wrapping sums; the roll reads them back signed and
 * writes each record with a checked read-modify-write.
 */
import { isoAt } from "../clock.ts";
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import {
  ACTIVITY_KINDS,
  type ActivityCounts,
  type ActivityKind,
  bucketOf,
  periodOf,
  type PopularityClock,
  popularityClock,
  scoreOf,
  zeroCounts,
} from "../domain/activity.ts";
import { feedHash } from "../store/hash.ts";
import * as keys from "../store/keys.ts";
import { BUCKET_GRACE, type PopEntity, signedCount } from "./public_activity.ts";

/** A feed's or episode's rolled popularity. */
export interface PopRecord {
  readonly feed: string;
  readonly item?: string;
  readonly score: number;
  readonly score_previous: number;
  readonly plays: number;
  readonly plays_previous: number;
  readonly likes: number;
  readonly likes_previous: number;
  readonly subscriptions: number;
  readonly subscriptions_previous?: number;
  readonly shares: number;
  /** Up to 10 public users, newest public play first, within the current period. */
  readonly plays_people: readonly string[];
  readonly rolled_at: string;
}

/** What the roll needs. */
export interface RollDeps {
  readonly kv: Deno.Kv;
  readonly config: Config;
  readonly clock: Clock;
}

/** What one roll did. */
export interface RollResult {
  /** Records recomputed. */
  entities: number;
  /** Of which dirty (new activity or a privacy change). */
  dirty: number;
  /** Records whose commit lost a race (they stay dirty for the next roll). */
  conflicts: number;
  /** Bucket index entries older than both periods, deleted. */
  collected: number;
  duration_ms: number;
}

/** `plays_people` holds at most this many usernames. */
export const PLAYS_PEOPLE_MAX = 10;

interface Affected {
  kind: "feed" | "item";
  hash: string;
  entity: PopEntity;
  /** True when it had a dirty marker at the start of the roll. */
  dirty?: boolean;
}

/** The record with nothing in it. */
export function emptyPopRecord(entity: PopEntity, at: string): PopRecord {
  return {
    ...entity,
    score: 0,
    score_previous: 0,
    plays: 0,
    plays_previous: 0,
    likes: 0,
    likes_previous: 0,
    subscriptions: 0,
    shares: 0,
    plays_people: [],
    rolled_at: at,
  };
}

function sameRecord(a: PopRecord | null, b: PopRecord): boolean {
  if (!a) return false;
  const { rolled_at: _a, ...x } = a;
  const { rolled_at: _b, ...y } = b;
  return JSON.stringify(x) === JSON.stringify(y);
}

/** Recomputes one entity's record from its buckets and people. */
async function recompute(
  kv: Deno.Kv,
  a: Affected,
  nowBucket: number,
  pc: PopularityClock,
  at: string,
): Promise<PopRecord> {
  const cur: ActivityCounts = zeroCounts();
  const prev: ActivityCounts = zeroCounts();
  const prefix = keys.popCountPrefix(a.kind, a.hash);
  const selector = { start: [...prefix, nowBucket - 2 * pc.width + 1], end: [...prefix, Infinity] };
  for await (const e of kv.list<Deno.KvU64>(selector, { batchSize: 1000 })) {
    const bucket = e.key[3] as number;
    const field = e.key[4] as ActivityKind;
    if (!ACTIVITY_KINDS.includes(field)) continue;
    const period = periodOf(pc, bucket, nowBucket);
    if (period === "current") cur[field] += signedCount(e.value);
    else if (period === "previous") prev[field] += signedCount(e.value);
  }
  const since = (nowBucket - pc.width + 1) * pc.bucketMs;
  const people: string[] = [];
  for await (
    const e of kv.list<{ username: string }>({ prefix: keys.popPersonPrefix(a.kind, a.hash) }, {
      limit: PLAYS_PEOPLE_MAX,
    })
  ) {
    const playedAt = keys.invertTime(e.key[3] as number);
    if (playedAt < since) break;
    people.push(e.value.username);
  }
  return {
    ...a.entity,
    score: scoreOf(cur),
    score_previous: scoreOf(prev),
    plays: cur.play,
    plays_previous: prev.play,
    likes: cur.save,
    likes_previous: prev.save,
    subscriptions: cur.subscribe,
    subscriptions_previous: prev.subscribe,
    shares: cur.share,
    plays_people: people,
    rolled_at: at,
  };
}

async function collectAffected(
  kv: Deno.Kv,
  lastBucket: number | undefined,
  nowBucket: number,
  width: number,
): Promise<Map<string, Affected>> {
  const affected = new Map<string, Affected>();
  for await (const e of kv.list<PopEntity>({ prefix: keys.popDirtyPrefix() })) {
    const [, kind, hash] = e.key as [string, "feed" | "item", string];
    affected.set(`${kind}/${hash}`, { kind, hash, entity: e.value, dirty: true });
  }
  if (lastBucket === undefined || nowBucket <= lastBucket) return affected;
  // Buckets that left the current period, and those that left the previous one.
  const ranges: [number, number][] = [
    [lastBucket - width + 1, nowBucket - width],
    [lastBucket - 2 * width + 1, nowBucket - 2 * width],
  ];
  for (const [from, to] of ranges) {
    const prefix = keys.popBucketPrefix();
    const selector = { start: [...prefix, from], end: [...prefix, to + 1] };
    for await (const e of kv.list<PopEntity>(selector, { batchSize: 1000 })) {
      const [, , kind, hash] = e.key as [string, number, "feed" | "item", string];
      const id = `${kind}/${hash}`;
      if (!affected.has(id)) affected.set(id, { kind, hash, entity: e.value });
    }
  }
  return affected;
}

/** Deletes the bucket index and counts of buckets older than both periods (and a grace). */
async function collectGarbage(kv: Deno.Kv, nowBucket: number, width: number): Promise<number> {
  const prefix = keys.popBucketPrefix();
  const selector = { prefix, end: [...prefix, nowBucket - 2 * width - BUCKET_GRACE - 1] };
  let n = 0;
  let atomic = kv.atomic();
  let pending = 0;
  for await (const e of kv.list(selector, { batchSize: 500 })) {
    const [, bucket, kind, hash] = e.key as [string, number, "feed" | "item", string];
    atomic.delete(e.key);
    for (const field of ACTIVITY_KINDS) atomic.delete(keys.popCountKey(kind, hash, bucket, field));
    n++;
    if (++pending === 150) {
      await atomic.commit();
      atomic = kv.atomic();
      pending = 0;
    }
  }
  if (pending > 0) await atomic.commit();
  return n;
}

type Read = Affected & {
  total: Deno.KvEntryMaybe<PopRecord>;
  marker: Deno.KvEntryMaybe<PopEntity>;
};

/** Reads the current record and dirty marker of each entity (getMany by 10 keys). */
async function readEntries(kv: Deno.Kv, list: readonly Affected[]): Promise<Read[]> {
  const out: Read[] = [];
  for (let j = 0; j < list.length; j += 5) {
    const part = list.slice(j, j + 5);
    const got = await kv.getMany<unknown[]>(
      part.flatMap((a) => [keys.popTotalKey(a.kind, a.hash), keys.popDirtyKey(a.kind, a.hash)]),
    );
    part.forEach((a, k) =>
      out.push({
        ...a,
        total: got[2 * k] as Deno.KvEntryMaybe<PopRecord>,
        marker: got[2 * k + 1] as Deno.KvEntryMaybe<PopEntity>,
      })
    );
  }
  return out;
}

/** Adds one entity's checked update (record, trending index, dirty marker) to `op`. */
async function rollOne(
  ctx: { kv: Deno.Kv; nowBucket: number; pc: PopularityClock; at: string },
  op: Deno.AtomicOperation,
  a: Read,
): Promise<void> {
  const record = await recompute(ctx.kv, a, ctx.nowBucket, ctx.pc, ctx.at);
  const old = a.total.value;
  op.check(a.total).check(a.marker);
  if (a.marker.value) op.delete(a.marker.key);
  if (sameRecord(old, record)) return;
  const fh = a.kind === "item" ? await feedHash(a.entity.feed) : a.hash;
  if (old && old.score > 0) {
    op.delete(keys.trendingKey(a.kind, old.score, a.hash));
    // Under the feed the old record named: an episode heard under two feeds may move.
    if (a.kind === "item") {
      op.delete(keys.trendingByFeedKey(await feedHash(old.feed), old.score, a.hash));
    }
  }
  const empty = record.score === 0 && record.score_previous === 0 &&
    record.plays_people.length === 0;
  if (empty) op.delete(a.total.key);
  else op.set(a.total.key, record);
  if (record.score > 0) {
    op.set(keys.trendingKey(a.kind, record.score, a.hash), record);
    if (a.kind === "item") op.set(keys.trendingByFeedKey(fh, record.score, a.hash), record);
  }
}

/**
 * Rolls popularity as of `now` (default: the clock). Safe to run twice and in two
 * processes at once: each record is written with a check on its old value and its dirty
 * marker, so a roll that raced with the projection or another roll leaves it dirty.
 */
export async function rollPopularity(
  deps: RollDeps,
  options: { now?: number } = {},
): Promise<RollResult> {
  const { kv, config } = deps;
  const started = performance.now();
  const now = options.now ?? deps.clock.now();
  const at = isoAt(now);
  const pc = popularityClock(config.popularityPeriodMs);
  const nowBucket = bucketOf(pc, now);
  const roll = await kv.get<{ bucket: number; rolled_at: string }>(keys.popRollKey());
  const affected = [
    ...(await collectAffected(kv, roll.value?.bucket, nowBucket, pc.width)).values(),
  ];
  const result: RollResult = {
    entities: 0,
    dirty: affected.filter((a) => a.dirty).length,
    conflicts: 0,
    collected: 0,
    duration_ms: 0,
  };
  // Two checks per record (its value, its dirty marker).
  const perCommit = Math.max(1, Math.min(50, Math.floor(config.maxChecksPerCommit / 2)));
  const ctx = { kv, nowBucket, pc, at };
  for (let i = 0; i < affected.length; i += perCommit) {
    const chunk = affected.slice(i, i + perCommit);
    const op = kv.atomic();
    for (const a of await readEntries(kv, chunk)) await rollOne(ctx, op, a);
    if ((await op.commit()).ok) {
      result.entities += chunk.length;
      continue;
    }
    // One of them raced: each alone, re-read, a few times; a loser stays dirty.
    for (const a of chunk) {
      let ok = false;
      for (let attempt = 0; attempt < 3 && !ok; attempt++) {
        const single = kv.atomic();
        await rollOne(ctx, single, (await readEntries(kv, [a]))[0]);
        ok = (await single.commit()).ok;
      }
      if (ok) result.entities++;
      else result.conflicts++;
    }
  }
  result.collected = await collectGarbage(kv, nowBucket, pc.width);
  if (roll.value === null || nowBucket > roll.value.bucket) {
    await kv.atomic().check(roll).set(keys.popRollKey(), { bucket: nowBucket, rolled_at: at })
      .commit();
  }
  result.duration_ms = Math.round(performance.now() - started);
  return result;
}
