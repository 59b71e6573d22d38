/**
 * `GET /episodes/{item}?feed={feed}` (SPEC §10): an episode with an HTML5 player whose
 * source is the enclosure as the feed lists it, starting at the synced position; mark
 * played, save, share, its privacy. `POST /web/play` is where the player script saves the
 * position: the same `RecordPlay` command as `POST /api/v1/play`, behind the session and
 * its CSRF token (sent in the body, so `navigator.sendBeacon` can carry it).
 */
import { AddToPlaylistForm } from "./playlists.tsx";
import { Hono } from "hono";
import type { Child } from "hono/jsx";
import type { PrivacyLevel } from "../../src/domain/events.ts";
import type { PlayState, UserState } from "../../src/domain/state.ts";
import { isActive } from "../../src/domain/state.ts";
import { plainParagraphs } from "../../src/rss/plain_text.ts";
import { type EpisodeEntry, type PodcastView, podcastView } from "../../src/rss/podcast_view.ts";
import type { AppDeps } from "../../src/services.ts";
import { episodeTitle, feedMetas } from "../../src/store/feed_meta.ts";
import { describePlays, listPlaylists } from "../../src/store/queries.ts";
import type { AppEnv } from "../context.ts";
import { HttpError } from "../errors.ts";
import { feedAt, Fields, itemAt } from "../input.ts";
import { checkCsrf, currentUser, navOf, readForm, requireUser, WEB_DEVICE } from "./_web.ts";
import { type EpisodeAction, EpisodeButton, PrivacyForm } from "./actions.tsx";
import { Cover, formatDuration } from "./components.tsx";
import { Layout, type NavUser, render } from "./layout.tsx";
import {
  Day,
  episodeHref,
  episodeName,
  LoadProblem,
  Notes,
  podcastHref,
  podcastName,
  positionText,
  StatusBadges,
} from "./_listening.tsx";

/** Positions and durations above this are refused (a week of audio). */
export const MAX_PLAY_SECONDS = 7 * 86_400;

/** Everything the episode page shows. */
export interface EpisodePageProps {
  nav: NavUser;
  csrf: string;
  feed: string;
  item: string;
  title: string;
  view: PodcastView;
  /** The episode as the feed lists it; absent when the feed does not (or could not say). */
  episode?: EpisodeEntry;
  state: UserState;
  instanceDefault: PrivacyLevel;
  /** More sections under the actions (the "Add to playlist" form goes here). */
  extra?: Child;
}

/** Where the player starts: the synced position, or the start of a played episode. */
function startOf(play: PlayState | undefined): number {
  return play && !play.played ? play.position : 0;
}

/** The episode page. */
export function EpisodePage(props: EpisodePageProps) {
  const { feed, item, csrf, episode, state } = props;
  const play = state.plays.get(item);
  const saved = state.saved.has(item);
  const here = episodeHref(feed, item);
  const name = podcastName(feed, props.view.title);
  const duration = play?.duration ?? episode?.duration;
  const episodeButton = (action: EpisodeAction, label: string) => (
    <EpisodeButton
      csrf={csrf}
      feed={feed}
      item={item}
      action={action}
      label={label}
      returnTo={here}
    />
  );
  return (
    <Layout
      title={props.title}
      heading={false}
      nav={props.nav}
      scripts={episode ? ["player.js"] : []}
    >
      <div class="podcast-head">
        <Cover url={props.view.cover} size="medium" />
        <div class="stack">
          <h1>{props.title}</h1>
          <p>
            <a href={podcastHref(feed)}>{name}</a>
          </p>
          <p class="muted small">
            <Day ms={episode?.pubDate} />
            {episode?.pubDate !== undefined && duration ? " · " : ""}
            {duration ? formatDuration(duration) : ""}
          </p>
          <StatusBadges play={play} saved={saved} />
        </div>
      </div>
      {episode
        ? (
          <div
            id="player"
            class="player"
            data-endpoint="/web/play"
            data-csrf={csrf}
            data-feed={feed}
            data-item={item}
            data-start={String(startOf(play))}
          >
            <audio controls preload="metadata" src={episode.enclosure.url}>
              <a href={episode.enclosure.url}>Download the episode</a>
            </audio>
            <p id="player-status" class="muted small" role="status">
              {play && play.position > 0 && !play.played
                ? `Synced position: ${positionText(play.position, duration)}.`
                : ""}
            </p>
          </div>
        )
        : (
          <p class="alert error" role="status">
            {props.view.error
              ? "The podcast's feed could not be loaded, so this episode cannot be played here now."
              : "This episode is no longer in the podcast's feed, so it cannot be played here."}
          </p>
        )}
      {episode && <LoadProblem view={props.view} />}
      <div class="actions">
        {play?.played
          ? episodeButton("unplayed", "Mark as unplayed")
          : episodeButton("played", "Mark as played")}
        {saved
          ? episodeButton("unsave", "Remove from saved")
          : episodeButton("save", "Save episode")}
        {state.shared.has(item)
          ? <span class="badge">Shared</span>
          : episodeButton("share", "Share episode")}
      </div>
      <PrivacyForm
        csrf={csrf}
        feed={feed}
        item={item}
        current={state.privacy.items.get(item)?.privacy ?? null}
        inherited={state.privacy.feeds.get(feed) ?? state.privacy.user ?? props.instanceDefault}
        returnTo={here}
        label="Privacy of this episode"
        id="episode-privacy"
      />
      {/* Slot for more episode actions: the "Add to playlist" form is passed as `extra`. */}
      {props.extra}
      {episode?.description && (
        <>
          <h2 id="notes-heading">Show notes</h2>
          <Notes paragraphs={plainParagraphs(episode.description)} />
        </>
      )}
    </Layout>
  );
}

/** A whole number of seconds from a form field, for `Fields.int` to check. */
function secondsField(raw: string | undefined): unknown {
  if (raw === undefined || raw === "") return undefined;
  return /^-?\d{1,16}$/.test(raw) ? Number(raw) : raw;
}

/** The episode page and `POST /web/play`. */
export function episodePageRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/episodes/:item", async (c) => {
    const me = await requireUser(c, deps);
    if (me instanceof Response) return me;
    const { item } = itemAt(c.req.param("item"), "item");
    const state = await deps.registry.state(me.user.id);
    // A link without its podcast still works for an episode the user has played or saved.
    const feedParam = c.req.query("feed") ?? state.plays.get(item)?.feed ??
      state.saved.get(item)?.feed;
    if (!feedParam) {
      throw new HttpError(400, "invalid_query", "This link does not say which podcast it is from.");
    }
    const { feed, feedUrl } = feedAt(feedParam, "feed");
    const subscribed = isActive(state.subscriptions.get(feed));
    const [view, metas, playlists] = await Promise.all([
      podcastView(deps, feedUrl, { wanted: subscribed }),
      feedMetas(deps.kv, [feed]),
      listPlaylists(deps.kv, me.user.id),
    ]);
    const episode = view.episodes.find((e) => e.item === item);
    const known = episode?.title ?? await episodeTitle(metas.get(feed), item);
    const here = `/episodes/${encodeURIComponent(item)}?feed=${feed}`;
    return render(
      c,
      <EpisodePage
        nav={navOf(me)}
        csrf={me.session.csrf}
        feed={feed}
        item={item}
        title={episodeName(item, known)}
        view={view}
        episode={episode}
        state={state}
        instanceDefault={deps.config.defaultPrivacy}
        extra={
          <AddToPlaylistForm
            playlists={playlists.map((p) => ({ id: p.id, name: p.name }))}
            feed={feed}
            item={item}
            csrf={me.session.csrf}
            returnTo={here}
            episodeTitle={episodeName(item, known)}
          />
        }
      />,
    );
  });

  app.post("/web/play", async (c) => {
    const type = c.req.header("Content-Type") ?? "";
    if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) {
      throw new HttpError(
        415,
        "unsupported_media_type",
        "Send the position as a form (application/x-www-form-urlencoded).",
      );
    }
    const form = await readForm(c);
    const me = await currentUser(c, deps);
    if (!me) throw new HttpError(401, "unauthorized", "Log in to save your position.");
    checkCsrf(me.session.csrf, form.csrf);
    const { feed } = feedAt(form.feed, "feed");
    const { item } = itemAt(form.item, "item");
    const values = {
      position: secondsField(form.position),
      duration: secondsField(form.duration),
      played: form.played === undefined
        ? undefined
        : form.played === "true"
        ? true
        : form.played === "false"
        ? false
        : form.played,
    };
    const f = new Fields();
    const position = f.int(values, "position", { max: MAX_PLAY_SECONDS });
    const duration = f.int(values, "duration", { optional: true, max: MAX_PLAY_SECONDS });
    const played = f.bool(values, "played", { optional: true });
    f.done();
    const r = await deps.registry.execute(me.user.id, {
      type: "RecordPlay",
      data: { feed, item, position: position!, played, duration },
    }, WEB_DEVICE);
    const [out] = await describePlays(deps.kv, [r.state.plays.get(item)!]);
    c.header("Cache-Control", "no-store");
    return c.json(out);
  });

  return app;
}
