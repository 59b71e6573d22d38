/**
 * A JSON client for the REST API v1 in tests: one user, one app, a fresh signed request JWT
 * per call (the fake clock may move between calls), over the real app on `:memory:` KV.
 */
import assert from "node:assert/strict";
import { type AuthTestApp, buildAuthApp, userWithApp } from "../_support/auth_app.ts";
import { type AppKeys, generateAppKeys, requestJwt } from "../_support/jwt.ts";
import { encodeFeedId, encodeItemId } from "../../src/domain/ids.ts";

/** A parsed JSON answer; its shape is what the tests check. */
// deno-lint-ignore no-explicit-any
export type Json = any;

/** One HTTP answer: status, headers, raw text and the JSON body when there is one. */
export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: Json;
}

/** Per-call options: a raw body (not JSON-encoded), extra headers, another device. */
export interface CallOptions {
  readonly raw?: BodyInit;
  readonly headers?: HeadersInit;
  readonly device?: string;
}

/** Who calls, from which device, and where requests go (in-process by default). */
interface Caller {
  keys: AppKeys;
  userId: string;
  appId: string;
  device?: string;
  /** Sends a request to another app or over a socket instead of `t.app`. */
  send?: (url: string, init: RequestInit) => Promise<Response>;
}

/** Calls `/api/v1…` as one user through one approved app. */
export class ApiClient {
  readonly t: AuthTestApp;
  readonly userId: string;
  readonly #who: Caller;

  constructor(t: AuthTestApp, who: Caller) {
    this.t = t;
    this.userId = who.userId;
    this.#who = who;
  }

  /** The same user and app, calling as another device (`device_id` claim). */
  onDevice(device: string): ApiClient {
    return new ApiClient(this.t, { ...this.#who, device });
  }

  /** The same caller, sending its requests with `send` (a socket, another app instance). */
  via(send: (url: string, init: RequestInit) => Promise<Response>): ApiClient {
    return new ApiClient(this.t, { ...this.#who, send });
  }

  /** A signed request JWT for this user, app and device. */
  jwt(device = this.#who.device): Promise<string> {
    return requestJwt(this.#who.keys, {
      appId: this.#who.appId,
      sub: this.userId,
      nowMs: this.t.clock.now(),
      deviceId: device,
      deviceName: device && `Device ${device}`,
    });
  }

  /** Sends `method path` (relative to `/api/v1`), the body JSON-encoded unless `raw`. */
  async call(
    method: string,
    path: string,
    body?: unknown,
    options: CallOptions = {},
  ): Promise<Reply> {
    const headers = new Headers(options.headers);
    headers.set("Authorization", `Bearer ${await this.jwt(options.device ?? this.#who.device)}`);
    let payload: BodyInit | undefined = options.raw;
    if (payload === undefined && body !== undefined) {
      payload = JSON.stringify(body);
      if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
    }
    const init = { method, headers, body: payload };
    const res = this.#who.send
      ? await this.#who.send(`/api/v1${path}`, init)
      : await this.t.app.request(`/api/v1${path}`, init);
    const text = await res.text();
    let parsed: Json = undefined;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, text, body: parsed };
  }

  get(path: string, options?: CallOptions): Promise<Reply> {
    return this.call("GET", path, undefined, options);
  }
  post(path: string, body?: unknown, options?: CallOptions): Promise<Reply> {
    return this.call("POST", path, body, options);
  }
  put(path: string, body?: unknown, options?: CallOptions): Promise<Reply> {
    return this.call("PUT", path, body, options);
  }
  patch(path: string, body?: unknown, options?: CallOptions): Promise<Reply> {
    return this.call("PATCH", path, body, options);
  }
  delete(path: string, options?: CallOptions): Promise<Reply> {
    return this.call("DELETE", path, undefined, options);
  }
}

/** The test app, a client for "alice", and a way to add more users. */
export interface ApiTest {
  readonly t: AuthTestApp;
  readonly api: ApiClient;
  /** Another user (or the same user through another app with other scopes). */
  user(username: string, options?: { scopes?: readonly string[]; appId?: string }): Promise<
    ApiClient
  >;
}

let sharedKeys: Promise<AppKeys> | undefined;

/** One ES256 key pair for every test (key generation is the slow part of a JWT). */
function testKeys(): Promise<AppKeys> {
  sharedKeys ??= generateAppKeys("ES256");
  return sharedKeys;
}

/**
 * Builds an app, gives "alice" an app with `scopes` (default `user.sync` plus privacy and
 * read), runs `fn`, and always closes the app.
 */
export async function withApi(
  options: { scopes?: readonly string[]; env?: Record<string, string> },
  fn: (x: ApiTest) => Promise<void>,
): Promise<void> {
  const t = await buildAuthApp(options.env);
  try {
    const keys = await testKeys();
    const user = async (
      username: string,
      o: { scopes?: readonly string[]; appId?: string } = {},
    ) => {
      const { user, appId } = await userWithApp(t, keys, {
        username,
        appId: o.appId,
        scopes: o.scopes ?? ["user.sync", "user.privacy", "user.read"],
      });
      return new ApiClient(t, { keys, userId: user.id, appId });
    };
    const api = await user("alice", { scopes: options.scopes });
    await fn({ t, api, user });
  } finally {
    await t.close();
  }
}

/** A feed URL for test number `n`. */
export function feedUrl(n: number | string): string {
  return `https://feeds.example.org/podcast-${n}.xml`;
}

/** The canonical feed id of test feed `n`. */
export function feedId(n: number | string): string {
  return encodeFeedId(feedUrl(n));
}

/** The canonical item id of episode `e` of test feed `n`. */
export function itemId(n: number | string, e: number | string): string {
  return encodeItemId(`guid-${n}-${e}`, `https://cdn.example.org/${n}/${e}.mp3`);
}

/** Standard-alphabet, padded base64 of a string (the other spelling clients may send). */
export function stdBase64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** Asserts a SPEC §2.5 error answer with this status and code. */
export function expectError(r: Reply, status: number, code: string, what: string): void {
  assert.equal(r.status, status, `${what}: ${r.status} ${r.text.slice(0, 200)}`);
  assert.equal(r.body?.error?.code, code, `${what}: ${r.text.slice(0, 200)}`);
  assert.equal(typeof r.body.error.message, "string");
}

/** Asserts that the user's stream is still empty. */
export async function noEvents(api: ApiClient): Promise<void> {
  assert.equal((await api.t.deps.store.head(api.userId)).seq, 0, "nothing was written");
}
