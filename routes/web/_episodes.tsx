/** How the settings pages show an episode or a podcast in a list: cover, titles, links. */
import type { Child } from "hono/jsx";
import type { EpisodeLabel, FeedLabel } from "../../src/store/episode_labels.ts";
import { Cover } from "./components.tsx";

/** The episode page of an item. */
export function episodeHref(feed: string, item: string): string {
  return `/episodes/${encodeURIComponent(item)}?feed=${encodeURIComponent(feed)}`;
}

/** The podcast page of a feed. */
export function podcastHref(feed: string): string {
  return `/podcasts/${encodeURIComponent(feed)}`;
}

/** One episode of a list: its cover, title (linked), podcast (linked) and what follows. */
export function EpisodeSummary(props: { label: EpisodeLabel; children?: Child }) {
  const { label } = props;
  return (
    <>
      <Cover url={label.cover} size="small" />
      <div class="grow">
        <p class="item-title">
          {label.feed
            ? <a href={episodeHref(label.feed, label.item)}>{label.title}</a>
            : <span>{label.title}</span>}
        </p>
        {label.feed && (
          <p class="muted small">
            <a class="muted" href={podcastHref(label.feed)}>{label.feedTitle}</a>
          </p>
        )}
        {props.children}
      </div>
    </>
  );
}

/** One podcast of a list: its cover, title (linked) and what follows. */
export function PodcastSummary(props: { label: FeedLabel; children?: Child }) {
  const { label } = props;
  return (
    <>
      <Cover url={label.cover} size="small" />
      <div class="grow">
        <p class="item-title">
          <a href={podcastHref(label.feed)}>{label.title}</a>
        </p>
        {label.author && <p class="muted small">{label.author}</p>}
        {props.children}
      </div>
    </>
  );
}
