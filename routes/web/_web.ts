/** Shared plumbing of the web pages: session cookie, CSRF, forms, client address, redirects. */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AuthDeps } from "../../src/auth/deps.ts";
import { randomToken, sameSecret } from "../../src/auth/random.ts";
import {
  createSession,
  deleteSession,
  getSession,
  type Session,
  SESSION_TTL_MS,
} from "../../src/auth/sessions.ts";
import { getUserById, type User } from "../../src/auth/users.ts";
import type { AppEnv } from "../context.ts";
import { clientIp } from "../client_ip.ts";

export { clientIp };
import { HttpError } from "../errors.ts";

/** Cookie holding the session token. */
export const SESSION_COOKIE = "bs_session";
/** Double-submit CSRF cookie for forms shown before log-in (register, log in). */
export const CSRF_COOKIE = "bs_csrf";
/** An authorize URL carries a signed JWT, so return paths may be long. */
const MAX_RETURN_TO = 20_000;

/** A logged-in visitor. */
export interface WebUser {
  readonly user: User;
  readonly session: Session;
}

type WebContext = Context<AppEnv>;

function cookieOptions(deps: AuthDeps, maxAgeMs: number) {
  return {
    path: "/",
    httpOnly: true,
    sameSite: "Lax" as const,
    secure: deps.config.baseUrl.startsWith("https:"),
    maxAge: Math.floor(maxAgeMs / 1000),
  };
}

/** The logged-in user of this request, or null. */
export async function currentUser(c: WebContext, deps: AuthDeps): Promise<WebUser | null> {
  const token = getCookie(c, SESSION_COOKIE);
  if (!token) return null;
  const session = await getSession(deps, token);
  const user = session ? await getUserById(deps, session.user_id) : null;
  return session && user ? { user, session } : null;
}

/** Logs a user in: a fresh session (never reusing one from before log-in) and its cookie. */
export async function startSession(c: WebContext, deps: AuthDeps, userId: string): Promise<void> {
  const previous = getCookie(c, SESSION_COOKIE);
  if (previous) await deleteSession(deps, previous);
  const { token } = await createSession(deps, userId);
  setCookie(c, SESSION_COOKIE, token, cookieOptions(deps, SESSION_TTL_MS));
}

/** Logs out: forgets the session server-side and clears the cookie. */
export async function endSession(c: WebContext, deps: AuthDeps): Promise<void> {
  const token = getCookie(c, SESSION_COOKIE);
  if (token) await deleteSession(deps, token);
  deleteCookie(c, SESSION_COOKIE, { path: "/" });
}

/** The double-submit CSRF token for a logged-out form, setting its cookie when new. */
export function anonymousCsrf(c: WebContext, deps: AuthDeps): string {
  const existing = getCookie(c, CSRF_COOKIE);
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const token = randomToken();
  setCookie(c, CSRF_COOKIE, token, cookieOptions(deps, 2 * 3_600_000));
  return token;
}

/**
 * Refuses a form whose CSRF field does not match what was expected.
 * @throws {HttpError} 403 `forbidden`.
 */
export function checkCsrf(expected: string | undefined, given: string | undefined): void {
  if (!expected || !given || !sameSecret(expected, given)) {
    throw new HttpError(
      403,
      "forbidden",
      "The form's CSRF token is missing or wrong; reload the page.",
    );
  }
}

/** Checks a logged-out form against the double-submit cookie. */
export function checkAnonymousCsrf(c: WebContext, form: Record<string, string>): void {
  checkCsrf(getCookie(c, CSRF_COOKIE), form.csrf);
}

/**
 * The submitted form's text fields (files are ignored).
 * @throws {HttpError} 400 `invalid_form` when the body cannot be read as a form.
 */
export async function readForm(c: WebContext): Promise<Record<string, string>> {
  let body: Record<string, unknown>;
  try {
    body = await c.req.parseBody();
  } catch {
    throw new HttpError(400, "invalid_form", "The form could not be read.");
  }
  const form: Record<string, string> = {};
  for (const [name, value] of Object.entries(body)) {
    if (typeof value === "string") form[name] = value;
  }
  return form;
}

/** A local path to go back to after log-in, or null when `raw` could lead off-site. */
export function safeReturnTo(raw: string | undefined): string | null {
  if (!raw || raw.length > MAX_RETURN_TO) return null;
  if (!raw.startsWith("/") || raw.startsWith("//") || /[\\\p{Cc}]/u.test(raw)) return null;
  try {
    const base = "http://local.invalid";
    const url = new URL(raw, base);
    const local = url.pathname + url.search + url.hash;
    // Check the result too: dot segments can turn "/.//evil.example" into "//evil.example".
    if (url.origin !== base || local.startsWith("//") || local.includes("\\")) return null;
    return local;
  } catch {
    return null;
  }
}

/** Sends a visitor to the log-in page, to come back to `returnTo` afterwards. */
export function redirectToLogIn(c: WebContext, returnTo: string): Response {
  return c.redirect(`/users/log_in?return_to=${encodeURIComponent(returnTo)}`, 303);
}

/** The path and query of this request, to come back to after log-in. */
export function hereOf(c: WebContext): string {
  const url = new URL(c.req.url);
  return url.pathname + url.search;
}

/**
 * The logged-in user, or a redirect to the log-in page and back here (SPEC §10).
 * Use as `const me = await requireUser(c, deps); if (me instanceof Response) return me;`.
 */
export async function requireUser(
  c: WebContext,
  deps: AuthDeps,
  returnTo: string = hereOf(c),
): Promise<WebUser | Response> {
  const me = await currentUser(c, deps);
  return me ?? redirectToLogIn(c, c.req.method === "GET" ? returnTo : new URL(c.req.url).pathname);
}

/** The header's view of a logged-in user. */
export function navOf(me: WebUser): { username: string; csrf: string } {
  return { username: me.user.username, csrf: me.session.csrf };
}

/** The device recorded on events made in the web pages. */
export const WEB_DEVICE = { id: "web", name: "Web" } as const;

/** Where to go after a form: its `return_to` field when local, else `fallback`. */
export function backTo(form: Record<string, string>, fallback: string): string {
  return safeReturnTo(form.return_to) ?? fallback;
}
