/**
 * `GET /privacy` and `POST /privacy/erase` (SPEC §10, §4.5, §7.3): the default level, every
 * per-podcast and per-episode override (changed or removed through `PrivacyForm`), and
 * erasing the listening history of one episode, one podcast or everything, each behind a
 * confirmation.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import type { PrivacyLevel } from "../../src/domain/events.ts";
import { eraseHistory } from "../../src/lifecycle/data_rights.ts";
import type { AppDeps } from "../../src/services.ts";
import { labelEpisodes, labelFeeds } from "../../src/store/episode_labels.ts";
import { listPlays, listPrivacy, listSaved, listSubscriptions } from "../../src/store/queries.ts";
import type { AppEnv } from "../context.ts";
import { HttpError } from "../errors.ts";
import { feedAt, itemAt } from "../input.ts";
import { EpisodeSummary, PodcastSummary } from "./_episodes.tsx";
import { flash, flashed } from "./_flash.ts";
import {
  backTo,
  checkCsrf,
  navOf,
  readForm,
  requireUser,
  WEB_DEVICE,
  type WebUser,
} from "./_web.ts";
import { PrivacyForm } from "./actions.tsx";
import { Flash } from "./components.tsx";
import { Layout, render } from "./layout.tsx";
import { EraseForms, type EraseKind } from "./privacy_erase.tsx";

type WebContext = Context<AppEnv>;

const SLOT = "privacy";
/** Recent plays offered in the "erase one episode" list. */
const RECENT_EPISODES = 100;

/** The privacy page of a logged-in user. */
export function privacyPageRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  async function page(
    c: WebContext,
    me: WebUser,
    extra: { ok?: string | null; errors?: Partial<Record<EraseKind, string>> } = {},
    status: 200 | 422 = 200,
  ) {
    const { kv } = deps;
    const userId = me.user.id;
    const privacy = await listPrivacy(kv, userId);
    const defaultLevel = deps.config.defaultPrivacy;
    const userLevel: PrivacyLevel = privacy.user ?? defaultLevel;
    const feedLevels = new Map(privacy.feeds.map((f) => [f.rss_source_feed!, f.privacy]));
    const feedOverrides = await labelFeeds(kv, privacy.feeds.map((f) => f.rss_source_feed!));
    const itemOverrides = await labelEpisodes(
      kv,
      privacy.items.map((i) => ({ feed: i.rss_source_feed, item: i.rss_source_item! })),
    );
    // What may be erased: podcasts and episodes the user has traces of.
    const subs = await listSubscriptions(kv, userId, { includeAll: true });
    const plays = (await listPlays(kv, userId, { limit: RECENT_EPISODES })).play_statuses;
    const saved = await listSaved(kv, userId);
    const feeds = [
      ...new Set([
        ...subs.map((s) => s.rss_source_feed),
        ...plays.map((p) => p.rss_source_feed),
        ...saved.map((s) => s.rss_source_feed),
        ...feedLevels.keys(),
      ]),
    ];
    const episodes = new Map<string, { feed: string; item: string }>();
    for (const p of [...plays, ...saved]) {
      episodes.set(p.rss_source_item, { feed: p.rss_source_feed, item: p.rss_source_item });
    }
    const csrf = me.session.csrf;
    return render(
      c,
      <Layout title="Privacy" nav={navOf(me)}>
        <Flash ok={extra.ok} />
        <p>
          What you play, save and subscribe to can feed the public timeline and the trending lists.
          {" "}
          <strong>Public</strong> shows it with your name, <strong>anonymous</strong>{" "}
          counts it without your name, <strong>private</strong>{" "}
          keeps it to yourself. A podcast or an episode may have its own level.
        </p>
        <h2>Default level</h2>
        <PrivacyForm
          csrf={csrf}
          current={userLevel}
          returnTo="/privacy"
          label="Your default level"
          id="privacy-default"
        />
        {!privacy.user && (
          <p class="hint">This is the server's default; choose one to make it yours.</p>
        )}
        <h2>Podcasts with their own level</h2>
        {feedOverrides.length === 0
          ? (
            <p>
              None. Change a podcast's level from your <a href="/subscriptions">subscriptions</a>
              {" "}
              or its page.
            </p>
          )
          : (
            <ul class="list">
              {feedOverrides.map((f, i) => (
                <li>
                  <PodcastSummary label={f}>
                    <PrivacyForm
                      csrf={csrf}
                      feed={f.feed}
                      current={feedLevels.get(f.feed)}
                      inherited={userLevel}
                      returnTo="/privacy"
                      label={`Privacy of ${f.title}`}
                      id={`privacy-feed-${i}`}
                    />
                  </PodcastSummary>
                </li>
              ))}
            </ul>
          )}
        <h2>Episodes with their own level</h2>
        {itemOverrides.length === 0 ? <p>None.</p> : (
          <ul class="list">
            {itemOverrides.map((e, i) => (
              <li>
                <EpisodeSummary label={e}>
                  {e.feed
                    ? (
                      <PrivacyForm
                        csrf={csrf}
                        feed={e.feed}
                        item={e.item}
                        current={privacy.items[i].privacy}
                        inherited={feedLevels.get(e.feed) ?? userLevel}
                        returnTo="/privacy"
                        label={`Privacy of ${e.title}`}
                        id={`privacy-item-${i}`}
                      />
                    )
                    : <p class="muted">{privacy.items[i].privacy}</p>}
                </EpisodeSummary>
              </li>
            ))}
          </ul>
        )}
        <EraseForms
          csrf={csrf}
          feeds={await labelFeeds(kv, feeds)}
          episodes={await labelEpisodes(kv, [...episodes.values()])}
          errors={extra.errors ?? {}}
        />
      </Layout>,
      status,
    );
  }

  app.get("/privacy", async (c) => {
    const me = await requireUser(c, deps);
    if (me instanceof Response) return me;
    return await page(c, me, { ok: await flashed<string>(c, deps, me, SLOT) });
  });

  app.post("/privacy/erase", async (c) => {
    const form = await readForm(c);
    const me = await requireUser(c, deps, "/privacy");
    if (me instanceof Response) return me;
    checkCsrf(me.session.csrf, form.csrf);
    const kind = form.scope as EraseKind;
    let target: { feed?: string; item?: string };
    if (kind === "all") target = {};
    else if (kind === "podcast") target = { feed: feedAt(form.feed, "feed").feed };
    else if (kind === "episode") {
      const [rawFeed, rawItem] = form.episode ? form.episode.split(" ") : [form.feed, form.item];
      target = { feed: feedAt(rawFeed, "feed").feed, item: itemAt(rawItem, "item").item };
    } else throw new HttpError(400, "invalid_form", "Choose what to erase.");
    if (form.confirm !== "yes") {
      const errors = { [kind]: "Tick the box to confirm: an erased history cannot come back." };
      return await page(c, me, { errors }, 422);
    }
    const r = await eraseHistory(deps, me.user.id, target, WEB_DEVICE);
    const what = target.item
      ? `of “${
        (await labelEpisodes(deps.kv, [{ feed: target.feed, item: target.item }]))[0].title
      }”`
      : target.feed
      ? `of “${(await labelFeeds(deps.kv, [target.feed]))[0].title}”`
      : "of everything";
    const count = `${r.eventsDeleted} record${r.eventsDeleted === 1 ? "" : "s"}`;
    await flash(c, deps, me, SLOT, `Your listening history ${what} was erased (${count}).`);
    return c.redirect(backTo(form, "/privacy"), 303);
  });

  return app;
}
