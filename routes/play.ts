/**
 * The play gateway (SPEC §6.3): `GET /play/{user_token}/{feed}/{item}`, and
 * `GET /{user_token}/{feed}/{item}` on the play host. It checks the token, may-play rules
 * and ids, makes the play durable in one small commit, and redirects to the enclosure URL
 * of the item id — only when the feed lists that episode — without waiting for the event
 * log (see src/rss/gateway_processor.ts).
 */
import { type Context, Hono, type Next } from "hono";
import { resolveUserToken } from "../src/auth/user_tokens.ts";
import { decodeFeedId, decodeItemId } from "../src/domain/ids.ts";
import { feedListsEpisode, mayPlay, recordGatewayHit } from "../src/rss/gateway.ts";
import type { AppDeps } from "../src/services.ts";
import type { AppEnv } from "./context.ts";
import { HttpError } from "./errors.ts";

/**
 * True when the request's host is `PLAY_HOST`, with or without a port (pass the request URL's
 * host, which Deno.serve builds from the `Host` header).
 */
export function isPlayHostRequest(host: string | undefined, playHost: string): boolean {
  if (playHost === "") return false;
  const h = (host ?? "").toLowerCase();
  // The host itself, with or without a port: `play.example.org.evil.test` is not it.
  return h === playHost || h.startsWith(`${playHost}:`);
}

/** A play-host path with its first segment (the user token) hidden, for logs. */
export function redactPlayHostPath(path: string): string {
  return path.replace(/^\/[^/]+/, "/[redacted]");
}

/** The same answer for every refusal, so none tells whether the token exists. */
function notFound(): HttpError {
  return new HttpError(404, "not_found", "No such resource.");
}

/** The gateway routes; the play-host form only when `PLAY_HOST` is set. */
export function playRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  async function gateway(c: Context<AppEnv>): Promise<Response> {
    const token = c.req.param("token") ?? "";
    const userId = await resolveUserToken(deps, token);
    if (userId === null) throw notFound();
    const { feed } = decodeFeedId(c.req.param("feed"));
    const { item, enclosureUrl } = decodeItemId(c.req.param("item"));
    if (!await mayPlay(deps.kv, userId, feed, item)) throw notFound();
    // Only audio the feed itself lists: an item id naming another URL is no redirect.
    if (!await feedListsEpisode(deps, feed, item)) throw notFound();
    // Normalised (punycode host, percent-encoded path) so it is a valid header value.
    const location = new URL(enclosureUrl).href;
    const play = await recordGatewayHit(deps, { userId, token, feed, item });
    if (play) deps.gateway.notify();
    return new Response(null, {
      status: 302,
      headers: {
        Location: location,
        "Cache-Control": "private, no-store",
        "Referrer-Policy": "no-referrer",
      },
    });
  }

  app.get("/play/:token/:feed/:item", gateway);
  if (deps.config.playHost) {
    app.get("/:token/:feed/:item", async (c: Context<AppEnv>, next: Next) => {
      if (!isPlayHostRequest(new URL(c.req.url).host, deps.config.playHost)) return await next();
      return await gateway(c);
    });
  }
  return app;
}
