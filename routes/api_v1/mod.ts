/** The authenticated REST API v1: every route behind a verified request JWT. */
import { Hono } from "hono";
import type { AppDeps } from "../../src/services.ts";
import { requireAuth } from "../auth_middleware.ts";
import { limitPerUser } from "../rate_limit.ts";
import type { AppEnv } from "../context.ts";
import { accountRoutes } from "./account.ts";
import { appsRoutes } from "./apps.ts";
import { appPasswordRoutes } from "./app_passwords.ts";
import { exportRoutes } from "./export.ts";
import { meRoutes } from "./me.ts";
import { playlistRoutes } from "./playlists.ts";
import { playRoutes } from "./plays.ts";
import { privacyRoutes } from "./privacy.ts";
import { subscriptionRoutes } from "./subscriptions.ts";
import { syncRoutes } from "./sync.ts";
import { tokensRoutes } from "./tokens.ts";

/** Mount at `/api/v1` after the unauthenticated `/api/v1/...` routes. */
export function apiV1Routes(deps: AppDeps): Hono<AppEnv> {
  const api = new Hono<AppEnv>();
  api.use("*", requireAuth(deps), limitPerUser(deps));
  for (
    const routes of [
      meRoutes,
      appsRoutes,
      tokensRoutes,
      appPasswordRoutes,
      syncRoutes,
      subscriptionRoutes,
      playRoutes,
      privacyRoutes,
      playlistRoutes,
      exportRoutes,
      accountRoutes,
    ]
  ) api.route("/", routes(deps));
  return api;
}
