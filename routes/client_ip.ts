/** The client's address, for rate limits and log-in limits (SPEC §8 `TRUSTED_PROXIES`). */
import type { Context } from "hono";

/**
 * The client's address: the socket peer, or the nearest untrusted `X-Forwarded-For` hop
 * when the peer is one of `TRUSTED_PROXIES`.
 */
export function clientIp(c: Context, trustedProxies: readonly string[]): string {
  const env = c.env as { remoteAddr?: { hostname?: string } } | undefined;
  const peer = env?.remoteAddr?.hostname ?? "unknown";
  if (!trustedProxies.includes(peer)) return peer;
  const hops = (c.req.header("X-Forwarded-For") ?? "").split(",").map((h) => h.trim())
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!trustedProxies.includes(hops[i])) return hops[i].slice(0, 64);
  }
  return peer;
}
