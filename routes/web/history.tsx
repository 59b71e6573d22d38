/**
 * `GET /history` (SPEC §10): the user's plays newest first, filtered (all, in progress,
 * played), in cursor pages, from the same query as `GET /api/v1/play`.
 */
import { Hono } from "hono";
import type { AppDeps } from "../../src/services.ts";
import { feedMetas } from "../../src/store/feed_meta.ts";
import { listPlays } from "../../src/store/queries.ts";
import type { AppEnv } from "../context.ts";
import { HttpError } from "../errors.ts";
import { navOf, requireUser } from "./_web.ts";
import { Cover, Pager, When } from "./components.tsx";
import { Layout, render } from "./layout.tsx";
import {
  episodeHref,
  episodeName,
  ListeningProgress,
  podcastHref,
  podcastName,
  positionText,
} from "./_listening.tsx";

/** Plays per page. */
export const HISTORY_PAGE = 25;

const FILTERS = [
  ["all", "All", undefined],
  ["in-progress", "In progress", false],
  ["played", "Played", true],
] as const;

type Filter = (typeof FILTERS)[number][0];

function historyHref(filter: Filter, cursor?: string): string {
  const q = new URLSearchParams();
  if (filter !== "all") q.set("filter", filter);
  if (cursor) q.set("cursor", cursor);
  const s = q.toString();
  return s ? `/history?${s}` : "/history";
}

/** The history page. */
export function historyPageRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/history", async (c) => {
    const me = await requireUser(c, deps);
    if (me instanceof Response) return me;
    const asked = c.req.query("filter") ?? "all";
    const filter = FILTERS.find(([f]) => f === asked);
    if (!filter) {
      throw new HttpError(400, "invalid_query", "Choose all, in-progress or played.");
    }
    const cursor = c.req.query("cursor") || undefined;
    const page = await listPlays(deps.kv, me.user.id, {
      played: filter[2],
      limit: HISTORY_PAGE,
      cursor,
    });
    const metas = await feedMetas(deps.kv, page.play_statuses.map((p) => p.rss_source_feed));
    return render(
      c,
      <Layout title="History" nav={navOf(me)}>
        <nav aria-label="Filter plays">
          <ul class="nav play-filters">
            {FILTERS.map(([f, label]) => (
              <li>
                <a href={historyHref(f)} aria-current={f === filter[0] ? "page" : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        {page.play_statuses.length === 0
          ? <p class="muted">No plays to show.</p>
          : (
            <ul class="list" aria-label="Plays">
              {page.play_statuses.map((p) => {
                const title = episodeName(p.rss_source_item, p.item_title);
                return (
                  <li>
                    <Cover url={metas.get(p.rss_source_feed)?.cover} size="small" />
                    <div class="grow">
                      <a href={episodeHref(p.rss_source_feed, p.rss_source_item)}>
                        <strong>{title}</strong>
                      </a>
                      <div class="muted small">
                        <a href={podcastHref(p.rss_source_feed)}>
                          {podcastName(p.rss_source_feed, p.feed_title)}
                        </a>
                      </div>
                      {!p.played && (
                        <ListeningProgress
                          position={p.position}
                          duration={p.duration}
                          title={title}
                        />
                      )}
                      <div class="small">
                        {p.played
                          ? <span class="badge status-played">Played</span>
                          : <span class="badge progress">In progress</span>}{" "}
                        {positionText(p.position, p.duration)} · <When iso={p.updated_at} />
                      </div>
                    </div>
                  </li>
                );
              })}
            </ul>
          )}
        <Pager
          first={cursor ? historyHref(filter[0]) : null}
          next={page.next_cursor ? historyHref(filter[0], page.next_cursor) : null}
        />
      </Layout>,
    );
  });

  return app;
}
