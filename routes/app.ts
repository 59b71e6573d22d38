/** `createApp(deps)`: the Hono application with its middleware and error mapping. */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { redactPath } from "../src/logger.ts";
import type { AppDeps } from "../src/services.ts";
import type { AppEnv } from "./context.ts";
import { errorResponse, HttpError } from "./errors.ts";
import { apiV1Routes } from "./api_v1/mod.ts";
import { opsRoutes } from "./ops.ts";
import { publicRoutes } from "./public.ts";
import { gpodderRoutes } from "./gpodder/mod.ts";
import { limitPerIp } from "./rate_limit.ts";
import { isPlayHostRequest, playRoutes, redactPlayHostPath } from "./play.ts";
import { rssRoutes } from "./rss.ts";
import { webRoutes } from "./web/mod.ts";

const MiB = 1024 * 1024;

/** Paths whose bodies may reach 10 MiB (SPEC §2.5): sync and gpodder uploads. */
function bodyCap(path: string): number {
  if (path === "/api/v1/sync" || path.startsWith("/api/2/")) return 10 * MiB;
  if (path.startsWith("/subscriptions/") || path.startsWith("/index.php/")) return 10 * MiB;
  return MiB;
}

function requestIdFrom(header: string | undefined, fallback: () => string): string {
  return header && /^[\w.:-]{1,128}$/.test(header) ? header : fallback();
}

/** Builds the whole HTTP application over the given dependencies. */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { logger, metrics } = deps;

  app.use("*", async (c, next) => {
    const started = performance.now();
    const requestId = requestIdFrom(c.req.header("x-request-id"), deps.newId);
    c.set("requestId", requestId);
    await next();
    c.header("X-Request-Id", requestId);
    const route = c.req.routePath && c.req.routePath !== "/*" ? c.req.routePath : "unmatched";
    const ms = performance.now() - started;
    const { host, pathname } = new URL(c.req.url);
    // On the play host the first segment is a user token.
    const onPlayHost = isPlayHostRequest(host, deps.config.playHost);
    metrics.inc("http_requests_total", "HTTP requests by route and status.", {
      route,
      status: String(c.res.status),
    });
    metrics.observeLatency(route, ms / 1000);
    logger.info("request", {
      method: c.req.method,
      route,
      path: onPlayHost ? redactPlayHostPath(redactPath(pathname)) : redactPath(pathname),
      status: c.res.status,
      ms: Math.round(ms * 10) / 10,
      request_id: requestId,
    });
  });

  const limiters = new Map([MiB, 10 * MiB].map((maxSize) => [
    maxSize,
    bodyLimit({
      maxSize,
      onError: () => {
        // Thrown before any sub-app's middleware runs: gpodder clients keep an HTTP cache.
        throw new HttpError(
          413,
          "payload_too_large",
          `The request body is larger than ${maxSize / MiB} MiB.`,
          { headers: { "Cache-Control": "no-store" } },
        );
      },
    }),
  ]));
  app.use("*", (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    return limiters.get(bodyCap(new URL(c.req.url).pathname))!(c, next);
  });

  app.route("/", opsRoutes(deps));
  // Anonymous routes are limited per client IP; the authenticated API per user (api_v1/mod.ts).
  const perIp = limitPerIp(deps);
  for (
    const path of [
      "/users/*",
      "/authorize",
      "/apps",
      "/apps/*",
      "/app-passwords",
      "/app-passwords/*",
      "/devices",
      "/devices/*",
      "/login/*",
      "/rss/*",
      "/play/*",
    ]
  ) {
    app.use(path, perIp);
  }
  app.use("/api/v1/rss/*", perIp);
  if (deps.config.playHost) {
    app.use(
      "*",
      (c, next) =>
        isPlayHostRequest(new URL(c.req.url).host, deps.config.playHost) ? perIp(c, next) : next(),
    );
  }
  // Before /api/v1, whose middleware asks for a JWT; the gateway before the pages.
  app.route("/", rssRoutes(deps));
  app.route("/", playRoutes(deps));
  app.route("/", gpodderRoutes(deps));
  app.route("/", webRoutes(deps));
  app.route("/api/v1/public", publicRoutes(deps));
  app.route("/api/v1", apiV1Routes(deps));

  app.notFound((c) => c.json({ error: { code: "not_found", message: "No such resource." } }, 404));

  app.onError((err, c) => {
    const { status, body, headers } = errorResponse(err);
    if (status >= 500 && status !== 503) {
      logger.error("unhandled error", {
        request_id: c.get("requestId"),
        error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      });
    }
    return c.json(body, status as 400, headers);
  });

  return app;
}
