/**
 * The real app for auth tests (createApp over a `:memory:` KV),
 * a fake clock, and a cookie-keeping browser for the web pages.
 */
import type { Hono } from "hono";
import type { AppDeps } from "../../src/services.ts";
import { buildTestApp, TEST_PASSWORD_ITERATIONS } from "./app.ts";
import type { AppEnv } from "../../routes/context.ts";
import { authorizeApp } from "../../src/auth/app_tokens.ts";
import { verifyAuthorizationJwt } from "../../src/auth/jwt.ts";
import { createUser, getUserByUsername, type User } from "../../src/auth/users.ts";
import type { FakeClock } from "./clock.ts";
import { type AppKeys, authorizationJwt } from "./jwt.ts";

/** Everything a test needs; `close()` releases the KV. */
export interface AuthTestApp {
  readonly app: Hono<AppEnv>;
  readonly deps: AppDeps;
  readonly kv: Deno.Kv;
  readonly clock: FakeClock;
  close(): Promise<void>;
}

export { TEST_PASSWORD_ITERATIONS };

/** The real app (createApp) for auth tests. `env` overrides configuration. */
export async function buildAuthApp(env: Record<string, string> = {}): Promise<AuthTestApp> {
  const t = await buildTestApp({ env });
  return { app: t.app, deps: t.deps, kv: t.deps.kv, clock: t.clock, close: t.close };
}

/** Every entry of the KV with its versionstamp, to prove that a request wrote nothing. */
export async function kvSnapshot(kv: Deno.Kv): Promise<string[]> {
  const rows: string[] = [];
  for await (const e of kv.list({ prefix: [] })) {
    rows.push(`${JSON.stringify(e.key)}@${e.versionstamp}`);
  }
  return rows;
}

/** The value of the first hidden `csrf` field of a page. */
export function csrfOf(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error("no csrf field in page");
  return m[1];
}

/** A browser that keeps cookies between requests to the in-process app. */
export class Browser {
  readonly #app: Hono<AppEnv>;
  readonly #cookies = new Map<string, string>();
  readonly #env?: Record<string, unknown>;

  constructor(app: Hono<AppEnv>, options: { ip?: string } = {}) {
    this.#app = app;
    if (options.ip) this.#env = { remoteAddr: { hostname: options.ip } };
  }

  /** The current value of a cookie, if set. */
  cookie(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  /** Sends a request with the cookies and remembers the ones set in the answer. */
  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.#cookies.size > 0) {
      headers.set("Cookie", [...this.#cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    }
    const res = await this.#app.request(path, { ...init, headers, redirect: "manual" }, this.#env);
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const [name, value] = pair.split("=");
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === "";
      if (expired) this.#cookies.delete(name.trim());
      else this.#cookies.set(name.trim(), value.trim());
    }
    return res;
  }

  /** GET a page. */
  get(path: string): Promise<Response> {
    return this.request(path);
  }

  /** POST a urlencoded form. */
  post(path: string, fields: Record<string, string>): Promise<Response> {
    return this.request(path, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /** GETs `formPage`, then posts `fields` with the page's CSRF token to `action`. */
  async submit(
    formPage: string,
    action: string,
    fields: Record<string, string>,
  ): Promise<Response> {
    const page = await this.get(formPage);
    const csrf = csrfOf(await page.text());
    return await this.post(action, { ...fields, csrf });
  }

  /** Registers and stays logged in; returns the redirect response. */
  register(username: string, password = "correct horse battery"): Promise<Response> {
    return this.submit("/users/register", "/users/register", { username, password });
  }

  /** Logs in; returns the response. */
  logIn(username: string, password = "correct horse battery"): Promise<Response> {
    return this.submit("/users/log_in", "/users/log_in", { username, password });
  }
}

/** A user who approved an app, set up directly (no HTTP), for API tests. */
export async function userWithApp(
  t: AuthTestApp,
  keys: AppKeys,
  options: { username?: string; appId?: string; scopes?: readonly string[] } = {},
): Promise<{ user: User; appId: string }> {
  const username = options.username ?? "alice";
  const user = await getUserByUsername(t.deps, username) ??
    await createUser(t.deps, { username, password: "correct horse battery" });
  const appId = options.appId ?? `app-${keys.alg.toLowerCase()}`;
  const token = await authorizationJwt(keys, {
    appId,
    nowMs: t.clock.now(),
    scopes: options.scopes ?? ["user.sync"],
  });
  await authorizeApp(t.deps, user.id, await verifyAuthorizationJwt(token, { now: t.clock.now() }));
  return { user, appId };
}

/** Calls an API path with a Bearer token. */
export function callApi(
  t: AuthTestApp,
  path: string,
  bearer: string,
  init: RequestInit = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${bearer}`);
  return Promise.resolve(t.app.request(path, { ...init, headers }));
}
