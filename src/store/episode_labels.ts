/**
 * What a page shows for a podcast or an episode it only knows by id: titles and cover from
 * the feed metadata cache, and a readable stand-in (the feed's address, the episode's guid)
 * while the cache knows nothing yet.
 */
import { decodeFeedId, decodeItemId } from "../domain/ids.ts";
import { episodeTitle, feedMetas } from "./feed_meta.ts";

/** A podcast as a page names it. */
export interface FeedLabel {
  readonly feed: string;
  readonly feedUrl: string;
  /** The cached title, else the feed's address. */
  readonly title: string;
  readonly author?: string;
  readonly cover?: string;
}

/** An episode as a page names it. */
export interface EpisodeLabel {
  /** Absent when the episode's podcast is unknown (old playlist items). */
  readonly feed?: string;
  readonly item: string;
  /** The cached title, else the episode's guid. */
  readonly title: string;
  /** The podcast's title, else its address; "" when the podcast is unknown. */
  readonly feedTitle: string;
  readonly cover?: string;
}

/** Labels of feeds, in the order given (duplicates kept). */
export async function labelFeeds(kv: Deno.Kv, feeds: readonly string[]): Promise<FeedLabel[]> {
  const metas = await feedMetas(kv, feeds);
  return feeds.map((feed) => {
    const m = metas.get(feed);
    const feedUrl = decodeFeedId(feed).feedUrl;
    return {
      feed,
      feedUrl,
      title: m?.title || feedUrl,
      ...(m?.author ? { author: m.author } : {}),
      ...(m?.cover ? { cover: m.cover } : {}),
    };
  });
}

/** Labels of episodes, in the order given. */
export async function labelEpisodes(
  kv: Deno.Kv,
  episodes: readonly { readonly feed?: string; readonly item: string }[],
): Promise<EpisodeLabel[]> {
  const metas = await feedMetas(kv, episodes.flatMap((e) => e.feed ? [e.feed] : []));
  return await Promise.all(episodes.map(async ({ feed, item }) => {
    const m = feed ? metas.get(feed) : undefined;
    const title = await episodeTitle(m, item) || decodeItemId(item).guid;
    return {
      ...(feed ? { feed } : {}),
      item,
      title,
      feedTitle: feed ? m?.title || decodeFeedId(feed).feedUrl : "",
      ...(m?.cover ? { cover: m.cover } : {}),
    };
  }));
}
