/** Plays (SPEC §4.3) and episodes: save, unsave, share, saved list (SPEC §4.4). */
import { type Context, Hono } from "hono";
import { feedAt, Fields, itemAt } from "../input.ts";
import type { AppDeps } from "../../src/services.ts";
import { describePlays, listPlays, listSaved } from "../../src/store/queries.ts";
import { headPoint, playsSince } from "../../src/store/delta_queries.ts";
import { readSyncToken, syncToken } from "../../src/store/sync_changes.ts";
import { requireScope } from "../auth_middleware.ts";
import { readJsonObject } from "../body.ts";
import type { AppEnv } from "../context.ts";
import { boolQuery, intQuery, requiredQuery } from "../query.ts";
import { execute } from "./_helpers.ts";

/** `/play…` and `/episodes…`, scopes `user.plays.read|write`. */
export function playRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const read = requireScope("user.plays.read");
  const write = requireScope("user.plays.write");

  // `?since=<sync_token>`: the play statuses changed after that token (at most `limit`,
  // filtered, newest `updated_at` first) with `sync_token`; `next_cursor`, when more
  // changed, is a sync token to send as `cursor` (or as `since`). A token the server can no
  // longer answer from gets the listing below with `full: true`. Without `since`, the first
  // page (no `cursor`) also carries the `sync_token` the listing starts from.
  app.get("/play", read, async (c) => {
    const userId = c.get("auth").userId;
    const now = deps.clock.now();
    const feedParam = c.req.query("feed");
    const q = {
      played: boolQuery(c, "played"),
      feed: feedParam ? feedAt(feedParam, "feed").feed : undefined,
      limit: intQuery(c, "limit", 50, 1, 500),
      cursor: c.req.query("cursor") || undefined,
    };
    const sinceParam = c.req.query("since") || undefined;
    if (sinceParam !== undefined) {
      const since = await readSyncToken(userId, sinceParam, { now });
      return c.json(await playsSince(deps, userId, since, { now, query: q }));
    }
    if (q.cursor !== undefined) return c.json(await listPlays(deps.kv, userId, q));
    const head = await headPoint(deps, userId, now);
    const page = await listPlays(deps.kv, userId, q);
    return c.json({ ...page, sync_token: await syncToken(userId, head) });
  });

  app.post("/play", write, async (c) => {
    const body = await readJsonObject(c);
    const { feed } = feedAt(body.rss_source_feed, "rss_source_feed");
    const { item } = itemAt(body.rss_source_item, "rss_source_item");
    const f = new Fields();
    const position = f.int(body, "position");
    const played = f.bool(body, "played", { optional: true });
    const duration = f.int(body, "duration", { optional: true });
    f.done();
    const r = await execute(deps, c, {
      type: "RecordPlay",
      data: { feed, item, position: position!, played, duration },
    });
    const [out] = await describePlays(deps.kv, [r.state.plays.get(item)!]);
    return c.json(out);
  });

  app.put("/play/:item/position", write, async (c) => {
    const { item } = itemAt(c.req.param("item"), "item");
    const body = await readJsonObject(c);
    const f = new Fields();
    const position = f.int(body, "position");
    f.done();
    const r = await execute(deps, c, {
      type: "UpdatePosition",
      data: { item, position: position! },
    });
    const [out] = await describePlays(deps.kv, [r.state.plays.get(item)!]);
    return c.json(out);
  });

  app.get("/episodes/saved", read, async (c) => {
    return c.json({ episodes: await listSaved(deps.kv, c.get("auth").userId) });
  });

  const mark =
    (type: "SaveEpisode" | "UnsaveEpisode" | "ShareEpisode") => async (c: Context<AppEnv>) => {
      const { item } = itemAt(c.req.param("item"), "item");
      const { feed } = feedAt(requiredQuery(c, "feed"), "feed");
      const r = await execute(deps, c, { type, data: { feed, item } });
      return c.json({
        rss_source_feed: feed,
        rss_source_item: item,
        saved: r.state.saved.has(item),
        shared: r.state.shared.has(item),
        changed: r.events.length > 0,
      });
    };
  app.post("/episodes/:item/save", write, mark("SaveEpisode"));
  app.delete("/episodes/:item/save", write, mark("UnsaveEpisode"));
  app.post("/episodes/:item/share", write, mark("ShareEpisode"));

  return app;
}
