/** All server-rendered account pages (SPEC §2.1–2.4), mounted at the site root. */
import { Hono } from "hono";
import type { AuthDeps } from "../../src/auth/deps.ts";
import type { AppEnv } from "../context.ts";
import { appsPageRoutes } from "./apps.tsx";
import { authorizeRoutes } from "./authorize.tsx";
import { tokensPageRoutes } from "./tokens.tsx";
import { userRoutes } from "./users.tsx";

/**
 * The web pages: `/users/register`, `/users/log_in`, `/users/log_out`, `/authorize`,
 * `/apps`, `/users/tokens`. Mount with `app.route("/", webRoutes(deps))`; they use cookies,
 * not request JWTs, so they must not sit behind `requireAuth`.
 */
export function webRoutes(deps: AuthDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.route("/", userRoutes(deps));
  app.route("/", authorizeRoutes(deps));
  app.route("/", appsPageRoutes(deps));
  app.route("/", tokensPageRoutes(deps));
  return app;
}
