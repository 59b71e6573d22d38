/**
 * Request rate limits (SPEC §8): token buckets per client IP for anonymous routes and per
 * user for authenticated ones, answering `429 rate_limited` with `Retry-After`. In memory,
 * per process: on Deno Deploy each isolate counts for itself.
 */
import type { Context, MiddlewareHandler } from "hono";
import { TokenBuckets } from "../src/rss/rate_limit.ts";
import type { AppDeps } from "../src/services.ts";
import type { AppEnv } from "./context.ts";
import { HttpError } from "./errors.ts";
import { clientIp } from "./client_ip.ts";

function limiter(
  buckets: TokenBuckets,
  subjectOf: (c: Context<AppEnv>) => string,
): MiddlewareHandler<AppEnv> {
  return async function rateLimit(c, next) {
    const wait = buckets.take(subjectOf(c));
    if (wait > 0) {
      throw new HttpError(429, "rate_limited", `Too many requests; retry in ${wait} s.`, {
        headers: { "Retry-After": String(wait) },
      });
    }
    await next();
  };
}

/** Limits anonymous requests per client IP (`RATE_LIMIT_ANON` per minute, same burst). */
export function limitPerIp(deps: AppDeps): MiddlewareHandler<AppEnv> {
  const n = deps.config.rateLimitAnonPerMin;
  const buckets = new TokenBuckets({ capacity: n, perMinute: n, clock: deps.clock });
  return limiter(buckets, (c) => `ip:${clientIp(c, deps.config.trustedProxies)}`);
}

/** Limits authenticated requests per user (`RATE_LIMIT_USER` per minute); after requireAuth. */
export function limitPerUser(deps: AppDeps): MiddlewareHandler<AppEnv> {
  const n = deps.config.rateLimitUserPerMin;
  const buckets = new TokenBuckets({ capacity: n, perMinute: n, clock: deps.clock });
  return limiter(buckets, (c) => `user:${c.get("auth").userId}`);
}
