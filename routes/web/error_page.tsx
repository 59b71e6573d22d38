/** HTML error pages for browsers (SPEC §10); API clients keep the JSON errors of §2.5. */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../context.ts";
import type { AuthDeps } from "../../src/auth/deps.ts";
import { currentUser, navOf } from "./_web.ts";
import { Layout, type NavUser, render } from "./layout.tsx";

const TITLES: Record<number, string> = {
  400: "That request could not be understood",
  401: "Please log in",
  403: "Not allowed",
  404: "Page not found",
  408: "That took too long",
  409: "Something changed meanwhile",
  413: "That is too large",
  422: "That could not be saved",
  429: "Slow down a little",
  500: "Something went wrong on our side",
  502: "The podcast's server answered badly",
  503: "Busy right now",
  504: "The podcast's server did not answer",
};

/** Paths that only programs call: they always get JSON, whatever they accept. */
function isApiPath(path: string): boolean {
  return path.startsWith("/api/") || path.startsWith("/index.php/") ||
    path.startsWith("/subscriptions/") || path.startsWith("/rss/") ||
    path.startsWith("/assets/") || path === "/metrics" || path === "/health";
}

/** Whether to answer this request's error with a page: a browser asking for HTML. */
export function wantsHtml(c: Context<AppEnv>): boolean {
  if (c.req.method !== "GET" && c.req.method !== "POST" && c.req.method !== "HEAD") return false;
  if (isApiPath(new URL(c.req.url).pathname)) return false;
  const accept = c.req.header("Accept") ?? "";
  return /\btext\/html\b/i.test(accept);
}

/** A full page for an error: what happened in plain words, and where to go next. */
export function errorPage(
  c: Context<AppEnv>,
  status: number,
  message: string,
  nav: NavUser | null,
  headers: Record<string, string> = {},
): Promise<Response> {
  for (const [k, v] of Object.entries(headers)) c.header(k, v);
  const title = TITLES[status] ?? (status >= 500 ? TITLES[500] : TITLES[400]);
  const shown = status >= 500 && status !== 503 && status < 502
    ? "The error was logged. Please try again in a moment."
    : message;
  return render(
    c,
    <Layout title={title} nav={nav} narrow>
      <p>{shown}</p>
      {status === 429 || status === 503
        ? <p class="muted">Wait a few seconds, then reload the page.</p>
        : null}
      <p class="muted">Error {status}.</p>
      <div class="actions">
        <a class="button" href="/">Go to the home page</a>
        {!nav && <a class="button secondary" href="/users/log_in">Log in</a>}
      </div>
    </Layout>,
    status as ContentfulStatusCode,
  );
}

/** The logged-in user for an error page's header; none when that lookup fails too. */
export async function navForError(c: Context<AppEnv>, deps: AuthDeps): Promise<NavUser | null> {
  try {
    const me = await currentUser(c, deps);
    return me ? navOf(me) : null;
  } catch {
    return null;
  }
}
