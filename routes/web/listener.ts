/** The listener's core pages (SPEC §10), mounted together by `webRoutes`. */
import { Hono } from "hono";
import type { AppDeps } from "../../src/services.ts";
import type { AppEnv } from "../context.ts";
import { episodePageRoutes } from "./episode.tsx";
import { historyPageRoutes } from "./history.tsx";
import { homeRoutes } from "./home.tsx";
import { podcastPageRoutes } from "./podcast.tsx";
import { subscriptionPageRoutes } from "./subscriptions.tsx";

/** `/`, `/subscriptions`, `/subscriptions.opml`, `/podcasts/…`, `/episodes/…`, `/history`, `/web/play`. */
export function listenerPageRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.route("/", homeRoutes(deps));
  app.route("/", subscriptionPageRoutes(deps));
  app.route("/", podcastPageRoutes(deps));
  app.route("/", episodePageRoutes(deps));
  app.route("/", historyPageRoutes(deps));
  return app;
}
