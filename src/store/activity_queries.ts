/**
 * A listener's own recent activity for their dashboard (SPEC §10): their latest plays,
 * saves and subscriptions, merged newest first, with titles and covers from the feed
 * metadata cache. Private to the user: nothing here reads the public projections.
 */
import { episodeTitle, feedMetas } from "./feed_meta.ts";
import { listPlays, listSaved, listSubscriptions } from "./queries.ts";

/** One thing the user did. */
export interface ActivityItem {
  readonly kind: "play" | "save" | "subscribe";
  /** When (RFC 3339 UTC). */
  readonly at: string;
  readonly feed: string;
  readonly item?: string;
  readonly feed_title?: string;
  readonly item_title?: string;
  readonly feed_cover?: string;
  /** For plays: the position in seconds and whether it was played to the end. */
  readonly position?: number;
  readonly played?: boolean;
}

/** The user's `limit` latest plays, saves and subscriptions, newest first. */
export async function recentActivity(
  kv: Deno.Kv,
  userId: string,
  limit: number,
): Promise<ActivityItem[]> {
  const [plays, saved, subs] = await Promise.all([
    listPlays(kv, userId, { limit }),
    listSaved(kv, userId),
    listSubscriptions(kv, userId),
  ]);
  const all: Omit<ActivityItem, "feed_cover" | "feed_title" | "item_title">[] = [
    ...plays.play_statuses.map((p) => ({
      kind: "play" as const,
      at: p.updated_at,
      feed: p.rss_source_feed,
      item: p.rss_source_item,
      position: p.position,
      played: p.played,
    })),
    ...saved.slice(0, limit).map((s) => ({
      kind: "save" as const,
      at: s.saved_at,
      feed: s.rss_source_feed,
      item: s.rss_source_item,
    })),
    ...subs.slice(0, limit).map((s) => ({
      kind: "subscribe" as const,
      at: s.subscribed_at,
      feed: s.rss_source_feed,
    })),
  ];
  all.sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  const top = all.slice(0, limit);
  const metas = await feedMetas(kv, top.map((a) => a.feed));
  return await Promise.all(top.map(async (a) => {
    const m = metas.get(a.feed);
    const itemTitle = a.item ? await episodeTitle(m, a.item) : undefined;
    return {
      ...a,
      ...(m?.title ? { feed_title: m.title } : {}),
      ...(m?.cover ? { feed_cover: m.cover } : {}),
      ...(itemTitle ? { item_title: itemTitle } : {}),
    };
  }));
}
