/** All server-rendered account pages (SPEC §2.1–2.4), mounted at the site root. */
import { Hono } from "hono";
import type { AppDeps } from "../../src/services.ts";
import type { AppEnv } from "../context.ts";
import { appsPageRoutes } from "./apps.tsx";
import { appPasswordPageRoutes } from "./app_passwords.tsx";
import { devicesPageRoutes } from "./devices.tsx";
import { loginFlowRoutes } from "./login_flow.tsx";
import { authorizeRoutes } from "./authorize.tsx";
import { tokensPageRoutes } from "./tokens.tsx";
import { userRoutes } from "./users.tsx";
import { webActionRoutes } from "./actions.tsx";
import { publicPageRoutes } from "./public_pages.tsx";
import { settingsPageRoutes } from "./settings.ts";

/**
 * The web pages: `/users/register`, `/users/log_in`, `/users/log_out`, `/authorize`,
 * `/apps`, `/users/tokens`. Mount with `app.route("/", webRoutes(deps))`; they use cookies,
 * not request JWTs, so they must not sit behind `requireAuth`.
 */
export function webRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.route("/", userRoutes(deps));
  app.route("/", authorizeRoutes(deps));
  app.route("/", appsPageRoutes(deps));
  app.route("/", tokensPageRoutes(deps));
  app.route("/", appPasswordPageRoutes(deps));
  app.route("/", devicesPageRoutes(deps));
  app.route("/", loginFlowRoutes(deps));
  app.route("/", webActionRoutes(deps));
  app.route("/", publicPageRoutes(deps));
  app.route("/", settingsPageRoutes(deps));
  return app;
}
