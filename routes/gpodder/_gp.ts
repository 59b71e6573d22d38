/**
 * Plumbing of the gpodder surfaces (SPEC §9): authentication (the `sessionid` cookie first,
 * then HTTP Basic, which also sets the cookie), the path username check, bodies read as
 * JSON whatever their Content-Type (gzip accepted), and answers that no client caches.
 */
import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { parseBasic } from "../../src/auth/basic.ts";
import type { User } from "../../src/auth/users.ts";
import { createGpSession, GP_SESSION_TTL_MS, gpSessionUser } from "../../src/gpodder/sessions.ts";
import type { AppDeps } from "../../src/services.ts";
import { clientIp } from "../client_ip.ts";
import type { AppEnv } from "../context.ts";
import { HttpError } from "../errors.ts";

/** The cookie gpodder clients keep. */
export const SESSION_COOKIE = "sessionid";
/** The realm of every Basic challenge (clients send credentials only after one). */
export const REALM = 'Basic realm="Balados Sync"';
/** Most bytes a (decompressed) body may have. */
const MAX_BODY = 10 * 1024 * 1024;

/** The Hono environment of the gpodder surfaces: who is calling. */
export type GpEnv = AppEnv & {
  Variables: AppEnv["Variables"] & { gpUser: User; gpAppPassword?: string };
};

/** A 401 with the Basic challenge. */
export function unauthorized(message = "Authentication required."): HttpError {
  return new HttpError(401, "unauthorized", message, { headers: { "WWW-Authenticate": REALM } });
}

/** Sessions this process made for Basic callers, reused so a cookie-less client makes one. */
class SessionReuse {
  #tokens = new Map<string, { token: string; until: number }>();
  get(key: string, now: number): string | undefined {
    const hit = this.#tokens.get(key);
    return hit && hit.until > now ? hit.token : undefined;
  }
  set(key: string, token: string, now: number): void {
    this.#tokens.delete(key);
    if (this.#tokens.size >= 10_000) this.#tokens.delete(this.#tokens.keys().next().value!);
    this.#tokens.set(key, { token, until: now + 86_400_000 });
  }
}

/**
 * Authenticates a gpodder request: a valid `sessionid` cookie is checked before Basic
 * (Kasts sends both on every request), so a sync costs at most one password check; a
 * Basic success sets the cookie.
 */
export function gpAuth(deps: AppDeps): MiddlewareHandler<GpEnv> {
  const reuse = new SessionReuse();
  return async function authenticate(c, next) {
    const cookie = getCookie(c, SESSION_COOKIE);
    if (cookie) {
      const s = await gpSessionUser(deps, cookie);
      if (s) {
        c.set("gpUser", s.user);
        if (s.appPasswordId) c.set("gpAppPassword", s.appPasswordId);
        return await next();
      }
    }
    const basic = parseBasic(c.req.header("Authorization"));
    if (!basic) throw unauthorized();
    const r = await deps.basicAuth.check(
      basic.username,
      basic.password,
      clientIp(c, deps.config.trustedProxies),
    );
    if (!r.ok) {
      if (r.retryAfter) {
        throw new HttpError(429, "rate_limited", "Too many failed log-ins; try again later.", {
          headers: { "Retry-After": String(r.retryAfter) },
        });
      }
      throw unauthorized("Wrong username or password.");
    }
    c.set("gpUser", r.user);
    if (r.appPasswordId) c.set("gpAppPassword", r.appPasswordId);
    const now = deps.clock.now();
    const reuseKey = `${r.user.id}/${r.appPasswordId ?? ""}`;
    let token = reuse.get(reuseKey, now);
    if (!token || !(await gpSessionUser(deps, token))) {
      token = await createGpSession(deps, r.user.id, r.appPasswordId);
      reuse.set(reuseKey, token, now);
    }
    setSessionCookie(c, deps, token);
    await next();
  };
}

/** Sets the `sessionid` cookie (Secure only over https). */
export function setSessionCookie(c: Context, deps: AppDeps, token: string): void {
  setCookie(c, SESSION_COOKIE, token, {
    path: "/",
    httpOnly: true,
    sameSite: "Lax",
    secure: deps.config.baseUrl.startsWith("https:"),
    maxAge: Math.floor(GP_SESSION_TTL_MS / 1000),
  });
}

/** The path's username must be the caller's (any case); otherwise 400. */
export function checkUser(c: Context<GpEnv>, username: string): User {
  const user = c.get("gpUser");
  if (username.toLowerCase() !== user.username) {
    throw new HttpError(400, "wrong_user", "The username in the path is not yours.");
  }
  return user;
}

/** Splits `name.ext` into its stem, checking the extension; 404 for another one. */
export function stem(file: string, exts: readonly string[]): { name: string; ext: string } {
  const dot = file.lastIndexOf(".");
  const ext = dot > 0 ? file.slice(dot + 1).toLowerCase() : "";
  if (!exts.includes(ext)) throw new HttpError(404, "not_found", "No such resource.");
  // Hono has already decoded the path parameter: decoding again would throw on a "%".
  return { name: file.slice(0, dot), ext };
}

/** A device id from a path: `[\w.-]+`, at most 64 characters; otherwise 400. */
export function deviceId(raw: string): string {
  if (!/^[\w.-]{1,64}$/.test(raw)) {
    throw new HttpError(400, "invalid_device", "Device ids are letters, digits, '_', '.', '-'.");
  }
  return raw;
}

/** The body as text: gzip undone, size bounded. */
export async function bodyText(c: Context): Promise<string> {
  const raw = new Uint8Array(await c.req.arrayBuffer());
  let bytes = raw;
  if (
    /gzip/i.test(c.req.header("Content-Encoding") ?? "") || (raw[0] === 0x1f && raw[1] === 0x8b)
  ) {
    try {
      const stream = new Blob([raw]).stream().pipeThrough(new DecompressionStream("gzip"));
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of stream) {
        size += chunk.length;
        if (size > MAX_BODY) {
          throw new HttpError(413, "payload_too_large", "The body is larger than 10 MiB.");
        }
        chunks.push(chunk);
      }
      bytes = new Uint8Array(size);
      let at = 0;
      for (const ch of chunks) {
        bytes.set(ch, at);
        at += ch.length;
      }
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw new HttpError(400, "invalid_body", "The gzip body cannot be read.");
    }
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, "invalid_body", "The body is not UTF-8 text.");
  }
}

/** The body parsed as JSON whatever the Content-Type says; `empty` when there is none. */
export async function bodyJson(c: Context, empty: unknown = undefined): Promise<unknown> {
  const text = await bodyText(c);
  if (text.trim() === "") {
    if (empty !== undefined) return empty;
    throw new HttpError(400, "invalid_json", "The body must not be empty.");
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "invalid_json", "The body is not valid JSON.");
  }
}

/** An empty 200 (what mygpo answers for device updates, the simple PUT, log-in, log-out). */
export function emptyOk(c: Context): Response {
  return c.body(null, 200);
}
