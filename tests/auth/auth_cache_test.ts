/**
 * Request-JWT auth served from memory (src/auth/auth_cache.ts) with SPEC §2.2's promise: a
 * revocation, a re-authorization or an account deletion applies at once in the process that
 * made it and within 1 s in any other. "Two processes" are two app instances over two KV
 * handles on one file: each handle is its own SQLite connection and its own memory.
 */
import assert from "node:assert/strict";
import { createApp } from "../../routes/app.ts";
import { authorizeApp, revokeAppToken } from "../../src/auth/app_tokens.ts";
import { verifyAuthorizationJwt } from "../../src/auth/jwt.ts";
import { createUser, type User } from "../../src/auth/users.ts";
import { type Clock, systemClock } from "../../src/clock.ts";
import { loadConfig } from "../../src/config.ts";
import { requestAccountDeletion } from "../../src/lifecycle/erase.ts";
import { silentLogger } from "../../src/logger.ts";
import { type AppDeps, createServices } from "../../src/services.ts";
import { FakeClock } from "../_support/clock.ts";
import { type AppKeys, authorizationJwt, generateAppKeys, requestJwt } from "../_support/jwt.ts";

const APP = "podapp";

interface Instance {
  deps: AppDeps;
  me(jwt: string): Promise<number>;
  close(): Promise<void>;
}

/** One app instance over its own handle on `path`, counting the KV reads it makes. */
async function instance(path: string, clock: Clock): Promise<Instance & { reads: () => number }> {
  const raw = await Deno.openKv(path);
  let reads = 0;
  const kv = new Proxy(raw, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target);
      if (typeof v !== "function") return v;
      if (prop === "get" || prop === "getMany") {
        return (...args: unknown[]) => {
          reads++;
          return v.apply(target, args);
        };
      }
      return v.bind(target);
    },
  });
  const deps = createServices({
    kv,
    config: loadConfig({ KV_PATH: path, KV_QUEUES: "off", BASE_URL: "http://localhost:8000" }),
    clock,
    logger: silentLogger,
    autoProject: false,
    autoGateway: false,
    passwordIterations: 1_000,
  });
  const app = createApp(deps);
  return {
    deps,
    reads: () => reads,
    async me(jwt) {
      const res = await app.request("/api/v1/me", { headers: { Authorization: `Bearer ${jwt}` } });
      await res.body?.cancel();
      return res.status;
    },
    async close() {
      await deps.feeds.settled();
      await deps.gateway.stop();
      await deps.registry.drain();
      await deps.projector.stop();
      await deps.eraser.stop();
      raw.close();
    },
  };
}

async function authorize(deps: AppDeps, user: User, keys: AppKeys, now: number) {
  const jwt = await authorizationJwt(keys, { appId: APP, nowMs: now, scopes: ["user.sync"] });
  await authorizeApp(deps, user.id, await verifyAuthorizationJwt(jwt, { now }));
}

/** Two instances on one temporary KV file, a user who approved the app, and its keys. */
async function twoProcesses(clock: Clock) {
  const dir = await Deno.makeTempDir({ prefix: "balados-auth-cache-" });
  const a = await instance(`${dir}/kv`, clock);
  const b = await instance(`${dir}/kv`, clock);
  const keys = await generateAppKeys("ES256");
  const user = await createUser(a.deps, { username: "alice", password: "correct horse" });
  await authorize(a.deps, user, keys, clock.now());
  const jwt = (k = keys) => requestJwt(k, { appId: APP, sub: user.id, nowMs: clock.now() });
  return {
    a,
    b,
    user,
    keys,
    jwt,
    async close() {
      await a.close();
      await b.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("a revoked app is refused at once where it was revoked and within 1 s in another process", async () => {
  const clock = new FakeClock();
  const t = await twoProcesses(clock);
  try {
    const token = await t.jwt();
    assert.equal(await t.a.me(token), 200);
    assert.equal(await t.b.me(token), 200);
    await revokeAppToken(t.a.deps, t.user.id, APP);
    assert.equal(await t.a.me(token), 401);
    clock.advance(1_000);
    assert.equal(await t.b.me(token), 401);
    assert.equal(await t.b.me(await t.jwt()), 401);
  } finally {
    await t.close();
  }
});

Deno.test("a revocation reaches another process within 1 s of wall-clock time", async () => {
  const t = await twoProcesses(systemClock);
  try {
    const token = await t.jwt();
    assert.equal(await t.b.me(token), 200);
    await revokeAppToken(t.a.deps, t.user.id, APP);
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(await t.b.me(token), 401);
  } finally {
    await t.close();
  }
});

Deno.test("re-authorizing an app with a new key refuses the old key's tokens in the other process within 1 s", async () => {
  const clock = new FakeClock();
  const t = await twoProcesses(clock);
  try {
    const old = await t.jwt();
    assert.equal(await t.b.me(old), 200);
    const newKeys = await generateAppKeys("EdDSA");
    await authorize(t.a.deps, t.user, newKeys, clock.now());
    clock.advance(1_000);
    assert.equal(await t.b.me(old), 401);
    assert.equal(await t.b.me(await t.jwt(newKeys)), 200);
  } finally {
    await t.close();
  }
});

Deno.test("a deleted account's request JWTs stop at once there and within 1 s in another process", async () => {
  const clock = new FakeClock();
  const t = await twoProcesses(clock);
  try {
    const token = await t.jwt();
    assert.equal(await t.a.me(token), 200);
    assert.equal(await t.b.me(token), 200);
    assert.ok(await requestAccountDeletion(t.a.deps, t.user.id));
    assert.equal(await t.a.me(token), 401);
    clock.advance(1_000);
    assert.equal(await t.b.me(token), 401);
  } finally {
    await t.close();
  }
});

Deno.test("an app authorized in another process works at once (a refusal is not remembered)", async () => {
  const clock = new FakeClock();
  const t = await twoProcesses(clock);
  try {
    const other = await generateAppKeys("ES256");
    const bob = await createUser(t.a.deps, { username: "bob", password: "correct horse" });
    const token = await requestJwt(other, { appId: "late-app", sub: bob.id, nowMs: clock.now() });
    assert.equal(await t.b.me(token), 401);
    const jwt = await authorizationJwt(other, { appId: "late-app", nowMs: clock.now() });
    await authorizeApp(t.a.deps, bob.id, await verifyAuthorizationJwt(jwt, { now: clock.now() }));
    assert.equal(await t.b.me(token), 200);
  } finally {
    await t.close();
  }
});

Deno.test("repeated requests within a second read neither the user nor the app token again", async () => {
  const clock = new FakeClock();
  const t = await twoProcesses(clock);
  try {
    const token = await t.jwt();
    assert.equal(await t.b.me(token), 200);
    const before = t.b.reads();
    for (let i = 0; i < 20; i++) assert.equal(await t.b.me(token), 200);
    assert.equal(t.b.reads(), before, "no KV read for 20 requests within the second");
    clock.advance(1_000);
    assert.equal(await t.b.me(token), 200);
    assert.equal(t.b.reads(), before + 1, "one read of the auth epoch after a second");
  } finally {
    await t.close();
  }
});
