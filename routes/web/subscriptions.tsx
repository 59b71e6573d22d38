/**
 * `GET /subscriptions` (SPEC §10): the user's podcasts with their privacy, adding one by its
 * feed URL (fetched through the safe fetcher, previewed, then confirmed), removing one,
 * OPML import (`POST /subscriptions.opml`) and export (`GET /subscriptions.opml`).
 */
import { Hono } from "hono";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { isoAt } from "../../src/clock.ts";
import { ValidationError } from "../../src/domain/errors.ts";
import { encodeFeedId, isHttpUrl, MAX_FEED_URL_BYTES } from "../../src/domain/ids.ts";
import { isActive } from "../../src/domain/state.ts";
import { sanitizeUrl } from "../../src/gpodder/format.ts";
import { FeedError, type FeedErrorCode } from "../../src/rss/errors.ts";
import { plainSummary } from "../../src/rss/plain_text.ts";
import { type PodcastView, previewPodcast } from "../../src/rss/podcast_view.ts";
import type { AppDeps } from "../../src/services.ts";
import { listSubscriptions } from "../../src/store/queries.ts";
import {
  importOpml,
  OPML_DOWNLOAD_HEADERS,
  subscriptionsOpml,
} from "../../src/subscription_opml.ts";
import type { AppEnv } from "../context.ts";
import { checkCsrf, navOf, readForm, requireUser, WEB_DEVICE, type WebUser } from "./_web.ts";
import { PrivacyForm } from "./actions.tsx";
import { Confirm, Cover, Flash } from "./components.tsx";
import { Field, Layout, render } from "./layout.tsx";
import { Day, episodeName, podcastHref, podcastName } from "./_listening.tsx";

/** What the add form says when the feed cannot be used. */
const FEED_MESSAGES: Record<FeedErrorCode, string> = {
  invalid_url: "That is not an address a podcast feed can have. Enter one that starts with " +
    "https:// or http://.",
  forbidden_address: "That address points to a private or local network, which this server " +
    "never fetches.",
  upstream_error: "The podcast's server could not be reached or answered with an error. Check " +
    "the address and try again.",
  upstream_timeout: "The podcast's server did not answer in time. Try again in a moment.",
  feed_too_large: "That feed is too large to read (more than 10 MiB).",
  invalid_feed: "That address does not lead to a podcast feed (RSS or Atom).",
};

interface PageExtra {
  url?: string;
  urlError?: string;
  opmlError?: string;
  preview?: PodcastView & { subscribed: boolean };
  status?: ContentfulStatusCode;
}

function Preview(props: { preview: NonNullable<PageExtra["preview"]>; csrf: string }) {
  const p = props.preview;
  const name = podcastName(p.feed, p.title);
  const newest = p.episodes[0];
  return (
    <section class="card preview" aria-labelledby="preview-heading">
      <div class="podcast-head">
        <Cover url={p.cover} size="medium" />
        <div>
          <h3 id="preview-heading">{name}</h3>
          {p.author && <p class="muted">{p.author}</p>}
          <p class="small">
            {p.episodes.length} {p.episodes.length === 1 ? "episode" : "episodes"}
            {newest && (
              <>
                {"; the newest: "}
                {episodeName(newest.item, newest.title)}
                {newest.pubDate !== undefined && (
                  <>
                    {" ("}
                    <Day ms={newest.pubDate} />)
                  </>
                )}
              </>
            )}
          </p>
          {p.description && <p class="description">{plainSummary(p.description)}</p>}
          <p class="hint">
            <code>{p.feedUrl}</code>
          </p>
        </div>
      </div>
      {p.subscribed
        ? (
          <p>
            You already follow this podcast. <a href={podcastHref(p.feed)}>Open {name}</a>
          </p>
        )
        : (
          <form method="post" action={`${podcastHref(p.feed)}/subscribe`} class="actions">
            <input type="hidden" name="csrf" value={props.csrf} />
            <input type="hidden" name="return_to" value="/subscriptions?added=1" />
            <button type="submit" aria-label={`Subscribe to ${name}`}>Subscribe</button>
            <a class="button secondary" href="/subscriptions">Cancel</a>
          </form>
        )}
    </section>
  );
}

function importMessage(q: Record<string, string>): string | null {
  const n = (k: string) => /^\d{1,7}$/.test(q[k] ?? "") ? Number(q[k]) : null;
  const [imported, skipped, invalid] = [n("imported"), n("skipped"), n("invalid")];
  if (imported === null || skipped === null || invalid === null) return null;
  return `Import finished: ${imported} imported, ${skipped} skipped (already followed or ` +
    `repeated in the file), ${invalid} invalid.`;
}

function flashOf(q: Record<string, string>): string | null {
  if (q.added === "1") return "Subscribed. Its episodes will appear on your home page.";
  if (q.removed === "1") return "Unsubscribed.";
  return importMessage(q);
}

async function subscriptionsPage(
  c: Context<AppEnv>,
  deps: AppDeps,
  me: WebUser,
  extra: PageExtra = {},
) {
  const [subs, state] = await Promise.all([
    listSubscriptions(deps.kv, me.user.id),
    deps.registry.state(me.user.id),
  ]);
  // Titles come from the metadata cache: fetch the missing ones in the background.
  deps.feeds.backfillMeta(subs.filter((s) => !s.feed_title).map((s) => s.rss_source_feed));
  const csrf = me.session.csrf;
  const inherited = state.privacy.user ?? deps.config.defaultPrivacy;
  const ok = extra.status ? null : flashOf(c.req.query());
  return render(
    c,
    <Layout title="Subscriptions" nav={navOf(me)}>
      <Flash ok={ok} />
      <h2 id="add-heading">Add a podcast</h2>
      <form method="post" action="/subscriptions" aria-labelledby="add-heading">
        <input type="hidden" name="csrf" value={csrf} />
        <Field
          name="url"
          id="feed-url"
          label="Feed URL"
          hint="The address of the podcast's RSS feed, e.g. https://example.com/feed.xml."
          value={extra.url}
          error={extra.urlError}
          maxlength={MAX_FEED_URL_BYTES}
          required
        />
        <button type="submit">Preview</button>
      </form>
      {extra.preview && <Preview preview={extra.preview} csrf={csrf} />}

      <h2 id="subs-heading">Your podcasts</h2>
      {subs.length === 0
        ? <p class="muted">You do not follow any podcast yet.</p>
        : (
          <ul class="list" aria-labelledby="subs-heading">
            {subs.map((s, i) => {
              const name = podcastName(s.rss_source_feed, s.feed_title);
              return (
                <li>
                  <Cover url={s.feed_cover} size="small" />
                  <div class="grow stack">
                    <div>
                      <a href={podcastHref(s.rss_source_feed)}>
                        <strong>{name}</strong>
                      </a>
                      {s.feed_author && <div class="muted small">{s.feed_author}</div>}
                      <div class="muted small">
                        Last episode:{" "}
                        {s.latest_episode_at ? <Day iso={s.latest_episode_at} /> : "not known yet"}
                      </div>
                    </div>
                    <PrivacyForm
                      csrf={csrf}
                      feed={s.rss_source_feed}
                      current={state.privacy.feeds.get(s.rss_source_feed) ?? null}
                      inherited={inherited}
                      returnTo="/subscriptions"
                      label={`Privacy of ${name}`}
                      id={`privacy-${i}`}
                    />
                    <Confirm
                      action={`${podcastHref(s.rss_source_feed)}/unsubscribe`}
                      csrf={csrf}
                      label="Unsubscribe"
                      accessibleLabel={`Unsubscribe from ${name}`}
                      question={`Unsubscribe from ${name}? Your listening history stays.`}
                      confirm="Unsubscribe"
                      fields={{ return_to: "/subscriptions?removed=1" }}
                    />
                  </div>
                </li>
              );
            })}
          </ul>
        )}

      <h2 id="opml-heading">Import and export</h2>
      <form
        method="post"
        action="/subscriptions.opml"
        enctype="multipart/form-data"
        aria-labelledby="opml-heading"
      >
        <input type="hidden" name="csrf" value={csrf} />
        <label for="opml-file">OPML file</label>
        <p class="hint" id="opml-file-hint">
          An export from another podcast app. Podcasts you already follow are skipped.
        </p>
        <input
          type="file"
          id="opml-file"
          name="opml"
          accept=".opml,.xml,text/x-opml,text/xml,application/xml"
          required
          autofocus={extra.opmlError ? true : undefined}
          aria-invalid={extra.opmlError ? "true" : undefined}
          aria-describedby={extra.opmlError ? "opml-file-hint opml-file-error" : "opml-file-hint"}
        />
        {extra.opmlError && <p class="error" id="opml-file-error">{extra.opmlError}</p>}
        <button type="submit">Import OPML</button>
      </form>
      <p>
        <a href="/subscriptions.opml" download="subscriptions.opml">
          Download your subscriptions (OPML)
        </a>
      </p>
    </Layout>,
    extra.status ?? 200,
  );
}

/** The feed URL typed into the add form, cleaned up, or null when it cannot be one. */
function feedUrlOf(raw: string | undefined): string | null {
  const url = sanitizeUrl(raw ?? "");
  if (!url || !isHttpUrl(url)) return null;
  return new TextEncoder().encode(url).length <= MAX_FEED_URL_BYTES ? url : null;
}

/** The subscriptions page, the add-a-podcast preview and OPML import/export. */
export function subscriptionPageRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/subscriptions", async (c) => {
    const me = await requireUser(c, deps);
    if (me instanceof Response) return me;
    return await subscriptionsPage(c, deps, me);
  });

  app.post("/subscriptions", async (c) => {
    const form = await readForm(c);
    const me = await requireUser(c, deps, "/subscriptions");
    if (me instanceof Response) return me;
    checkCsrf(me.session.csrf, form.csrf);
    const typed = (form.url ?? "").slice(0, MAX_FEED_URL_BYTES + 1);
    const url = feedUrlOf(form.url);
    if (!url) {
      const urlError = (form.url ?? "").trim() === ""
        ? "Enter the address of the podcast's feed."
        : FEED_MESSAGES.invalid_url;
      return await subscriptionsPage(c, deps, me, { url: typed, urlError, status: 422 });
    }
    let preview: PodcastView;
    try {
      preview = await previewPodcast(deps, url);
    } catch (err) {
      if (!(err instanceof FeedError)) throw err;
      const urlError = FEED_MESSAGES[err.code];
      return await subscriptionsPage(c, deps, me, { url: typed, urlError, status: 422 });
    }
    const state = await deps.registry.state(me.user.id);
    const subscribed = isActive(state.subscriptions.get(encodeFeedId(url)));
    return await subscriptionsPage(c, deps, me, {
      url: typed,
      preview: { ...preview, subscribed },
    });
  });

  app.get("/subscriptions.opml", async (c) => {
    const me = await requireUser(c, deps);
    if (me instanceof Response) return me;
    const xml = await subscriptionsOpml(deps.kv, me.user, isoAt(deps.clock.now()));
    c.header("Cache-Control", "no-store");
    return c.body(xml, 200, OPML_DOWNLOAD_HEADERS);
  });

  app.post("/subscriptions.opml", async (c) => {
    let body: Record<string, unknown> = {};
    try {
      body = await c.req.parseBody();
    } catch {
      // An unreadable body is reported on the form like a missing file.
    }
    const me = await requireUser(c, deps, "/subscriptions");
    if (me instanceof Response) return me;
    checkCsrf(me.session.csrf, typeof body.csrf === "string" ? body.csrf : undefined);
    const file = body.opml;
    if (!(file instanceof File) || file.size === 0) {
      const opmlError = "Choose an OPML file to import.";
      return await subscriptionsPage(c, deps, me, { opmlError, status: 422 });
    }
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const r = await importOpml(deps, me.user.id, bytes, WEB_DEVICE);
      const q = new URLSearchParams({
        imported: String(r.imported),
        skipped: String(r.skipped),
        invalid: String(r.invalid),
      });
      return c.redirect(`/subscriptions?${q}`, 303);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return await subscriptionsPage(c, deps, me, { opmlError: err.message, status: 422 });
    }
  });

  return app;
}
