/**
 * A gpodder client for tests: one user who logs in once with HTTP Basic and then sends only
 * the `sessionid` cookie (as AntennaPod does), over the real app on `:memory:` KV. Every
 * answer is checked against the rules every gpodder answer keeps (SPEC §9): not cacheable,
 * no `null` anywhere, integer `timestamp` fields, errors as a 4xx JSON body.
 */
import assert from "node:assert/strict";
import { createUser } from "../../src/auth/users.ts";
import { buildTestApp, type TestApp } from "../_support/app.ts";

/** A parsed JSON answer; its shape is what the tests check. */
// deno-lint-ignore no-explicit-any
export type Json = any;

/** One HTTP answer. */
export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: Json;
}

/** How a call authenticates: the session cookie (default), none, or these headers. */
export interface CallOptions {
  readonly json?: unknown;
  readonly raw?: BodyInit;
  readonly headers?: Record<string, string>;
  readonly auth?: "cookie" | "none";
}

/** The challenge every 401 must carry. */
export const REALM = 'Basic realm="Balados Sync"';
/** The test user's credentials. */
export const USER = { username: "alice", password: "correct horse" } as const;

/** An `Authorization: Basic` value. */
export function basic(username: string, password: string): string {
  return `Basic ${btoa(`${username}:${password}`)}`;
}

/** Fails on `null` anywhere in a JSON value; `path` names where. */
export function assertNoNull(value: unknown, path = "$"): void {
  assert.notEqual(value, null, `${path} is null`);
  if (Array.isArray(value)) value.forEach((v, i) => assertNoNull(v, `${path}[${i}]`));
  else if (typeof value === "object") {
    for (const [k, v] of Object.entries(value as object)) assertNoNull(v, `${path}.${k}`);
  }
}

const ACTION_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;

/** The rules every gpodder answer keeps, whatever its status. */
export function checkAnswer(r: Reply, what: string): void {
  const where = `${what} (${r.status} ${r.text.slice(0, 300)})`;
  assert.ok(r.status < 500, `${where}: a server error`);
  assert.equal(r.headers.get("cache-control"), "no-store", `${where}: Cache-Control`);
  assert.equal(r.headers.get("expires"), null, `${where}: Expires`);
  assert.equal(r.headers.get("last-modified"), null, `${where}: Last-Modified`);
  if (r.body !== undefined) assertNoNull(r.body, what);
  const b = r.body;
  if (b && typeof b === "object" && !Array.isArray(b) && "timestamp" in b) {
    assert.ok(Number.isInteger(b.timestamp), `${where}: timestamp is not an integer`);
  }
  if (b && Array.isArray(b.actions)) {
    for (const a of b.actions) assert.match(a.timestamp, ACTION_TIME, `${where}: action time`);
  }
  if (r.status >= 400) {
    assert.equal(typeof b?.error?.code, "string", `${where}: no JSON error body`);
    assert.match(b.error.code, /^[a-z_]+$/, where);
    assert.equal(typeof b.error.message, "string", where);
    if (r.status === 401) assert.equal(r.headers.get("www-authenticate"), REALM, where);
  }
}

/** Asserts a rejection: this status, a JSON error body, and the answer rules. */
export function expectError(r: Reply, status: number, what: string): void {
  checkAnswer(r, what);
  assert.equal(r.status, status, `${what}: expected ${status}, got ${r.status} ${r.text}`);
}

/** A logged-in gpodder user over the test app. */
export class GpClient {
  readonly t: TestApp;
  readonly userId: string;
  cookie = "";

  constructor(t: TestApp, userId: string) {
    this.t = t;
    this.userId = userId;
  }

  /** Sends a request and checks the answer rules. */
  async call(method: string, path: string, options: CallOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...options.headers };
    if ((options.auth ?? "cookie") === "cookie" && this.cookie && !headers.Cookie) {
      headers.Cookie = this.cookie;
    }
    const body = options.raw ??
      (options.json === undefined ? undefined : JSON.stringify(options.json));
    const res = await this.t.app.request(path, { method, headers, body });
    const text = await res.text();
    let parsed: Json = undefined;
    if (text !== "" && /json/.test(res.headers.get("content-type") ?? "")) {
      parsed = JSON.parse(text);
    }
    const reply = { status: res.status, headers: res.headers, text, body: parsed };
    checkAnswer(reply, `${method} ${path.slice(0, 120)}`);
    return reply;
  }

  get(path: string, options?: CallOptions): Promise<Reply> {
    return this.call("GET", path, options);
  }

  post(path: string, json: unknown, options?: CallOptions): Promise<Reply> {
    return this.call("POST", path, { ...options, json });
  }

  /** The user's stream head (the seq of the last event). */
  async head(): Promise<number> {
    return (await this.t.deps.store.head(this.userId)).seq;
  }
}

/** Runs `fn` with user alice logged in (Basic once, then the cookie). */
export async function withGp(
  fn: (gp: GpClient) => Promise<void>,
  options: { env?: Record<string, string> } = {},
): Promise<void> {
  const t = await buildTestApp(options);
  try {
    const user = await createUser(t.deps, USER);
    const gp = new GpClient(t, user.id);
    const login = await gp.call("POST", "/api/2/auth/alice/login.json", {
      headers: { Authorization: basic(USER.username, USER.password) },
    });
    assert.equal(login.status, 200, login.text);
    gp.cookie = login.headers.get("set-cookie")!.split(";")[0];
    await fn(gp);
  } finally {
    await t.close();
  }
}

/** A feed the tests subscribe to. */
export const FEED = "https://example.org/feed.xml";
/** Where the Nextcloud gpoddersync endpoints live. */
export const NC = "/index.php/apps/gpoddersync";

/** A valid play action on episode `i`, with `extra` keys over it. */
export function action(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    podcast: FEED,
    episode: `https://cdn.example.org/${i}.mp3`,
    action: "play",
    started: 0,
    position: 10 + i,
    total: 3600,
    timestamp: "2026-01-15T09:00:00",
    device: "phone",
    ...extra,
  };
}

/** Gives the user some history, so that "nothing written" is checked against a real head. */
export async function seed(gp: GpClient): Promise<number> {
  const r = await gp.post("/api/2/episodes/alice.json", [action(1), action(2)]);
  assert.equal(r.status, 200, r.text);
  const s = await gp.post("/api/2/subscriptions/alice/phone.json", { add: [FEED], remove: [] });
  assert.equal(s.status, 200, s.text);
  const head = await gp.head();
  assert.ok(head > 0);
  return head;
}
