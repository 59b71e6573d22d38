/** The feed metadata cache (`["feedmeta", feedHash]`): titles for API answers. */
import { feedHash, itemHash } from "./hash.ts";
import * as keys from "./keys.ts";

export interface FeedMeta {
  feed_url: string;
  title?: string;
  author?: string;
  cover?: string;
  fetched_at: string;
  /** Episode titles by item hash (capped so the value stays under KV's 64 KiB). */
  episodes?: Record<string, string>;
}

/** Reads the metadata of many feeds (getMany in chunks of 10); missing ones are absent. */
export async function feedMetas(
  kv: Deno.Kv,
  feeds: Iterable<string>,
): Promise<Map<string, FeedMeta>> {
  const unique = [...new Set(feeds)];
  const out = new Map<string, FeedMeta>();
  for (let i = 0; i < unique.length; i += 10) {
    const chunk = unique.slice(i, i + 10);
    const hashes = await Promise.all(chunk.map(feedHash));
    const entries = await kv.getMany<FeedMeta[]>(hashes.map((h) => keys.feedMetaKey(h)));
    entries.forEach((e, j) => {
      if (e.value) out.set(chunk[j], e.value);
    });
  }
  return out;
}

/** The title of an episode from its feed's metadata, if known. */
export async function episodeTitle(
  meta: FeedMeta | undefined,
  item: string,
): Promise<string | undefined> {
  if (!meta?.episodes) return undefined;
  return meta.episodes[await itemHash(item)];
}
