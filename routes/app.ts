/** `createApp(deps)`: the Hono application with its middleware and error mapping. */
import { Hono } from "hono";
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
import { assetRoutes } from "./web/assets/mod.ts";
import { errorPage, navForError, wantsHtml } from "./web/error_page.tsx";

const MiB = 1024 * 1024;

/** Paths whose bodies may reach 10 MiB (SPEC §2.5): sync and gpodder uploads. */
function bodyCap(path: string): number {
  if (path === "/api/v1/sync" || path.startsWith("/api/2/")) return 10 * MiB;
  if (path.startsWith("/subscriptions/") || path.startsWith("/index.php/")) return 10 * MiB;
  return MiB;
}

function tooLarge(max: number): HttpError {
  return new HttpError(
    413,
    "payload_too_large",
    `The request body is larger than ${max / MiB} MiB.`,
  );
}

/** Reads a body whole, refusing more than `max` bytes or a body slower than `timeoutMs`. */
async function readBody(
  stream: ReadableStream<Uint8Array>,
  max: number,
  timeoutMs: number,
): Promise<ArrayBuffer> {
  const reader = stream.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((r) => (timer = setTimeout(() => r("late"), timeoutMs)));
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (true) {
      const r = await Promise.race([reader.read(), late]);
      if (r === "late") {
        throw new HttpError(408, "request_timeout", "The request body came too slowly.");
      }
      if (r.done) break;
      size += r.value.byteLength;
      if (size > max) throw tooLarge(max);
      chunks.push(r.value);
    }
  } catch (err) {
    reader.cancel().catch(() => {});
    throw err;
  } finally {
    clearTimeout(timer);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const ch of chunks) {
    out.set(ch, at);
    at += ch.byteLength;
  }
  return out.buffer;
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
    c.set("registrationOpen", deps.config.registration === "open");
    await next();
    c.header("X-Request-Id", requestId);
    const route = c.req.routePath && c.req.routePath !== "/*" ? c.req.routePath : "unmatched";
    const ms = performance.now() - started;
    metrics.inc("http_requests_total", "HTTP requests by route and status.", {
      route,
      status: String(c.res.status),
    });
    metrics.observeLatency(route, ms / 1000);
    if (logger.enabled?.("info") === false) return; // nothing to build below the level
    const { host, pathname } = new URL(c.req.url);
    // On the play host the first segment is a user token.
    const onPlayHost = isPlayHostRequest(host, deps.config.playHost);
    logger.info("request", {
      method: c.req.method,
      route,
      path: onPlayHost ? redactPlayHostPath(redactPath(pathname)) : redactPath(pathname),
      status: c.res.status,
      ms: Math.round(ms * 10) / 10,
      request_id: requestId,
    });
  });

  // Bodies: at most 1 MiB (10 MiB for sync and gpodder uploads), and arriving within
  // BODY_TIMEOUT. Read here once; handlers read the copy Hono keeps.
  app.use("*", async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD" || !c.req.raw.body) return next();
    const max = bodyCap(new URL(c.req.url).pathname);
    const declared = Number(c.req.header("Content-Length") ?? NaN);
    if (declared > max) throw tooLarge(max);
    const buf = await readBody(c.req.raw.body, max, deps.config.bodyTimeoutMs);
    // Hono keeps a promise of each body form it read (its type says the value).
    (c.req.bodyCache as Record<string, unknown>).arrayBuffer = Promise.resolve(buf);
    await next();
  });

  app.route("/", opsRoutes(deps));
  app.route("/", assetRoutes());
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
      "/web/*",
      "/saved",
      "/playlists",
      "/playlists/*",
      "/privacy",
      "/privacy/*",
      "/account",
      "/account/*",
      "/",
      "/subscriptions",
      "/subscriptions.opml",
      "/podcasts/*",
      "/episodes/*",
      "/history",
      "/rss/*",
      "/play/*",
      "/discover",
      "/timeline",
      "/u/*",
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

  const navFor = (c: Parameters<typeof wantsHtml>[0]) => navForError(c, deps);

  app.notFound(async (c) => {
    if (wantsHtml(c)) {
      return errorPage(c, 404, "There is nothing at this address.", await navFor(c));
    }
    return c.json({ error: { code: "not_found", message: "No such resource." } }, 404);
  });

  app.onError(async (err, c) => {
    const { status, body, headers } = errorResponse(err);
    if (status >= 500 && status !== 503) {
      logger.error("unhandled error", {
        request_id: c.get("requestId"),
        error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      });
    }
    // No cache, proxy or client should keep an error (an early 413 never reaches the
    // gpodder routes' own no-store).
    c.header("Cache-Control", "no-store");
    if (wantsHtml(c)) {
      const nav = status >= 500 ? null : await navFor(c);
      return errorPage(c, status, body.error.message, nav, headers);
    }
    return c.json(body, status as 400, headers);
  });

  return app;
}
