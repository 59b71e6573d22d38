/** Plays (SPEC §4.3) and episodes: save, unsave, share, saved list (SPEC §4.4). */
import { type Context, Hono } from "hono";
import { feedAt, Fields, itemAt } from "../input.ts";
import type { AppDeps } from "../../src/services.ts";
import { describePlays, listPlays, listSaved } from "../../src/store/queries.ts";
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

  app.get("/play", read, async (c) => {
    const feedParam = c.req.query("feed");
    const q = {
      played: boolQuery(c, "played"),
      feed: feedParam ? feedAt(feedParam, "feed").feed : undefined,
      limit: intQuery(c, "limit", 50, 1, 500),
      cursor: c.req.query("cursor") || undefined,
    };
    return c.json(await listPlays(deps.kv, c.get("auth").userId, q));
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
