/**
 * The public API (SPEC §5) at `/api/v1/public`: trending podcasts and episodes, one feed's
 * or episode's popularity, the community timeline and public profiles. No auth; limited
 * per client IP; CORS `*` and `Cache-Control: public, max-age=60` on every answer.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { cors } from "hono/cors";
import { decodeFeedId, decodeItemId } from "../src/domain/ids.ts";
import type { AppDeps } from "../src/services.ts";
import {
  episodePopularity,
  feedPopularity,
  listTimeline,
  MAX_TIMELINE_OFFSET,
  parseActivityKind,
  publicPlaylist,
  publicProfile,
  type TimelineQuery,
  trendingEpisodes,
  trendingPodcasts,
} from "../src/store/public_queries.ts";
import type { AppEnv } from "./context.ts";
import { HttpError } from "./errors.ts";
import { intQuery } from "./query.ts";
import { limitPerIp } from "./rate_limit.ts";

/** Most entries one trending answer holds. */
export const TRENDING_MAX = 100;
/** Most entries one timeline page holds. */
export const TIMELINE_MAX = 200;

/**
 * The page and filters a timeline request asks for (`limit`, `offset`, `cursor`,
 * `event_type`, `feed`): the API and the timeline page read them alike.
 * @throws {ValidationError} `validation_failed` (422) for a bad limit, offset or event_type
 * (details name the parameter), `invalid_feed_id` (400) for a bad feed.
 */
export function timelineQueryOf(c: Context): TimelineQuery {
  const typeParam = c.req.query("event_type");
  const feedParam = c.req.query("feed");
  return {
    limit: intQuery(c, "limit", 50, 1, TIMELINE_MAX),
    offset: intQuery(c, "offset", 0, 0, MAX_TIMELINE_OFFSET),
    cursor: c.req.query("cursor") || undefined,
    type: typeParam ? parseActivityKind(typeParam) : undefined,
    feed: feedParam ? decodeFeedId(feedParam).feed : undefined,
  };
}

function notFound(): never {
  throw new HttpError(404, "not_found", "No such public profile or playlist.");
}

/** Mount at `/api/v1/public`, before the authenticated API. */
export function publicRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { kv } = deps;
  app.use("*", cors({ origin: "*", allowMethods: ["GET", "HEAD", "OPTIONS"] }));
  app.use("*", limitPerIp(deps));
  app.use("*", async (c, next) => {
    await next();
    if (c.res.status < 400) c.header("Cache-Control", "public, max-age=60");
    else c.header("Cache-Control", "no-store");
  });

  app.get("/trending/podcasts", async (c) => {
    const limit = intQuery(c, "limit", 20, 1, TRENDING_MAX);
    return c.json({ podcasts: await trendingPodcasts(kv, limit) });
  });

  app.get("/trending/episodes", async (c) => {
    const limit = intQuery(c, "limit", 20, 1, TRENDING_MAX);
    const feedParam = c.req.query("feed");
    const feed = feedParam === undefined ? undefined : decodeFeedId(feedParam).feed;
    return c.json({ episodes: await trendingEpisodes(kv, limit, feed) });
  });

  app.get("/feed/:feed/popularity", async (c) => {
    const { feed } = decodeFeedId(c.req.param("feed"));
    return c.json(await feedPopularity(kv, feed));
  });

  app.get("/episode/:item/popularity", async (c) => {
    const { item } = decodeItemId(c.req.param("item"));
    const feedParam = c.req.query("feed");
    const feed = feedParam === undefined ? undefined : decodeFeedId(feedParam).feed;
    return c.json(await episodePopularity(kv, item, feed));
  });

  app.get("/timeline", async (c) => c.json(await listTimeline(kv, timelineQueryOf(c))));

  app.get("/users/:username", async (c) => {
    const profile = await publicProfile(kv, c.req.param("username"));
    return profile ? c.json(profile) : notFound();
  });

  app.get("/users/:username/playlists/:id", async (c) => {
    const found = await publicPlaylist(kv, c.req.param("username"), c.req.param("id"));
    return found ? c.json(found) : notFound();
  });

  // Anything else under /api/v1/public is a plain 404 (not the API's 401).
  app.all("*", () => {
    throw new HttpError(404, "not_found", "No such resource.");
  });

  return app;
}
