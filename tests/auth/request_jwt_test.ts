import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { revokeAppToken } from "../../src/auth/app_tokens.ts";
import { createUser } from "../../src/auth/users.ts";
import { Unauthorized, verifyRequestJwt } from "../../src/auth/request_jwt.ts";
import { INVALID_TOKEN_MESSAGE } from "../../routes/auth_middleware.ts";
import {
  type AuthTestApp,
  buildAuthApp,
  callApi,
  kvSnapshot,
  userWithApp,
} from "../_support/auth_app.ts";
import {
  type AppKeys,
  b64url,
  generateAppKeys,
  hs256Jwt,
  requestJwt,
  unsignedJwt,
} from "../_support/jwt.ts";

interface Setup {
  t: AuthTestApp;
  keys: AppKeys;
  userId: string;
  appId: string;
  /** A request JWT with these changes, signed by the app's key. */
  jwt(
    o?: { claims?: Record<string, unknown>; header?: Record<string, unknown>; ttlS?: number },
  ): Promise<string>;
}

async function setup(alg: "RS256" | "ES256" | "EdDSA" = "ES256"): Promise<Setup> {
  const t = await buildAuthApp();
  const keys = await generateAppKeys(alg);
  const { user, appId } = await userWithApp(t, keys, { scopes: ["user.sync"] });
  return {
    t,
    keys,
    userId: user.id,
    appId,
    jwt: (o = {}) => requestJwt(keys, { appId, sub: user.id, nowMs: t.clock.now(), ...o }),
  };
}

/**
 * Asserts a 401 `unauthorized` with the one message every token failure gets (which check
 * failed would tell whether the user authorized the app), that the server's reason
 * matches, and that nothing was written.
 */
async function refused(s: Setup, bearer: string, reason: RegExp): Promise<void> {
  const before = await kvSnapshot(s.t.kv);
  const res = await callApi(s.t, "/api/v1/me", bearer);
  const body = await res.json();
  assert.equal(res.status, 401, JSON.stringify(body));
  assert.equal(body.error.code, "unauthorized");
  assert.equal(body.error.message, INVALID_TOKEN_MESSAGE);
  assert.match(res.headers.get("WWW-Authenticate") ?? "", /^Bearer/);
  assert.deepEqual(await kvSnapshot(s.t.kv), before);
  await assert.rejects(
    verifyRequestJwt(s.t.deps, bearer),
    (err: Error) => err instanceof Unauthorized && reason.test(err.message),
  );
}

function hostile(name: string, fn: (s: Setup) => Promise<void>) {
  Deno.test(name, async () => {
    const s = await setup();
    try {
      await fn(s);
    } finally {
      await s.t.close();
    }
  });
}

hostile("request JWT that is valid is accepted (control case)", async (s) => {
  const res = await callApi(s.t, "/api/v1/me", await s.jwt());
  assert.equal(res.status, 200);
});

hostile("request JWT with alg none is refused", async (s) => {
  const now = Math.floor(s.t.clock.now() / 1000);
  const token = unsignedJwt({ iss: s.appId, sub: s.userId, jti: "1", iat: now, exp: now + 60 });
  await refused(s, token, /not a signed JWT/);
  await refused(s, token + "c2ln", /RS256, ES256 or EdDSA/);
});

hostile("request JWT signed with HS256 using the public key bytes is refused", async (s) => {
  const now = Math.floor(s.t.clock.now() / 1000);
  const claims = { iss: s.appId, sub: s.userId, jti: "1", iat: now, exp: now + 60 };
  await refused(s, await hs256Jwt(claims, s.keys.publicPem), /RS256, ES256 or EdDSA/);
});

hostile("request JWT with a wrong iss is refused", async (s) => {
  await refused(s, await s.jwt({ claims: { iss: "some-other-app" } }), /not authorized/);
});

hostile("request JWT with the sub of another user is refused", async (s) => {
  const bob = await createUser(s.t.deps, { username: "bob", password: "correct horse battery" });
  await refused(s, await s.jwt({ claims: { sub: bob.id } }), /not authorized/);
  await refused(s, await s.jwt({ claims: { sub: "nobody-here" } }), /not authorized/);
});

hostile("request JWT that has expired is refused, even within the lifetime limit", async (s) => {
  const token = await s.jwt({ ttlS: 120 });
  s.t.clock.advance(119_000);
  assert.equal((await callApi(s.t, "/api/v1/me", token)).status, 200);
  s.t.clock.advance(60_000); // inside the 60 s tolerance
  assert.equal((await callApi(s.t, "/api/v1/me", token)).status, 200);
  s.t.clock.advance(2_000);
  await refused(s, token, /expired/);
});

hostile("request JWT with exp - iat over one hour is refused", async (s) => {
  await refused(s, await s.jwt({ ttlS: 3601 }), /exp - iat/);
});

hostile("request JWT issued in the future is refused", async (s) => {
  const now = Math.floor(s.t.clock.now() / 1000);
  await refused(s, await s.jwt({ claims: { iat: now + 600, exp: now + 900 } }), /future/);
});

hostile("request JWT without jti, iat, exp or sub is refused naming the claim", async (s) => {
  await refused(s, await s.jwt({ claims: { jti: undefined } }), /"jti"/);
  await refused(s, await s.jwt({ claims: { iat: undefined } }), /"iat"/);
  await refused(s, await s.jwt({ claims: { exp: undefined } }), /"exp"/);
  await refused(s, await s.jwt({ claims: { sub: undefined } }), /"sub"/);
  await refused(s, await s.jwt({ claims: { jti: 42 } }), /jti/);
});

hostile("request JWT for a revoked app is refused", async (s) => {
  await revokeAppToken(s.t.deps, s.userId, s.appId);
  await refused(s, await s.jwt(), /revoked/);
});

hostile("request JWT with a tampered payload is refused", async (s) => {
  const [h, , sig] = (await s.jwt()).split(".");
  const now = Math.floor(s.t.clock.now() / 1000);
  const forged = b64url(
    JSON.stringify({
      iss: s.appId,
      sub: s.userId,
      jti: "x",
      iat: now,
      exp: now + 60,
      device_id: "evil",
    }),
  );
  await refused(s, `${h}.${forged}.${sig}`, /signature/);
});

hostile("request JWT signed by another key of the same type is refused", async (s) => {
  const other = await generateAppKeys("ES256");
  const token = await requestJwt(other, { appId: s.appId, sub: s.userId, nowMs: s.t.clock.now() });
  await refused(s, token, /signature/);
});

hostile("request JWT with a jwk header pointing to an attacker key is refused", async (s) => {
  const attacker = await generateAppKeys("ES256");
  const token = await requestJwt(attacker, {
    appId: s.appId,
    sub: s.userId,
    nowMs: s.t.clock.now(),
    header: {
      jwk: attacker.publicJwk,
      jku: "https://attacker.example/jwks",
      x5u: "https://attacker.example/x",
    },
  });
  await refused(s, token, /signature/);
});

hostile("request JWT with an algorithm other than the app's is refused", async (s) => {
  const rsa = await generateAppKeys("RS256");
  const token = await requestJwt(rsa, { appId: s.appId, sub: s.userId, nowMs: s.t.clock.now() });
  await refused(s, token, /must be signed with ES256/);
});

hostile("request JWT with an aud other than BASE_URL is refused", async (s) => {
  await refused(s, await s.jwt({ claims: { aud: "https://other.example" } }), /aud/);
  const ok = await callApi(
    s.t,
    "/api/v1/me",
    await s.jwt({ claims: { aud: "http://localhost:8000" } }),
  );
  assert.equal(ok.status, 200);
});

hostile("request JWT strings that are garbage are refused", async (s) => {
  for (
    const garbage of [
      "x",
      "a.b.c",
      "....",
      "eyJhbGciOiJFUzI1NiJ9.e30.",
      `${b64url("[]")}.${b64url("{}")}.${b64url("sig")}`,
      `${b64url('{"alg":"ES256"}')}.${b64url("not json")}.${b64url("sig")}`,
      `${b64url('{"alg":"ES256"}')}.${b64url('{"iss":5,"sub":[]}')}.${b64url("sig")}`,
      "\u00e9t\u00e9.\u00e9t\u00e9.\u00e9t\u00e9",
    ]
  ) {
    await refused(s, garbage, /./);
  }
  const noBearer = await s.t.app.request("/api/v1/me", { headers: { Authorization: "Basic abc" } });
  assert.equal(noBearer.status, 401);
  assert.equal((await s.t.app.request("/api/v1/me")).status, 401);
});

hostile("request JWT of 100 KB is refused before parsing", async (s) => {
  const big = await s.jwt({ claims: { pad: "x".repeat(100_000) } });
  await refused(s, big, /larger than 8 KB/);
});

hostile("request JWT with a bad device_id type is refused", async (s) => {
  await refused(s, await s.jwt({ claims: { device_id: { id: 1 } } }), /device_id/);
});

Deno.test("request JWT use is recorded at most once a minute", async () => {
  const s = await setup();
  try {
    await callApi(s.t, "/api/v1/me", await s.jwt());
    const first = await kvSnapshot(s.t.kv);
    s.t.clock.advance(30_000);
    await callApi(s.t, "/api/v1/me", await s.jwt());
    assert.deepEqual(await kvSnapshot(s.t.kv), first);
    s.t.clock.advance(31_000);
    await callApi(s.t, "/api/v1/me", await s.jwt());
    assert.notDeepEqual(await kvSnapshot(s.t.kv), first);
  } finally {
    await s.t.close();
  }
});

Deno.test("request JWT may be reused until it expires (jti is required, not single-use)", async () => {
  const s = await setup("EdDSA");
  try {
    const token = await s.jwt();
    for (let i = 0; i < 3; i++) {
      assert.equal((await callApi(s.t, "/api/v1/me", token)).status, 200);
    }
  } finally {
    await s.t.close();
  }
});

Deno.test("request JWT signed by hand with jose for an RS256 app is accepted", async () => {
  const s = await setup("RS256");
  try {
    const now = Math.floor(s.t.clock.now() / 1000);
    const token = await new SignJWT({ device_id: "phone", device_name: "Pixel" })
      .setProtectedHeader({ alg: "RS256" })
      .setIssuer(s.appId)
      .setSubject("alice")
      .setJti("abc")
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(s.keys.privateKey);
    const res = await callApi(s.t, "/api/v1/me", token);
    assert.equal(res.status, 200);
    assert.deepEqual((await res.json()).device, { id: "phone", name: "Pixel" });
  } finally {
    await s.t.close();
  }
});

hostile("a request JWT already accepted is refused once the app is revoked", async (s) => {
  const token = await s.jwt();
  assert.equal((await callApi(s.t, "/api/v1/me", token)).status, 200);
  await revokeAppToken(s.t.deps, s.userId, s.appId);
  await refused(s, token, /revoked/);
});

hostile(
  "a request JWT already accepted is refused after the app re-authorizes a new key",
  async (s) => {
    const token = await s.jwt();
    assert.equal((await callApi(s.t, "/api/v1/me", token)).status, 200);
    // The same app id approves a new key pair: tokens signed with the old key no longer pass.
    await userWithApp(s.t, await generateAppKeys("ES256"), {
      appId: s.appId,
      scopes: ["user.sync"],
    });
    await refused(s, token, /signature/);
  },
);

hostile(
  "the 401 does not tell an authorized app's key type from an unauthorized app",
  async (s) => {
    // Another app id, never authorized by this user, signed with a different algorithm.
    const other = await generateAppKeys("EdDSA");
    const unknownApp = await requestJwt(other, {
      appId: "never-authorized",
      sub: s.userId,
      nowMs: s.t.clock.now(),
    });
    const wrongAlg = await requestJwt(other, {
      appId: s.appId,
      sub: s.userId,
      nowMs: s.t.clock.now(),
    });
    const a = await (await callApi(s.t, "/api/v1/me", unknownApp)).json();
    const b = await (await callApi(s.t, "/api/v1/me", wrongAlg)).json();
    assert.deepEqual(a, b);
  },
);
