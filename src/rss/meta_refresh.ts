/**
 * The feed metadata refresh job: refetches, in bounded batches, the wanted feeds whose
 * metadata (and episode list) is older than 2 hours, walking the `["feedmeta_due", dueAt, feedHash]` index
 * (its cost grows with the feeds due, never with all feeds). A feed nobody has wanted for
 * 30 days leaves the index; a failing one is tried again 2 hours later.
 */
import type { Clock } from "../clock.ts";
import { decodeFeedId } from "../domain/ids.ts";
import type { Logger } from "../logger.ts";
import * as keys from "../store/keys.ts";
import {
  type DueFeedMeta,
  dueFeedMetas,
  type FeedMeta,
  isWantedMeta,
  postponeFeedMeta,
} from "../store/feed_meta.ts";
import type { FeedService } from "./feed_service.ts";

/** What the job needs. */
export interface MetaRefreshDeps {
  readonly kv: Deno.Kv;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly feeds: FeedService;
}

/** What one run did. */
export interface MetaRefreshResult {
  refreshed: number;
  failed: number;
  /** Entries that left the index (unwanted feeds, stale index keys). */
  dropped: number;
}

async function refreshOne(
  deps: MetaRefreshDeps,
  due: DueFeedMeta,
): Promise<keyof MetaRefreshResult> {
  const { kv, clock, feeds } = deps;
  const now = clock.now();
  const meta = await kv.get<FeedMeta>(keys.feedMetaKey(due.hash));
  if (!meta.value || meta.value.refresh_at !== due.dueAt || !isWantedMeta(meta.value, now)) {
    await postponeFeedMeta(kv, due, now);
    return "dropped";
  }
  try {
    const feedUrl = decodeFeedId(due.feed).feedUrl;
    const cached = await feeds.load(feedUrl);
    // A false answer means another writer got there first and moved the index entry.
    await feeds.recordMeta(feedUrl, cached, { force: true });
    return "refreshed";
  } catch (err) {
    deps.logger.warn("feed metadata refresh failed", {
      code: (err as { code?: string }).code ?? "error",
    });
    await postponeFeedMeta(kv, due, clock.now());
    return "failed";
  }
}

/**
 * Refreshes up to `batch` due feeds, `concurrency` at a time.
 * @example
 * ```ts
 * const r = await refreshFeedMeta(deps); // from the cron job
 * ```
 */
export async function refreshFeedMeta(
  deps: MetaRefreshDeps,
  options: { batch?: number; concurrency?: number } = {},
): Promise<MetaRefreshResult> {
  const result: MetaRefreshResult = { refreshed: 0, failed: 0, dropped: 0 };
  const due = await dueFeedMetas(deps.kv, deps.clock.now(), options.batch ?? 200);
  let next = 0;
  const worker = async () => {
    while (next < due.length) {
      const outcome = await refreshOne(deps, due[next++]);
      result[outcome]++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, due.length) }, worker));
  return result;
}
