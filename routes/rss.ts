/**
 * RSS routes without a request JWT (SPEC §6.1, §6.2): the CORS proxy
 * `/api/v1/rss/proxy/{feed}[/{item}]` and the personal feeds under `/rss/{user_token}/…`
 * (aliases under `/api/v1/rss/user/{user_token}/…`). Mount before `/api/v1`, whose
 * middleware would otherwise ask for a JWT. Errors are answered here, as JSON with the
 * route's own headers (CORS included, so a browser client can read them).
 */
import { type Context, Hono } from "hono";
import { resolveUserToken } from "../src/auth/user_tokens.ts";
import { decodeFeedId, decodeItemId } from "../src/domain/ids.ts";
import { playlistFeed, subscriptionsFeed } from "../src/rss/personal.ts";
import type { AppDeps } from "../src/services.ts";
import type { AppEnv } from "./context.ts";
import { errorResponse, HttpError } from "./errors.ts";
import { clientIp } from "./client_ip.ts";

const CORS = { "Access-Control-Allow-Origin": "*" };
const SANDBOX = {
  "X-Content-Type-Options": "nosniff",
  "Content-Security-Policy": "default-src 'none'; sandbox",
};
/** Exactly the headers of SPEC §6.1. */
const PROXY_HEADERS = {
  ...CORS,
  ...SANDBOX,
  "Cache-Control": "public, max-age=300",
  "Content-Type": "application/xml",
};
const PROXY_ERROR_HEADERS = { ...CORS, ...SANDBOX, "Cache-Control": "no-store" };
const PERSONAL_HEADERS = {
  "Content-Type": "application/rss+xml; charset=utf-8",
  "Cache-Control": "private, max-age=60",
  "X-Robots-Tag": "noindex",
  "Referrer-Policy": "no-referrer",
  "X-Content-Type-Options": "nosniff",
};
const PERSONAL_ERROR_HEADERS = {
  "Cache-Control": "no-store",
  "X-Robots-Tag": "noindex",
  "Referrer-Policy": "no-referrer",
};

/** The same answer for an unknown token and an unknown playlist: no hint either way. */
function notFound(): HttpError {
  return new HttpError(404, "not_found", "No such resource.");
}

/** `/api/v1/rss/proxy/…` and `/rss/{token}/…` (see the module doc). */
export function rssRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  function fail(c: Context<AppEnv>, err: unknown, extra: Record<string, string>): Response {
    const { status, body, headers } = errorResponse(err);
    if (status === 500) {
      deps.logger.error("rss route failed", {
        request_id: c.get("requestId"),
        error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      });
    }
    return new Response(JSON.stringify(body), {
      status,
      headers: { "Content-Type": "application/json", ...extra, ...headers },
    });
  }

  async function proxy(c: Context<AppEnv>): Promise<Response> {
    try {
      const { feedUrl } = decodeFeedId(c.req.param("feed"));
      const itemParam = c.req.param("item");
      const item = itemParam === undefined ? undefined : decodeItemId(itemParam);
      if (!deps.feeds.isFresh(feedUrl)) {
        const wait = deps.feeds.missLimiter.take(clientIp(c, deps.config.trustedProxies));
        if (wait > 0) {
          throw new HttpError(429, "rate_limited", "Too many uncached feeds; slow down.", {
            headers: { "Retry-After": String(wait) },
          });
        }
      }
      const cached = await deps.feeds.load(feedUrl, { purpose: "proxy" });
      const body = item ? deps.feeds.itemBytes(cached, item.guid, item.enclosureUrl) : cached.body;
      if (body === null) throw new HttpError(404, "not_found", "The feed has no such episode.");
      // Feed bodies are read into plain ArrayBuffers (never shared memory).
      // An explicit length also answers HEAD (the body-less copy keeps it).
      return new Response(body as Uint8Array<ArrayBuffer>, {
        status: 200,
        headers: { ...PROXY_HEADERS, "Content-Length": String(body.byteLength) },
      });
    } catch (err) {
      return fail(c, err, PROXY_ERROR_HEADERS);
    }
  }

  app.get("/api/v1/rss/proxy/:feed", proxy);
  app.get("/api/v1/rss/proxy/:feed/:item", proxy);
  app.options("/api/v1/rss/proxy/*", () =>
    new Response(null, {
      status: 204,
      headers: {
        ...CORS,
        "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
        "Access-Control-Allow-Headers": "*",
        "Access-Control-Max-Age": "86400",
      },
    }));

  async function personal(
    c: Context<AppEnv>,
    build: (userId: string, token: string) => Promise<string | null>,
  ): Promise<Response> {
    try {
      const token = c.req.param("token") ?? "";
      const userId = await resolveUserToken(deps, token);
      const xml = userId === null ? null : await build(userId, token);
      if (xml === null) throw notFound();
      const bytes = new TextEncoder().encode(xml);
      return new Response(bytes, {
        status: 200,
        headers: { ...PERSONAL_HEADERS, "Content-Length": String(bytes.byteLength) },
      });
    } catch (err) {
      return fail(c, err, PERSONAL_ERROR_HEADERS);
    }
  }

  const subscriptions = (c: Context<AppEnv>) =>
    personal(c, (userId, token) => subscriptionsFeed(deps, userId, token));
  const playlist = (c: Context<AppEnv>) =>
    personal(c, (userId, token) => playlistFeed(deps, userId, token, c.req.param("id") ?? ""));

  app.get("/rss/:token/subscriptions", subscriptions);
  app.get("/rss/:token/playlists/:id", playlist);
  app.get("/api/v1/rss/user/:token/subscriptions", subscriptions);
  app.get("/api/v1/rss/user/:token/playlist/:id", playlist);

  return app;
}
