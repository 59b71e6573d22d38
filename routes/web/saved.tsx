/** `GET /saved`: the episodes a listener saved (liked), newest first (SPEC §10). */
import { Hono } from "hono";
import type { AppDeps } from "../../src/services.ts";
import { labelEpisodes } from "../../src/store/episode_labels.ts";
import { listPlaylists, listSaved } from "../../src/store/queries.ts";
import type { AppEnv } from "../context.ts";
import { EpisodeSummary } from "./_episodes.tsx";
import { navOf, requireUser } from "./_web.ts";
import { EpisodeButton } from "./actions.tsx";
import { When } from "./components.tsx";
import { Layout, render } from "./layout.tsx";
import { AddToPlaylistForm } from "./playlists.tsx";

/** The saved episodes page. */
export function savedPageRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/saved", async (c) => {
    const me = await requireUser(c, deps);
    if (me instanceof Response) return me;
    const saved = await listSaved(deps.kv, me.user.id);
    const labels = await labelEpisodes(
      deps.kv,
      saved.map((s) => ({ feed: s.rss_source_feed, item: s.rss_source_item })),
    );
    const playlists = (await listPlaylists(deps.kv, me.user.id))
      .map((p) => ({ id: p.id, name: p.name }));
    const csrf = me.session.csrf;
    return render(
      c,
      <Layout title="Saved episodes" nav={navOf(me)}>
        {saved.length === 0
          ? (
            <p>
              Nothing saved yet. Save an episode from its page, or with the favourite button of your
              podcast app, and it appears here.
            </p>
          )
          : (
            <ul class="list">
              {saved.map((s, i) => {
                const label = labels[i];
                return (
                  <li>
                    <EpisodeSummary label={label}>
                      <p class="muted small">
                        Saved <When iso={s.saved_at} />
                      </p>
                      <div class="actions">
                        <EpisodeButton
                          csrf={csrf}
                          feed={s.rss_source_feed}
                          item={s.rss_source_item}
                          action="unsave"
                          label="Remove from saved"
                          accessibleLabel={`Remove from saved: ${label.title}`}
                          returnTo="/saved"
                        />
                        {playlists.length > 0 && (
                          <AddToPlaylistForm
                            playlists={playlists}
                            feed={s.rss_source_feed}
                            item={s.rss_source_item}
                            csrf={csrf}
                            returnTo="/saved"
                            id={`add-to-playlist-${i}`}
                            episodeTitle={label.title}
                          />
                        )}
                      </div>
                    </EpisodeSummary>
                  </li>
                );
              })}
            </ul>
          )}
      </Layout>,
    );
  });

  return app;
}
