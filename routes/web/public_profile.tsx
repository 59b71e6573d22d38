/**
 * The body of a public profile page (`/u/{username}`, SPEC §5): the listener's recent public
 * activity and public playlists with their episodes. Anonymous activity is never on it: the
 * profile query only holds what the listener made public.
 */
import { episodeTitle, feedMetas } from "../../src/store/feed_meta.ts";
import type { PublicProfile } from "../../src/store/public_queries.ts";
import { Cover, When } from "./components.tsx";
import {
  ActivityItem,
  episodeHref,
  episodeName,
  plural,
  podcastHref,
  podcastName,
} from "./public_parts.tsx";

/** A profile with what the page shows beside it: covers and titles from the cache. */
export interface ProfileView {
  readonly profile: PublicProfile;
  readonly cover: (feed: string) => string | undefined;
  readonly feedTitle: (feed: string) => string | undefined;
  /** Episode titles of the playlists' items, by item id. */
  readonly episodeTitles: ReadonlyMap<string, string>;
}

/** Reads the covers and titles a profile page shows. */
export async function profileView(kv: Deno.Kv, profile: PublicProfile): Promise<ProfileView> {
  const items = profile.playlists.flatMap((p) => p.items);
  const feeds = [
    ...profile.recent.map((e) => e.rss_source_feed),
    ...items.flatMap((it) => it.rss_source_feed ? [it.rss_source_feed] : []),
  ];
  const metas = await feedMetas(kv, feeds);
  const episodeTitles = new Map<string, string>();
  for (const it of items) {
    if (!it.rss_source_feed) continue;
    const title = await episodeTitle(metas.get(it.rss_source_feed), it.rss_source_item);
    if (title) episodeTitles.set(it.rss_source_item, title);
  }
  return {
    profile,
    cover: (feed) => metas.get(feed)?.cover,
    feedTitle: (feed) => metas.get(feed)?.title,
    episodeTitles,
  };
}

function Playlists(props: { view: ProfileView }) {
  const { profile, cover, feedTitle, episodeTitles } = props.view;
  if (profile.playlists.length === 0) return <p class="empty">No public playlists.</p>;
  return (
    <>
      {profile.playlists.map((pl) => (
        <article class="card playlist">
          <h3>{pl.name}</h3>
          {pl.description && <p>{pl.description}</p>}
          <p class="small muted">
            {plural(pl.items.length, "episode")} · updated <When iso={pl.updated_at} />
          </p>
          {pl.items.length > 0 && (
            <ol class="list" aria-label={`Episodes of ${pl.name}`}>
              {pl.items.map((it) => {
                const feed = it.rss_source_feed;
                const name = episodeName(episodeTitles.get(it.rss_source_item), it.rss_source_item);
                return (
                  <li>
                    <Cover url={feed ? cover(feed) : undefined} size="small" />
                    <div class="grow">
                      <p>
                        {feed ? <a href={episodeHref(it.rss_source_item, feed)}>{name}</a> : name}
                      </p>
                      {feed && it.feed_url && (
                        <p class="small">
                          <a href={podcastHref(feed)}>
                            {podcastName(feedTitle(feed), it.feed_url)}
                          </a>
                        </p>
                      )}
                    </div>
                  </li>
                );
              })}
            </ol>
          )}
        </article>
      ))}
    </>
  );
}

/** Everything under the profile's heading. */
export function ProfileBody(props: { view: ProfileView }) {
  const { profile, cover } = props.view;
  return (
    <>
      <p class="muted">
        Listening here since <time datetime={profile.since}>{profile.since.slice(0, 10)}</time>.
      </p>
      <section aria-labelledby="recent-activity">
        <h2 id="recent-activity">Recent activity</h2>
        {profile.recent.length === 0
          ? <p class="empty">No public activity lately.</p>
          : (
            <ul class="list" aria-label={`Recent activity of ${profile.username}`}>
              {profile.recent.map((e) => (
                <ActivityItem e={e} cover={cover(e.rss_source_feed)} withWho={false} />
              ))}
            </ul>
          )}
      </section>
      <section aria-labelledby="public-playlists">
        <h2 id="public-playlists">Public playlists</h2>
        <Playlists view={props.view} />
      </section>
    </>
  );
}
