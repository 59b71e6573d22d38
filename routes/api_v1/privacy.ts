/** Privacy settings (SPEC §4.5) at user, feed and item level. */
import { Hono } from "hono";
import type { Context } from "hono";
import type { PrivacyLevel } from "../../src/domain/events.ts";
import { feedAt, Fields, itemAt } from "../input.ts";
import { PRIVACY_LEVELS } from "../../src/domain/privacy.ts";
import type { AppDeps } from "../../src/services.ts";
import { effectivePrivacyAt, listPrivacy, type PrivacyTarget } from "../../src/store/queries.ts";
import { requireScope } from "../auth_middleware.ts";
import { readJsonObject } from "../body.ts";
import type { AppEnv } from "../context.ts";
import { execute } from "./_helpers.ts";

type Target = PrivacyTarget;

/** The scope named by optional feed/item values (an item needs its feed). */
function targetOf(feedValue: unknown, itemValue: unknown, where: string): Target {
  if (itemValue !== undefined && itemValue !== null && itemValue !== "") {
    if (feedValue === undefined || feedValue === null || feedValue === "") {
      const f = new Fields();
      f.add("feed", "required with item");
      f.done();
    }
    return {
      scope: "item",
      feed: feedAt(feedValue, `${where}feed`).feed,
      item: itemAt(itemValue, `${where}item`).item,
    };
  }
  if (feedValue !== undefined && feedValue !== null && feedValue !== "") {
    return { scope: "feed", feed: feedAt(feedValue, `${where}feed`).feed };
  }
  return { scope: "user" };
}

function effective(deps: AppDeps, userId: string, t: Target) {
  return effectivePrivacyAt(deps.kv, userId, t, deps.config.defaultPrivacy);
}

/** A target in the API's field names. */
function targetView(t: Target) {
  return {
    scope: t.scope,
    ...(t.feed ? { rss_source_feed: t.feed } : {}),
    ...(t.item ? { rss_source_item: t.item } : {}),
  };
}

function queryTarget(c: Context<AppEnv>): Target {
  return targetOf(c.req.query("feed"), c.req.query("item"), "");
}

/** `/privacy`, scopes `user.privacy.read|write`. */
export function privacyRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const read = requireScope("user.privacy.read");
  const write = requireScope("user.privacy.write");

  app.get("/privacy", read, async (c) => {
    const userId = c.get("auth").userId;
    const t = queryTarget(c);
    if (t.scope !== "user") return c.json(await effective(deps, userId, t));
    const p = await listPrivacy(deps.kv, userId);
    return c.json({
      privacy: p.user ?? deps.config.defaultPrivacy,
      source: p.user ? "user" : "default",
      feeds: p.feeds.map((f) => ({ rss_source_feed: f.rss_source_feed, privacy: f.privacy })),
      items: p.items.map((i) => ({
        rss_source_feed: i.rss_source_feed,
        rss_source_item: i.rss_source_item,
        privacy: i.privacy,
      })),
    });
  });

  app.put("/privacy", write, async (c) => {
    const body = await readJsonObject(c);
    const f = new Fields();
    const privacy = f.oneOf<PrivacyLevel>(body, "privacy", PRIVACY_LEVELS);
    f.done();
    const t = targetOf(body.feed ?? body.rss_source_feed, body.item ?? body.rss_source_item, "");
    await execute(deps, c, { type: "ChangePrivacy", data: { ...t, privacy: privacy! } });
    return c.json({ ...targetView(t), ...(await effective(deps, c.get("auth").userId, t)) });
  });

  app.delete("/privacy", write, async (c) => {
    const t = queryTarget(c);
    const r = await execute(deps, c, { type: "ChangePrivacy", data: { ...t, privacy: null } });
    return c.json({
      ...targetView(t),
      removed: r.events.length > 0,
      ...(await effective(deps, c.get("auth").userId, t)),
    });
  });

  return app;
}
