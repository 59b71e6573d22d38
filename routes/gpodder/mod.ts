/**
 * The gpodder surfaces (SPEC §9) as one Hono sub-app with its own error answers: JSON, but
 * every 401 carries the Basic challenge (clients only send credentials after one), and no
 * answer may be cached (AntennaPod keeps an HTTP cache). Mounted at the site root.
 */
import { type Context, Hono, type Next } from "hono";
import type { AppDeps } from "../../src/services.ts";
import { errorResponse } from "../errors.ts";
import { limitPerIp } from "../rate_limit.ts";
import { api2Routes } from "./api2.ts";
import { nextcloudRoutes } from "./nextcloud.ts";
import { simpleRoutes } from "./simple.ts";
import { type GpEnv, REALM } from "./_gp.ts";

/** The paths of the gpodder surfaces. */
const GPODDER_PATHS = [
  "/api/2/*",
  "/subscriptions/*",
  "/toplist/*",
  "/search.json",
  "/search.opml",
  "/search.txt",
  "/index.php/*",
];

/** The gpodder.net v2, simple, directory and Nextcloud routes. */
export function gpodderRoutes(deps: AppDeps): Hono<GpEnv> {
  const app = new Hono<GpEnv>();
  // Mounted at the root: middleware goes on this API's own paths only.
  const noStore = async (c: Context, next: Next) => {
    await next();
    c.header("Cache-Control", "no-store");
    c.res.headers.delete("Last-Modified");
    c.res.headers.delete("Expires");
  };
  for (const path of GPODDER_PATHS) app.use(path, noStore);
  // Anonymous entry points (directory, Login Flow) are limited per client address; failed
  // Basic log-ins count against the log-in limits.
  const perIp = limitPerIp(deps);
  for (const path of ["/toplist/*", "/search.*", "/api/2/data/*", "/index.php/login/*"]) {
    app.use(path, perIp);
  }
  app.route("/", api2Routes(deps));
  app.route("/", simpleRoutes(deps));
  app.route("/", nextcloudRoutes(deps));
  app.onError((err, c) => {
    const { status, body, headers } = errorResponse(err);
    if (status === 401) headers["WWW-Authenticate"] = REALM;
    if (status >= 500 && status !== 503) {
      deps.logger.error("gpodder error", {
        error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      });
    }
    c.header("Cache-Control", "no-store");
    return c.json(body, status as 400, headers);
  });
  return app;
}
