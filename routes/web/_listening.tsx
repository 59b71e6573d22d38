/**
 * Small pieces the listener's pages share (home, subscriptions, podcast, episode, history):
 * links to a podcast and an episode, names for things whose title is not known yet, an
 * episode's status for this user, dates, the notice when a feed cannot be read.
 */
import { decodeFeedId, decodeItemId } from "../../src/domain/ids.ts";
import type { PlayState } from "../../src/domain/state.ts";
import { podcastTitle } from "../../src/rss/aggregate.ts";
import type { PodcastView } from "../../src/rss/podcast_view.ts";
import { formatDuration } from "./components.tsx";

/** The page of a podcast. */
export function podcastHref(feed: string): string {
  return `/podcasts/${encodeURIComponent(feed)}`;
}

/** The page of an episode. */
export function episodeHref(feed: string, item: string): string {
  return `/episodes/${encodeURIComponent(item)}?feed=${encodeURIComponent(feed)}`;
}

/** A podcast's name: its title, else its feed's host name. */
export function podcastName(feed: string, title: string | undefined | null): string {
  return podcastTitle(title ?? undefined, decodeFeedId(feed).feedUrl);
}

/** An episode's name: its title, else the file name of its audio. */
export function episodeName(item: string, title: string | undefined | null): string {
  if (title && title.trim() !== "") return title.trim();
  try {
    const url = new URL(decodeItemId(item).enclosureUrl);
    const file = decodeURIComponent(url.pathname.split("/").pop() ?? "");
    return file || url.hostname;
  } catch {
    return "Untitled episode";
  }
}

/** What an episode is to this user. */
export type EpisodeStatus = "new" | "in-progress" | "played";

/** The status of an episode from its play state. */
export function statusOf(play: PlayState | undefined): EpisodeStatus {
  if (!play) return "new";
  if (play.played) return "played";
  return play.position > 0 ? "in-progress" : "new";
}

/** Badges for an episode's status (new / in progress at m:ss / played) and saved. */
export function StatusBadges(props: { play?: PlayState; saved?: boolean }) {
  const status = statusOf(props.play);
  return (
    <span class="badges">
      {status === "new" && <span class="badge status-new">New</span>}
      {status === "in-progress" && (
        <span class="badge progress">In progress · {formatDuration(props.play!.position)}</span>
      )}
      {status === "played" && <span class="badge status-played">Played</span>}
      {props.saved && <span class="badge saved">Saved</span>}
    </span>
  );
}

/** A day as "2026-01-13" in a `<time>` element (UTC), or nothing when unknown. */
export function Day(props: { ms?: number | null; iso?: string | null }) {
  const ms = props.ms ?? (props.iso ? Date.parse(props.iso) : NaN);
  if (!Number.isFinite(ms)) return null;
  const iso = new Date(ms).toISOString();
  return <time datetime={iso}>{iso.slice(0, 10)}</time>;
}

/** "12:34 of 45:00", or "12:34" without a duration. */
export function positionText(position: number, duration?: number): string {
  return duration ? `${formatDuration(position)} of ${formatDuration(duration)}` : formatDuration(
    position,
  );
}

/** How far into an episode the listener is, as a progress bar (nothing without a duration). */
export function ListeningProgress(props: { position: number; duration?: number; title: string }) {
  const { position, duration } = props;
  if (!duration) return null;
  return (
    <progress
      max={duration}
      value={Math.min(position, duration)}
      aria-label={`Progress of ${props.title}`}
    >
      {positionText(position, duration)}
    </progress>
  );
}

function paragraph(text: string) {
  return <p>{text}</p>;
}

/** Show notes as plain paragraphs (the feed's HTML never reaches the page). */
export function Notes(props: { paragraphs: readonly string[] }) {
  return <div class="description">{props.paragraphs.map(paragraph)}</div>;
}

const LOAD_PROBLEMS: Record<string, string> = {
  forbidden_address: "its address points to a private or local network",
  upstream_error: "its server could not be reached or answered with an error",
  upstream_timeout: "its server did not answer in time",
  feed_too_large: "it is too large to read",
  invalid_feed: "it is not a podcast feed any more",
  invalid_url: "its address is not valid",
};

/** The notice shown when the feed could not be read now. */
export function LoadProblem(props: { view: PodcastView }) {
  const v = props.view;
  if (!v.error) return null;
  const why = LOAD_PROBLEMS[v.error] ?? "something went wrong";
  const shown = v.source === "stored"
    ? "Showing the episodes stored at its last successful refresh."
    : "Only what was stored about it before is shown.";
  return (
    <p class="alert error" role="status">
      This podcast's feed could not be loaded right now: {why}. {shown}
    </p>
  );
}
