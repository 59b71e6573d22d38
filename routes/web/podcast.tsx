/**
 * `GET /podcasts/{feed}` (SPEC §10): a podcast with its episodes and each one's status for
 * this user, subscribe / unsubscribe, its privacy and its public popularity.
 * `POST /podcasts/{feed}/subscribe|unsubscribe` run the same commands as the REST API.
 */
import { Hono } from "hono";
import { isActive } from "../../src/domain/state.ts";
import { plainParagraphs } from "../../src/rss/plain_text.ts";
import { followFeed, podcastView } from "../../src/rss/podcast_view.ts";
import type { AppDeps } from "../../src/services.ts";
import { feedPopularity, type PodcastPopularity } from "../../src/store/public_queries.ts";
import type { AppEnv } from "../context.ts";
import { feedAt } from "../input.ts";
import { backTo, checkCsrf, navOf, readForm, requireUser, WEB_DEVICE } from "./_web.ts";
import { PrivacyForm } from "./actions.tsx";
import { Confirm, Cover, formatDuration } from "./components.tsx";
import { Layout, render } from "./layout.tsx";
import {
  Day,
  episodeHref,
  episodeName,
  LoadProblem,
  Notes,
  podcastHref,
  podcastName,
  StatusBadges,
} from "./_listening.tsx";

/** Episodes listed at most on a podcast's page. */
const EPISODES_SHOWN = 300;
/** How long a subscription waits for its feed before answering (the rest goes on behind). */
const FOLLOW_WAIT_MS = 2_000;

function Popularity(props: { pop: PodcastPopularity }) {
  const p = props.pop;
  const rows: [string, number, number][] = [
    ["Score", p.score, p.score_previous],
    ["Plays", p.plays, p.plays_previous],
    ["Likes", p.likes, p.likes_previous],
  ];
  return (
    <>
      <table class="stats">
        <thead>
          <tr>
            <th scope="col">Public activity</th>
            <th scope="col">This period</th>
            <th scope="col">Previous period</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([label, now, before]) => (
            <tr>
              <th scope="row">{label}</th>
              <td>{now}</td>
              <td>{before}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {p.plays_people.length > 0 && (
        <p class="small">
          Recently played by {p.plays_people.map((u, i) => (
            <>
              {i > 0 && ", "}
              <a href={`/u/${encodeURIComponent(u)}`}>{u}</a>
            </>
          ))}
        </p>
      )}
    </>
  );
}

/** The podcast page and its subscribe / unsubscribe forms. */
export function podcastPageRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/podcasts/:feed", async (c) => {
    const me = await requireUser(c, deps);
    if (me instanceof Response) return me;
    const { feed, feedUrl } = feedAt(c.req.param("feed"), "feed");
    const state = await deps.registry.state(me.user.id);
    const subscribed = isActive(state.subscriptions.get(feed));
    const [view, pop] = await Promise.all([
      podcastView(deps, feedUrl, { wanted: subscribed }),
      feedPopularity(deps.kv, feed),
    ]);
    const name = podcastName(feed, view.title ?? pop.feed_title);
    const csrf = me.session.csrf;
    const here = podcastHref(feed);
    const shown = view.episodes.slice(0, EPISODES_SHOWN);
    return render(
      c,
      <Layout title={name} heading={false} nav={navOf(me)}>
        <div class="podcast-head">
          <Cover url={view.cover ?? pop.feed_cover?.src} size="large" />
          <div class="stack">
            <h1>{name}</h1>
            {view.author && <p class="muted">{view.author}</p>}
            <p class="hint">
              <code>{feedUrl}</code>
            </p>
            <div class="actions">
              {subscribed
                ? (
                  <Confirm
                    action={`${here}/unsubscribe`}
                    csrf={csrf}
                    label="Unsubscribe"
                    accessibleLabel={`Unsubscribe from ${name}`}
                    question={`Unsubscribe from ${name}? Your listening history stays.`}
                    confirm="Unsubscribe"
                    fields={{ return_to: here }}
                  />
                )
                : (
                  <form method="post" action={`${here}/subscribe`} class="inline">
                    <input type="hidden" name="csrf" value={csrf} />
                    <input type="hidden" name="return_to" value={here} />
                    <button type="submit" class="small" aria-label={`Subscribe to ${name}`}>
                      Subscribe
                    </button>
                  </form>
                )}
            </div>
            <PrivacyForm
              csrf={csrf}
              feed={feed}
              current={state.privacy.feeds.get(feed) ?? null}
              inherited={state.privacy.user ?? deps.config.defaultPrivacy}
              returnTo={here}
              label="Privacy of this podcast"
              id="podcast-privacy"
            />
          </div>
        </div>
        <LoadProblem view={view} />
        {view.description && <Notes paragraphs={plainParagraphs(view.description, 4000)} />}
        <h2 id="popularity-heading">Popularity</h2>
        <Popularity pop={pop} />
        <h2 id="episodes-heading">Episodes</h2>
        {shown.length === 0
          ? <p class="muted">No episodes to show.</p>
          : (
            <ul class="list" aria-labelledby="episodes-heading">
              {shown.map((e) => (
                <li>
                  <div class="grow">
                    <a href={episodeHref(feed, e.item)}>
                      <strong>{episodeName(e.item, e.title)}</strong>
                    </a>
                    <div class="muted small">
                      <Day ms={e.pubDate} />
                      {e.pubDate !== undefined && e.duration ? " · " : ""}
                      {e.duration ? formatDuration(e.duration) : ""}
                    </div>
                    <StatusBadges play={state.plays.get(e.item)} saved={state.saved.has(e.item)} />
                  </div>
                </li>
              ))}
            </ul>
          )}
        {view.episodes.length > shown.length && (
          <p class="muted">
            Showing the newest {shown.length} of {view.episodes.length} episodes.
          </p>
        )}
      </Layout>,
    );
  });

  app.post("/podcasts/:feed/subscribe", async (c) => {
    const form = await readForm(c);
    const me = await requireUser(c, deps, "/subscriptions");
    if (me instanceof Response) return me;
    checkCsrf(me.session.csrf, form.csrf);
    const { feed, feedUrl } = feedAt(c.req.param("feed"), "feed");
    await deps.registry.execute(me.user.id, { type: "Subscribe", data: { feed } }, WEB_DEVICE);
    await followFeed(deps, feedUrl, FOLLOW_WAIT_MS);
    return c.redirect(backTo(form, podcastHref(feed)), 303);
  });

  app.post("/podcasts/:feed/unsubscribe", async (c) => {
    const form = await readForm(c);
    const me = await requireUser(c, deps, "/subscriptions");
    if (me instanceof Response) return me;
    checkCsrf(me.session.csrf, form.csrf);
    const { feed } = feedAt(c.req.param("feed"), "feed");
    await deps.registry.execute(me.user.id, { type: "Unsubscribe", data: { feed } }, WEB_DEVICE);
    return c.redirect(backTo(form, podcastHref(feed)), 303);
  });

  return app;
}
