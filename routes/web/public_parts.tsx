/**
 * Pieces of the visitor pages (SPEC §10, §5): trending cards and one line of public
 * activity. They only show what the public queries answer; links go to the podcast, the
 * episode and the listener's profile pages.
 */
import type { ActivityKind } from "../../src/domain/activity.ts";
import { decodeItemId } from "../../src/domain/ids.ts";
import type {
  EpisodePopularity,
  PodcastPopularity,
  TimelineOut,
} from "../../src/store/public_queries.ts";
import { feedMetas } from "../../src/store/feed_meta.ts";
import { Cover, When } from "./components.tsx";

/** The cover of each of these feeds, from the metadata cache (undefined when unknown). */
export async function coversOf(
  kv: Deno.Kv,
  feeds: readonly string[],
): Promise<(feed: string) => string | undefined> {
  const metas = await feedMetas(kv, feeds);
  return (feed) => metas.get(feed)?.cover;
}

/** The podcast page of a feed id. */
export function podcastHref(feed: string): string {
  return `/podcasts/${encodeURIComponent(feed)}`;
}

/** The episode page of an item id heard under a feed. */
export function episodeHref(item: string, feed: string): string {
  return `/episodes/${encodeURIComponent(item)}?feed=${encodeURIComponent(feed)}`;
}

/** The public profile of a username. */
export function profileHref(username: string): string {
  return `/u/${encodeURIComponent(username)}`;
}

/** "1 play", "3 plays". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** What to call a podcast whose title is not known yet: its address. */
export function podcastName(title: string | null | undefined, feedUrl: string): string {
  return title || feedUrl;
}

/** What to call an episode whose title is not known yet: its guid. */
export function episodeName(title: string | null | undefined, item: string): string {
  if (title) return title;
  try {
    return decodeItemId(item).guid;
  } catch {
    return "Untitled episode";
  }
}

/** Links to the listeners who played it lately (public ones only: the query says so). */
function People(props: { names: readonly string[] }) {
  if (props.names.length === 0) return null;
  return (
    <p class="small">
      Played by {props.names.map((n, i) => (
        <>
          {i > 0 && ", "}
          <a href={profileHref(n)}>{n}</a>
        </>
      ))}
    </p>
  );
}

/** This period's points next to the previous period's, and the counts behind them. */
function Points(props: { r: PodcastPopularity | EpisodePopularity }) {
  const r = props.r;
  return (
    <>
      <p class="small">
        <strong>{plural(r.score, "point")}</strong> this period{" "}
        <span class="muted">· {r.score_previous} the period before</span>
      </p>
      <p class="small muted">
        {plural(r.plays, "play")} ({r.plays_previous} before) · {plural(r.likes, "like")}{" "}
        ({r.likes_previous} before)
      </p>
    </>
  );
}

/** A trending podcast in a cover grid. */
export function PodcastCard(props: { p: PodcastPopularity }) {
  const p = props.p;
  return (
    <li>
      <Cover url={p.feed_cover?.src} size="grid" />
      <a class="title" href={podcastHref(p.rss_source_feed)}>
        {podcastName(p.feed_title, p.feed_url)}
      </a>
      {p.feed_author && <span class="small muted">{p.feed_author}</span>}
      <Points r={p} />
      <People names={p.plays_people} />
    </li>
  );
}

/** A trending episode in a cover grid (its podcast's cover). */
export function EpisodeCard(props: { e: EpisodePopularity }) {
  const e = props.e;
  const feed = e.rss_source_feed;
  return (
    <li>
      <Cover url={e.feed_cover?.src} size="grid" />
      {feed
        ? (
          <a class="title" href={episodeHref(e.rss_source_item, feed)}>
            {episodeName(e.item_title, e.rss_source_item)}
          </a>
        )
        : <span class="title">{episodeName(e.item_title, e.rss_source_item)}</span>}
      {feed && e.feed_url && (
        <a class="small" href={podcastHref(feed)}>{podcastName(e.feed_title, e.feed_url)}</a>
      )}
      <Points r={e} />
      <People names={e.plays_people} />
    </li>
  );
}

const VERBS: Readonly<Record<ActivityKind, string>> = {
  subscribe: "subscribed to",
  play: "played",
  save: "liked",
  share: "shared",
};

/**
 * One line of public activity: who (a public listener by name, an anonymous one as
 * "Someone"; `withWho` false on a profile, where it is always the same person), what, when.
 */
export function ActivityItem(props: { e: TimelineOut; cover?: string; withWho?: boolean }) {
  const e = props.e;
  const verb = VERBS[e.type];
  const podcast = (
    <a href={podcastHref(e.rss_source_feed)}>{podcastName(e.feed_title, e.feed_url)}</a>
  );
  const what = e.rss_source_item === undefined
    ? podcast
    : (
      <a href={episodeHref(e.rss_source_item, e.rss_source_feed)}>
        {episodeName(e.item_title, e.rss_source_item)}
      </a>
    );
  const who = props.withWho === false
    ? null
    : e.user
    ? <a href={profileHref(e.user)}>{e.user}</a>
    : <span>Someone</span>;
  return (
    <li>
      <Cover url={props.cover} size="small" />
      <div class="grow">
        <p>
          {who ? <>{who} {verb}</> : verb[0].toUpperCase() + verb.slice(1)} {what}
        </p>
        <p class="small muted">
          {e.rss_source_item !== undefined && <>in {podcast} ·{" "}</>}
          <When iso={e.ts} />
        </p>
      </div>
    </li>
  );
}
