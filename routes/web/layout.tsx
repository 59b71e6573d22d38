/**
 * The page shell of the web pages (SPEC §10): one layout, one stylesheet (`/assets/app.css`),
 * a header with the logo mark and navigation, a skip link, `<!doctype html>`, and headers
 * that keep pages out of frames, caches and referrers.
 */
import type { Context } from "hono";
import type { Child } from "hono/jsx";
import { createContext, useContext } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { describeScope } from "../../src/domain/scopes.ts";
import type { AppEnv } from "../context.ts";
import { ASSET_VERSION } from "./assets/mod.ts";

/** Who is logged in, for the header (log-out needs the session's CSRF token). */
export interface NavUser {
  readonly username: string;
  readonly csrf: string;
}

/** What every page knows about the request without being told: set by `render`. */
interface PageSite {
  readonly path: string;
  readonly registrationOpen: boolean;
}

const SiteContext = createContext<PageSite>({ path: "/", registrationOpen: true });

/** The logo mark: a rounded square with a play triangle and two sound waves. */
export function LogoMark() {
  return (
    <svg viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="9" fill="#5b34c2" />
      <path d="M10 9.5v13l9.5-6.5z" fill="#fff" />
      <path
        d="M21.5 11.5a6.5 6.5 0 0 1 0 9M24.5 8.5a11 11 0 0 1 0 15"
        fill="none"
        stroke="#ffb454"
        stroke-width="2.2"
        stroke-linecap="round"
      />
    </svg>
  );
}

const LISTENER_NAV: ReadonlyArray<readonly [string, string]> = [
  ["/", "Home"],
  ["/subscriptions", "Subscriptions"],
  ["/history", "History"],
  ["/saved", "Saved"],
  ["/playlists", "Playlists"],
  ["/discover", "Discover"],
  ["/timeline", "Timeline"],
];

const SETTINGS_NAV: ReadonlyArray<readonly [string, string]> = [
  ["/privacy", "Privacy"],
  ["/account", "Account"],
  ["/apps", "Apps"],
  ["/users/tokens", "Tokens"],
  ["/app-passwords", "App passwords"],
  ["/devices", "Devices"],
];

/** Whether `href` is the current page or the section it belongs to. */
function isCurrent(path: string, href: string): boolean {
  if (href === "/") return path === "/";
  return path === href || path.startsWith(`${href}/`) ||
    (href === "/subscriptions" && path.startsWith("/podcasts/")) ||
    (href === "/history" && path.startsWith("/episodes/"));
}

function NavLinks(props: { links: ReadonlyArray<readonly [string, string]>; path: string }) {
  return (
    <>
      {props.links.map(([href, label]) => (
        <li>
          <a href={href} aria-current={isCurrent(props.path, href) ? "page" : undefined}>
            {label}
          </a>
        </li>
      ))}
    </>
  );
}

/** The whole page around `children`. `narrow` keeps forms at a readable width. */
export function Layout(
  props: {
    title: string;
    nav?: NavUser | null;
    narrow?: boolean;
    /** Set false when the page draws its own heading. */
    heading?: boolean;
    /** Scripts of `/assets/` this page needs (the player, drag-and-drop). */
    scripts?: readonly string[];
    children?: Child;
  },
) {
  const site = useContext(SiteContext);
  const inSettings = SETTINGS_NAV.some(([href]) => isCurrent(site.path, href));
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <meta name="color-scheme" content="light dark" />
        <title>{props.title} · Balados Sync</title>
        <link rel="stylesheet" href={`/assets/app.css?v=${ASSET_VERSION}`} />
        <link rel="icon" href={`/assets/logo.svg?v=${ASSET_VERSION}`} type="image/svg+xml" />
        {(props.scripts ?? []).map((s) => (
          <script src={`/assets/${s}?v=${ASSET_VERSION}`} defer></script>
        ))}
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="site-header">
          <div class="bar">
            <a class="brand" href="/">
              <LogoMark />
              <span>Balados Sync</span>
            </a>
            {props.nav
              ? (
                <nav aria-label="Main">
                  <ul class="nav">
                    <NavLinks links={LISTENER_NAV} path={site.path} />
                    <li>
                      <a
                        href="/account"
                        aria-current={inSettings ? "page" : undefined}
                      >
                        Settings
                      </a>
                    </li>
                    <li>
                      <form method="post" action="/users/log_out">
                        <input type="hidden" name="csrf" value={props.nav.csrf} />
                        <button type="submit">Log out {props.nav.username}</button>
                      </form>
                    </li>
                  </ul>
                </nav>
              )
              : (
                <nav aria-label="Main">
                  <ul class="nav">
                    <NavLinks
                      links={[["/discover", "Discover"], ["/timeline", "Timeline"]]}
                      path={site.path}
                    />
                    <li>
                      <a
                        href="/users/log_in"
                        aria-current={isCurrent(site.path, "/users/log_in") ? "page" : undefined}
                      >
                        Log in
                      </a>
                    </li>
                    {site.registrationOpen && (
                      <li>
                        <a
                          href="/users/register"
                          aria-current={isCurrent(site.path, "/users/register")
                            ? "page"
                            : undefined}
                        >
                          Register
                        </a>
                      </li>
                    )}
                  </ul>
                </nav>
              )}
          </div>
          {props.nav && inSettings && (
            <nav class="subnav" aria-label="Settings">
              <ul class="nav">
                <NavLinks links={SETTINGS_NAV} path={site.path} />
              </ul>
            </nav>
          )}
        </header>
        <main id="main" class={props.narrow ? "narrow" : undefined} tabindex={-1}>
          {props.heading !== false && <h1>{props.title}</h1>}
          {props.children}
        </main>
      </body>
    </html>
  );
}

/**
 * A form field with its label and, when set, its error message (linked for screen readers).
 * A field in error takes the focus when the page loads, so the error is announced.
 */
export function Field(
  props: {
    name: string;
    label: string;
    type?: string;
    value?: string;
    error?: string;
    hint?: string;
    required?: boolean;
    autocomplete?: string;
    maxlength?: number;
    /** The element id, when the name is used twice on a page. */
    id?: string;
  },
) {
  const id = props.id ?? props.name;
  const described = [props.hint ? `${id}-hint` : "", props.error ? `${id}-error` : ""]
    .filter(Boolean).join(" ");
  return (
    <div>
      <label for={id}>{props.label}</label>
      {props.hint && <p class="hint" id={`${id}-hint`}>{props.hint}</p>}
      <input
        id={id}
        name={props.name}
        type={props.type ?? "text"}
        value={props.value ?? ""}
        required={props.required}
        autocomplete={props.autocomplete}
        maxlength={props.maxlength}
        autofocus={props.error ? true : undefined}
        aria-invalid={props.error ? "true" : undefined}
        aria-describedby={described || undefined}
      />
      {props.error && <p class="error" id={`${id}-error`}>{props.error}</p>}
    </div>
  );
}

/** Requested or granted scopes in plain words, each followed by its name. */
export function ScopeList(props: { scopes: readonly string[] }) {
  return (
    <ul class="scopes">
      {props.scopes.map((s) => (
        <li>
          {describeScope(s)} <code class="hint">({s})</code>
        </li>
      ))}
    </ul>
  );
}

/** The Content-Security-Policy of every page: our own styles and scripts only. */
export const PAGE_CSP = "default-src 'none'; style-src 'self'; script-src 'self'; " +
  "img-src https: http: data:; media-src https: http: data: blob:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'";

/**
 * Answers with a page and headers that keep it out of frames, caches and referrers.
 * No `form-action` in the CSP: after approval the browser follows a redirect to the app.
 */
export async function render(
  c: Context<AppEnv>,
  page: Child,
  status: ContentfulStatusCode = 200,
): Promise<Response> {
  c.header("Content-Security-Policy", PAGE_CSP);
  c.header("X-Frame-Options", "DENY");
  c.header("Referrer-Policy", "no-referrer");
  c.header("Cache-Control", "no-store");
  c.header("X-Content-Type-Options", "nosniff");
  const site: PageSite = {
    path: new URL(c.req.url).pathname,
    registrationOpen: c.get("registrationOpen") ?? true,
  };
  const html = await (<SiteContext.Provider value={site}>{page}</SiteContext.Provider>)
    .toString();
  return c.html(`<!doctype html>\n${html}`, status);
}
