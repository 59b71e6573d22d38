/**
 * The visitor pages (SPEC §10): `/discover` (trending podcasts and episodes, this period and
 * the previous), `/timeline` (the public timeline with the API's filters and pages) and
 * `/u/{username}` (a public profile, 404 exactly when the API says so). No log-in needed;
 * a logged-in listener sees them with the usual navigation. They read the same public
 * queries as `/api/v1/public`, so they show exactly what the API shows.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { ACTIVITY_KINDS, type ActivityKind, POINTS } from "../../src/domain/activity.ts";
import { DomainError, ValidationError } from "../../src/domain/errors.ts";
import type { AppDeps } from "../../src/services.ts";
import {
  feedPopularity,
  listTimeline,
  publicProfile,
  type TimelineOut,
  type TimelineQuery,
  trendingEpisodes,
  trendingPodcasts,
} from "../../src/store/public_queries.ts";
import type { AppEnv } from "../context.ts";
import { timelineQueryOf } from "../public.ts";
import { currentUser, navOf } from "./_web.ts";
import { Pager } from "./components.tsx";
import { errorPage } from "./error_page.tsx";
import { Layout, type NavUser, render } from "./layout.tsx";
import { ProfileBody, profileView } from "./public_profile.tsx";
import { ActivityItem, coversOf, EpisodeCard, PodcastCard, podcastName } from "./public_parts.tsx";

/** Entries of each trending grid on /discover. */
const DISCOVER_SIZE = 24;
/** Trending podcasts offered in the timeline's podcast filter. */
const FILTER_PODCASTS = 30;

const KIND_LABELS: Readonly<Record<ActivityKind, string>> = {
  subscribe: "Subscriptions",
  play: "Plays",
  save: "Likes",
  share: "Shares",
};

type WebContext = Context<AppEnv>;

async function navFor(c: WebContext, deps: AppDeps): Promise<NavUser | null> {
  const me = await currentUser(c, deps);
  return me ? navOf(me) : null;
}

/** A popularity period in words: "7 days", "12 hours". */
function periodText(ms: number): string {
  const day = 86_400_000;
  const hour = 3_600_000;
  if (ms % day === 0) return ms === day ? "1 day" : `${ms / day} days`;
  if (ms % hour === 0) return ms === hour ? "1 hour" : `${ms / hour} hours`;
  return `${Math.round(ms / 60_000)} minutes`;
}

/** A timeline address with these filters (and a cursor). */
function timelineHref(q: { type?: string; feed?: string; limit?: number; cursor?: string }) {
  const params = new URLSearchParams();
  if (q.type) params.set("event_type", q.type);
  if (q.feed) params.set("feed", q.feed);
  if (q.limit !== undefined && q.limit !== 50) params.set("limit", String(q.limit));
  if (q.cursor) params.set("cursor", q.cursor);
  const s = params.toString();
  return s ? `/timeline?${s}` : "/timeline";
}

/** What went wrong with the timeline's query, by form field. */
interface FilterErrors {
  kind?: string;
  feed?: string;
  page?: string;
}

function filterErrorsOf(err: DomainError): FilterErrors {
  if (err.code === "invalid_feed_id") return { feed: "That is not a podcast this page knows." };
  if (err.details && "event_type" in err.details) {
    return { kind: "Choose one of the kinds of activity listed." };
  }
  if (err.code === "invalid_cursor") {
    return { page: "That page link is out of date or damaged. Start again from the newest." };
  }
  return { page: `${err.message} Start again from the newest.` };
}

function FieldError(props: { id: string; message?: string }) {
  return props.message ? <p class="error" id={props.id}>{props.message}</p> : null;
}

/** The GET form of the timeline's filters. */
function Filters(
  props: {
    kind?: string;
    feed?: string;
    podcasts: ReadonlyArray<readonly [string, string]>;
    errors: FilterErrors;
  },
) {
  const { errors } = props;
  const filtered = Boolean(props.kind || props.feed);
  return (
    <form method="get" action="/timeline" class="filters" aria-label="Filter the timeline">
      <div>
        <label for="timeline-event-type">Activity</label>
        <select
          id="timeline-event-type"
          name="event_type"
          aria-invalid={errors.kind ? "true" : undefined}
          aria-describedby={errors.kind ? "timeline-event-type-error" : undefined}
          autofocus={errors.kind ? true : undefined}
        >
          <option value="">All activity</option>
          {ACTIVITY_KINDS.map((k) => (
            <option value={k} selected={props.kind === k}>{KIND_LABELS[k]}</option>
          ))}
        </select>
        <FieldError id="timeline-event-type-error" message={errors.kind} />
      </div>
      <div>
        <label for="timeline-feed">Podcast</label>
        <select
          id="timeline-feed"
          name="feed"
          aria-invalid={errors.feed ? "true" : undefined}
          aria-describedby={errors.feed ? "timeline-feed-error" : undefined}
          autofocus={errors.feed ? true : undefined}
        >
          <option value="">All podcasts</option>
          {props.podcasts.map(([feed, title]) => (
            <option value={feed} selected={props.feed === feed}>{title}</option>
          ))}
        </select>
        <FieldError id="timeline-feed-error" message={errors.feed} />
      </div>
      <div class="actions">
        <button type="submit">Filter</button>
        {filtered && <a href="/timeline">Clear filters</a>}
      </div>
    </form>
  );
}

/** Podcasts to offer in the filter: the chosen one, those on this page, the trending ones. */
async function filterPodcasts(
  kv: Deno.Kv,
  chosen: string | undefined,
  entries: readonly TimelineOut[],
): Promise<Array<[string, string]>> {
  const names = new Map<string, string>();
  if (chosen) {
    const p = await feedPopularity(kv, chosen);
    names.set(chosen, podcastName(p.feed_title, p.feed_url));
  }
  for (const e of entries) {
    if (!names.has(e.rss_source_feed)) {
      names.set(e.rss_source_feed, podcastName(e.feed_title, e.feed_url));
    }
  }
  for (const p of await trendingPodcasts(kv, FILTER_PODCASTS)) {
    if (!names.has(p.rss_source_feed)) {
      names.set(p.rss_source_feed, podcastName(p.feed_title, p.feed_url));
    }
  }
  return [...names].sort((a, b) => a[1].localeCompare(b[1]));
}

async function timelinePage(c: WebContext, deps: AppDeps): Promise<Response> {
  const { kv } = deps;
  const nav = await navFor(c, deps);
  let q: TimelineQuery | null = null;
  let page: Awaited<ReturnType<typeof listTimeline>> | null = null;
  let errors: FilterErrors = {};
  let status: 200 | 400 | 422 = 200;
  try {
    q = timelineQueryOf(c);
    page = await listTimeline(kv, q);
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    errors = filterErrorsOf(err);
    status = err instanceof ValidationError && err.code === "validation_failed" ? 422 : 400;
  }
  const events = page?.events ?? [];
  // Only a well-formed feed id goes back into the form and the links.
  const feed = q?.feed;
  const kind = q?.type;
  const cover = await coversOf(kv, events.map((e) => e.rss_source_feed));
  const podcasts = await filterPodcasts(kv, feed, events);
  const filters = { type: kind, feed, limit: q?.limit };
  const paged = Boolean(c.req.query("cursor") || c.req.query("offset"));
  return render(
    c,
    <Layout title="Timeline" nav={nav}>
      <p>
        What listeners here subscribe to, play, like and share, newest first. Listeners who keep
        their activity anonymous are counted but never named; private activity never shows.
      </p>
      <Filters kind={kind} feed={feed} podcasts={podcasts} errors={errors} />
      {errors.page && (
        <p class="alert error" role="alert" id="timeline-error">
          {errors.page} <a href={timelineHref({})}>Newest activity</a>
        </p>
      )}
      {page && events.length === 0 && (
        <p class="empty">
          {kind || feed
            ? "No public activity matches these filters yet."
            : "Nothing on the timeline yet. When listeners who share their activity subscribe, play, like or share an episode, it shows up here."}
        </p>
      )}
      {events.length > 0 && (
        <ul class="list" aria-label="Public activity">
          {events.map((e) => <ActivityItem key={e.id} e={e} cover={cover(e.rss_source_feed)} />)}
        </ul>
      )}
      <Pager
        first={paged ? timelineHref(filters) : null}
        next={page?.next_cursor ? timelineHref({ ...filters, cursor: page.next_cursor }) : null}
      />
    </Layout>,
    status,
  );
}

/** `GET /discover`, `GET /timeline`, `GET /u/{username}`. */
export function publicPageRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { kv } = deps;

  app.get("/discover", async (c) => {
    const nav = await navFor(c, deps);
    const [podcasts, episodes] = await Promise.all([
      trendingPodcasts(kv, DISCOVER_SIZE),
      trendingEpisodes(kv, DISCOVER_SIZE),
    ]);
    const period = periodText(deps.config.popularityPeriodMs);
    return render(
      c,
      <Layout title="Discover" nav={nav}>
        <p class="intro">
          What listeners here are into right now. A subscription counts {POINTS.subscribe}{" "}
          points, a play {POINTS.play}, a like {POINTS.save} and a share{" "}
          {POINTS.share}, over the last {period}; the {period}{" "}
          before are shown beside them. Private activity never counts.
        </p>
        <section aria-labelledby="trending-podcasts">
          <h2 id="trending-podcasts">Trending podcasts</h2>
          {podcasts.length === 0
            ? (
              <p class="empty">
                Nothing trending yet. Podcasts show up here once listeners subscribe to them or
                play, like or share their episodes.
              </p>
            )
            : (
              <ul class="grid" aria-labelledby="trending-podcasts">
                {podcasts.map((p) => <PodcastCard key={p.rss_source_feed} p={p} />)}
              </ul>
            )}
        </section>
        <section aria-labelledby="trending-episodes">
          <h2 id="trending-episodes">Trending episodes</h2>
          {episodes.length === 0
            ? (
              <p class="empty">
                No episode is trending yet. Play, like or share one and it may be the first.
              </p>
            )
            : (
              <ul class="grid" aria-labelledby="trending-episodes">
                {episodes.map((e) => <EpisodeCard key={e.rss_source_item} e={e} />)}
              </ul>
            )}
        </section>
        <p>
          <a href="/timeline">See the timeline of public activity</a>
        </p>
      </Layout>,
    );
  });

  app.get("/timeline", (c) => timelinePage(c, deps));

  app.get("/u/:username", async (c) => {
    const nav = await navFor(c, deps);
    const profile = await publicProfile(kv, c.req.param("username"));
    if (!profile) {
      return errorPage(c, 404, "No public profile goes by that name.", nav);
    }
    const view = await profileView(kv, profile);
    return render(
      c,
      <Layout title={profile.username} nav={nav}>
        <ProfileBody view={view} />
      </Layout>,
    );
  });

  return app;
}
