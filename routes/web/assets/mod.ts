/**
 * The static files of the web pages, served from memory at `/assets/{name}` with a version
 * in the query so they can be cached for a year. Scripts only enhance pages that already
 * work without them (SPEC §10).
 */
import { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import { PLAYLIST_JS } from "./playlist.ts";
import { STYLESHEET } from "./style.ts";

const LOGO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">` +
  `<rect width="32" height="32" rx="9" fill="#5b34c2"/>` +
  `<path d="M10 9.5v13l9.5-6.5z" fill="#fff"/>` +
  `<path d="M21.5 11.5a6.5 6.5 0 0 1 0 9M24.5 8.5a11 11 0 0 1 0 15" fill="none" ` +
  `stroke="#ffb454" stroke-width="2.2" stroke-linecap="round"/></svg>`;

/** Every asset by file name: its media type and body. Pages add their scripts here. */
export const ASSETS: Readonly<Record<string, { readonly type: string; readonly body: string }>> = {
  "app.css": { type: "text/css; charset=utf-8", body: STYLESHEET },
  "logo.svg": { type: "image/svg+xml", body: LOGO_SVG },
  "playlist.js": { type: "text/javascript; charset=utf-8", body: PLAYLIST_JS },
};

/** FNV-1a over every asset: changes whenever one does, so URLs never serve a stale copy. */
function versionOf(assets: typeof ASSETS): string {
  let h = 0x811c9dc5;
  for (const [name, a] of Object.entries(assets)) {
    for (const ch of name + a.body) {
      h ^= ch.charCodeAt(0);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return h.toString(36);
}

/** Appended to asset URLs as `?v=`. */
export const ASSET_VERSION = versionOf(ASSETS);

/** `GET /assets/{name}` and `/favicon.ico`. */
export function assetRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/assets/:name", (c) => {
    const asset = Object.hasOwn(ASSETS, c.req.param("name")) ? ASSETS[c.req.param("name")] : null;
    if (!asset) return c.notFound();
    c.header("Content-Type", asset.type);
    c.header("X-Content-Type-Options", "nosniff");
    c.header(
      "Cache-Control",
      c.req.query("v") === ASSET_VERSION ? "public, max-age=31536000, immutable" : "no-cache",
    );
    return c.body(asset.body);
  });
  app.get("/favicon.ico", (c) => c.redirect(`/assets/logo.svg?v=${ASSET_VERSION}`, 301));
  return app;
}
