/** The saved, playlists, privacy and account pages, mounted together by `web/mod.ts`. */
import { Hono } from "hono";
import type { AppDeps } from "../../src/services.ts";
import type { AppEnv } from "../context.ts";
import { accountPageRoutes } from "./account.tsx";
import { playlistPageRoutes } from "./playlists.tsx";
import { privacyPageRoutes } from "./privacy.tsx";
import { savedPageRoutes } from "./saved.tsx";

/** `/saved`, `/playlists…`, `/privacy…`, `/account…`. */
export function settingsPageRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.route("/", savedPageRoutes(deps));
  app.route("/", playlistPageRoutes(deps));
  app.route("/", privacyPageRoutes(deps));
  app.route("/", accountPageRoutes(deps));
  return app;
}
