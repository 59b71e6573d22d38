/** `GET /api/v1/export` (SPEC §4.7): everything the server holds on the user, as JSON. */
import { Hono } from "hono";
import { getUserById } from "../../src/auth/users.ts";
import { listAppTokens } from "../../src/auth/app_tokens.ts";
import { listUserTokens } from "../../src/auth/user_tokens.ts";
import { isoAt } from "../../src/clock.ts";
import type { AppDeps } from "../../src/services.ts";
import { listPrivacy, listSaved } from "../../src/store/queries.ts";
import { requireScope } from "../auth_middleware.ts";
import type { AppEnv } from "../context.ts";
import { mergedState } from "./sync.ts";

/** How many of the newest events the export carries (the state covers the rest). */
export const EXPORT_RECENT_EVENTS = 1000;

/** `/export`, scope `user.read` (or `*`). */
export function exportRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/export", requireScope("user.read"), async (c) => {
    const { userId } = c.get("auth");
    const user = await getUserById(deps, userId);
    const state = await deps.registry.state(userId);
    const from = Math.max(0, state.seq - EXPORT_RECENT_EVENTS);
    const events = await deps.store.readEvents(userId, from);
    const privacy = await listPrivacy(deps.kv, userId);
    const apps = await listAppTokens(deps, userId);
    return c.json({
      exported_at: isoAt(deps.clock.now()),
      user: user && {
        user_id: user.id,
        username: user.username,
        email: user.email,
        role: user.role,
        created_at: user.created_at,
      },
      ...(await mergedState(deps, state)),
      saved_episodes: await listSaved(deps.kv, userId),
      shared_episodes: [...state.shared.values()].map((s) => ({
        rss_source_feed: s.feed,
        rss_source_item: s.item,
        shared_at: s.at,
      })),
      privacy: {
        privacy: privacy.user ?? deps.config.defaultPrivacy,
        feeds: privacy.feeds,
        items: privacy.items,
      },
      apps: apps.map((a) => ({
        app_id: a.app_id,
        app_name: a.app_name,
        scopes: a.scopes,
        created_at: a.created_at,
        revoked_at: a.revoked_at,
      })),
      user_tokens: await listUserTokens(deps, userId),
      events_total: state.seq,
      events,
    });
  });
  return app;
}
