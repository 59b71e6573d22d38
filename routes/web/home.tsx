/**
 * `GET /` (SPEC §10): a listener's dashboard — continue listening, the latest episodes of
 * their subscriptions, their recent activity — or, for a visitor, a short landing page.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import type { LatestEntry } from "../../src/rss/aggregate.ts";
import { latestEpisodes } from "../../src/rss/personal.ts";
import type { AppDeps } from "../../src/services.ts";
import { type ActivityItem, recentActivity } from "../../src/store/activity_queries.ts";
import { feedMetas } from "../../src/store/feed_meta.ts";
import { listPlays, type PlayOut } from "../../src/store/queries.ts";
import type { AppEnv } from "../context.ts";
import { currentUser, navOf, type WebUser } from "./_web.ts";
import { Cover, formatDuration, When } from "./components.tsx";
import { Layout, render } from "./layout.tsx";
import {
  Day,
  episodeHref,
  episodeName,
  ListeningProgress,
  podcastHref,
  podcastName,
  positionText,
} from "./_listening.tsx";

/** Episodes shown in each part of the dashboard. */
const CONTINUE_MAX = 6;
const LATEST_MAX = 12;
const ACTIVITY_MAX = 10;

function Landing(props: { registrationOpen: boolean }) {
  return (
    <Layout title="Welcome" heading={false}>
      <section class="hero">
        <h1>Your podcasts, in sync everywhere</h1>
        <p>
          Balados Sync is an open, self-hostable server that keeps your subscriptions, listening
          positions, saved episodes and playlists in sync across your podcast apps and devices. You
          decide what you share: every listen can be public, anonymous or private.
        </p>
        <div class="actions">
          <a class="button" href="/users/log_in">Log in to your account</a>
          {props.registrationOpen && (
            <a class="button secondary" href="/users/register">Create an account</a>
          )}
        </div>
      </section>
      <h2>Look around</h2>
      <ul>
        <li>
          <a href="/discover">Discover</a>: the podcasts and episodes listeners play most.
        </li>
        <li>
          <a href="/timeline">Timeline</a>: what listeners play, save and share right now.
        </li>
      </ul>
    </Layout>
  );
}

function ContinueListening(props: { plays: PlayOut[]; covers: Map<string, string> }) {
  if (props.plays.length === 0) {
    return <p class="muted">Nothing in progress. Episodes you start playing appear here.</p>;
  }
  return (
    <ul class="list" aria-labelledby="continue-heading">
      {props.plays.map((p) => {
        const title = episodeName(p.rss_source_item, p.item_title);
        const href = episodeHref(p.rss_source_feed, p.rss_source_item);
        return (
          <li>
            <Cover url={props.covers.get(p.rss_source_feed)} size="small" />
            <div class="grow">
              <a href={href}>
                <strong>{title}</strong>
              </a>
              <div class="muted small">
                <a href={podcastHref(p.rss_source_feed)}>
                  {podcastName(p.rss_source_feed, p.feed_title)}
                </a>
              </div>
              <ListeningProgress position={p.position} duration={p.duration} title={title} />
              <div class="small">{positionText(p.position, p.duration)}</div>
            </div>
            <a class="button small" href={href} aria-label={`Resume ${title}`}>Resume</a>
          </li>
        );
      })}
    </ul>
  );
}

function LatestEpisodes(props: { entries: LatestEntry[]; covers: Map<string, string> }) {
  if (props.entries.length === 0) {
    return (
      <p class="muted">
        No episodes yet. <a href="/subscriptions">Add a podcast</a>{" "}
        and its newest episodes appear here.
      </p>
    );
  }
  return (
    <ul class="list" aria-labelledby="latest-heading">
      {props.entries.map((e) => (
        <li>
          <Cover url={props.covers.get(e.source.feed)} size="small" />
          <div class="grow">
            <a href={episodeHref(e.source.feed, e.id)}>
              <strong>{episodeName(e.id, e.item.title)}</strong>
            </a>
            <div class="muted small">
              <a href={podcastHref(e.source.feed)}>{e.podcast}</a>
              {e.item.pubDate !== undefined && (
                <>
                  {" · "}
                  <Day ms={e.item.pubDate} />
                </>
              )}
              {e.item.duration ? ` · ${formatDuration(e.item.duration)}` : ""}
            </div>
          </div>
        </li>
      ))}
    </ul>
  );
}

function activityText(a: ActivityItem): string {
  if (a.kind === "subscribe") return "Subscribed to";
  if (a.kind === "save") return "Saved";
  if (a.played) return "Played";
  return a.position ? `Listened to ${formatDuration(a.position)} of` : "Started";
}

function RecentActivity(props: { items: ActivityItem[] }) {
  if (props.items.length === 0) return <p class="muted">Nothing yet.</p>;
  return (
    <ul class="list" aria-labelledby="activity-heading">
      {props.items.map((a) => (
        <li>
          <Cover url={a.feed_cover} size="small" />
          <div class="grow">
            {activityText(a)} {a.item
              ? <a href={episodeHref(a.feed, a.item)}>{episodeName(a.item, a.item_title)}</a>
              : <a href={podcastHref(a.feed)}>{podcastName(a.feed, a.feed_title)}</a>}
            {a.item && (
              <span class="muted">
                {" — "}
                {podcastName(a.feed, a.feed_title)}
              </span>
            )}
            <div class="muted small">
              <When iso={a.at} />
            </div>
          </div>
        </li>
      ))}
    </ul>
  );
}

async function dashboard(c: Context<AppEnv>, deps: AppDeps, me: WebUser) {
  const userId = me.user.id;
  const [unplayed, latest, activity] = await Promise.all([
    listPlays(deps.kv, userId, { played: false, limit: 50 }),
    latestEpisodes(deps, userId, LATEST_MAX),
    recentActivity(deps.kv, userId, ACTIVITY_MAX),
  ]);
  const inProgress = unplayed.play_statuses.filter((p) => p.position > 0).slice(0, CONTINUE_MAX);
  const metas = await feedMetas(deps.kv, [
    ...inProgress.map((p) => p.rss_source_feed),
    ...latest.map((e) => e.source.feed),
  ]);
  const covers = new Map<string, string>();
  for (const [feed, m] of metas) if (m.cover) covers.set(feed, m.cover);
  return render(
    c,
    <Layout title="Home" nav={navOf(me)}>
      <h2 id="continue-heading">Continue listening</h2>
      <ContinueListening plays={inProgress} covers={covers} />
      <h2 id="latest-heading">Latest episodes</h2>
      <LatestEpisodes entries={latest} covers={covers} />
      <h2 id="activity-heading">Recent activity</h2>
      <RecentActivity items={activity} />
    </Layout>,
  );
}

/** `GET /`. */
export function homeRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/", async (c) => {
    const me = await currentUser(c, deps);
    if (me) return await dashboard(c, deps, me);
    return await render(c, <Landing registrationOpen={deps.config.registration === "open"} />);
  });
  return app;
}
