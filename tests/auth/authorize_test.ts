import assert from "node:assert/strict";
import { getAppToken, revokeAppToken } from "../../src/auth/app_tokens.ts";
import { isAllowedRedirectUri, verifyAuthorizationJwt } from "../../src/auth/jwt.ts";
import { ValidationError } from "../../src/domain/errors.ts";
import { getUserByUsername } from "../../src/auth/users.ts";
import { Browser, buildAuthApp, csrfOf, kvSnapshot } from "../_support/auth_app.ts";
import { authorizationJwt, generateAppKeys } from "../_support/jwt.ts";

Deno.test("authorize page: a logged-out visitor is sent to log in and brought back", async () => {
  const t = await buildAuthApp();
  try {
    await new Browser(t.app).register("alice");
    const keys = await generateAppKeys("ES256");
    const token = await authorizationJwt(keys, { appId: "podapp", nowMs: t.clock.now() });
    const b = new Browser(t.app);
    const first = await b.get(`/authorize?token=${token}`);
    assert.equal(first.status, 303);
    const login = first.headers.get("Location")!;
    assert.match(login, /^\/users\/log_in\?return_to=/);
    const csrf = csrfOf(await (await b.get(login)).text());
    const returnTo = new URL(login, "http://x").searchParams.get("return_to")!;
    const res = await b.post("/users/log_in", {
      csrf,
      username: "alice",
      password: "correct horse battery",
      return_to: returnTo,
    });
    assert.equal(res.headers.get("Location"), `/authorize?token=${token}`);
    const page = await b.get(res.headers.get("Location")!);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /App podapp/);
  } finally {
    await t.close();
  }
});

Deno.test("authorize page: shows the app's name, site, image and each scope in plain words", async () => {
  const t = await buildAuthApp();
  try {
    const b = new Browser(t.app);
    await b.register("alice");
    const keys = await generateAppKeys("EdDSA");
    const token = await authorizationJwt(keys, {
      appId: "com.example.pods",
      nowMs: t.clock.now(),
      name: "Pods <b>& Co</b>",
      url: "https://pods.example/about",
      image: "https://pods.example/icon.png",
      scopes: ["user.subscriptions.read", "user.plays.write"],
    });
    const res = await b.get(`/authorize?token=${token}`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /Pods &lt;b&gt;&amp; Co&lt;\/b&gt;/);
    assert.match(html, /href="https:\/\/pods\.example\/about"/);
    assert.match(html, /src="https:\/\/pods\.example\/icon\.png"/);
    assert.match(html, /See the podcasts you subscribe to/);
    assert.match(html, /Record what you listen to/);
    assert.match(html, /value="approve"/);
    assert.match(html, /value="deny"/);
  } finally {
    await t.close();
  }
});

Deno.test("authorize page: a broken or unknown-scope request is explained, nothing stored", async () => {
  const t = await buildAuthApp();
  try {
    const b = new Browser(t.app);
    await b.register("alice");
    const before = await kvSnapshot(t.kv);
    const keys = await generateAppKeys("ES256");
    const unknown = await authorizationJwt(keys, {
      appId: "a",
      nowMs: t.clock.now(),
      scopes: ["user.sync", "admin.everything"],
    });
    const res = await b.get(`/authorize?token=${unknown}`);
    assert.equal(res.status, 400);
    assert.match(await res.text(), /Unknown scope: &quot;admin\.everything&quot;/);
    for (const bad of ["", "garbage", "a.b.c", "x".repeat(40_000)]) {
      assert.equal((await b.get(`/authorize?token=${bad}`)).status, 400, bad.slice(0, 10));
    }
    assert.deepEqual(await kvSnapshot(t.kv), before);
  } finally {
    await t.close();
  }
});

Deno.test("verifyAuthorizationJwt() refuses a token not signed by the key it carries", async () => {
  const keys = await generateAppKeys("ES256");
  const other = await generateAppKeys("ES256");
  const now = Date.UTC(2024, 0, 1);
  const token = await authorizationJwt(keys, {
    appId: "a",
    nowMs: now,
    claims: { app: { name: "A", public_key: other.publicPem } },
  });
  await assert.rejects(verifyAuthorizationJwt(token, { now }), /signature/);
  const expired = await authorizationJwt(keys, { appId: "a", nowMs: now - 3_600_000 });
  await assert.rejects(verifyAuthorizationJwt(expired, { now }), /expired/);
  const rsaKeyEsAlg = await authorizationJwt(keys, {
    appId: "a",
    nowMs: now,
    claims: { app: { name: "A", public_key: (await generateAppKeys("RS256")).publicPem } },
  });
  await assert.rejects(verifyAuthorizationJwt(rsaKeyEsAlg, { now }), ValidationError);
  const privateJwk = await authorizationJwt(keys, {
    appId: "a",
    nowMs: now,
    claims: { app: { name: "A", public_key: { ...keys.publicJwk, d: "secret" } } },
  });
  await assert.rejects(verifyAuthorizationJwt(privateJwk, { now }), /private key/);
  const longIss = await authorizationJwt(keys, { appId: "x".repeat(129), nowMs: now });
  await assert.rejects(verifyAuthorizationJwt(longIss, { now }), /iss/);
});

Deno.test("verifyAuthorizationJwt() accepts a public key given as a JWK and stores it as PEM", async () => {
  const keys = await generateAppKeys("RS256");
  const now = Date.UTC(2024, 0, 1);
  const token = await authorizationJwt(keys, { appId: "jwk-app", nowMs: now, asJwk: true });
  const request = await verifyAuthorizationJwt(token, { now });
  assert.equal(request.alg, "RS256");
  assert.match(request.public_key, /^-----BEGIN PUBLIC KEY-----/);
});

Deno.test("isAllowedRedirectUri() allows https and custom schemes, never http, javascript or data", () => {
  for (const ok of ["https://app.example/cb", "myapp://done", "com.example.app:/oauth"]) {
    assert.equal(isAllowedRedirectUri(ok), true, ok);
  }
  for (
    const bad of [
      "http://app.example/cb",
      "javascript:alert(1)",
      "JavaScript:alert(1)",
      "data:text/html,hi",
      "vbscript:x",
      "file:///etc/passwd",
      "/relative",
      "https://user@evil.example/",
      "https://ok.example/\nLocation: x",
    ]
  ) {
    assert.equal(isAllowedRedirectUri(bad), false, bad);
  }
});

Deno.test("authorize approve: redirects to the app's redirect_uri with user id, username and state", async () => {
  const t = await buildAuthApp();
  try {
    const b = new Browser(t.app);
    await b.register("alice");
    const alice = (await getUserByUsername(t.deps, "alice"))!;
    const keys = await generateAppKeys("ES256");
    const token = await authorizationJwt(keys, {
      appId: "podapp",
      nowMs: t.clock.now(),
      redirectUri: "myapp://done",
      state: "xyz 1",
    });
    const res = await b.submit(`/authorize?token=${token}`, "/authorize", {
      token,
      decision: "approve",
    });
    assert.equal(res.status, 303);
    const location = new URL(res.headers.get("Location")!);
    assert.equal(location.protocol, "myapp:");
    assert.equal(location.searchParams.get("user_id"), alice.id);
    assert.equal(location.searchParams.get("username"), "alice");
    assert.equal(location.searchParams.get("state"), "xyz 1");
    assert.equal((await getAppToken(t.deps, alice.id, "podapp"))?.value?.alg, "ES256");
  } finally {
    await t.close();
  }
});

Deno.test("authorize deny: redirects with error=access_denied and state, stores nothing", async () => {
  const t = await buildAuthApp();
  try {
    const b = new Browser(t.app);
    await b.register("alice");
    const keys = await generateAppKeys("ES256");
    const token = await authorizationJwt(keys, {
      appId: "podapp",
      nowMs: t.clock.now(),
      redirectUri: "https://pods.example/cb",
      state: "s1",
    });
    const page = await b.get(`/authorize?token=${token}`);
    const csrf = csrfOf(await page.text());
    const before = await kvSnapshot(t.kv);
    const res = await b.post("/authorize", { csrf, token, decision: "deny" });
    assert.equal(
      res.headers.get("Location"),
      "https://pods.example/cb?error=access_denied&state=s1",
    );
    assert.deepEqual(await kvSnapshot(t.kv), before);
  } finally {
    await t.close();
  }
});

Deno.test("authorize approve without redirect_uri shows the user id and username", async () => {
  const t = await buildAuthApp();
  try {
    const b = new Browser(t.app);
    await b.register("alice");
    const alice = (await getUserByUsername(t.deps, "alice"))!;
    const keys = await generateAppKeys("ES256");
    const token = await authorizationJwt(keys, { appId: "cli", nowMs: t.clock.now() });
    const res = await b.submit(`/authorize?token=${token}`, "/authorize", {
      token,
      decision: "approve",
    });
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, new RegExp(alice.id));
    assert.match(html, /<code>alice<\/code>/);
  } finally {
    await t.close();
  }
});

Deno.test("authorize approve without CSRF token is refused with 403 and stores nothing", async () => {
  const t = await buildAuthApp();
  try {
    const b = new Browser(t.app);
    await b.register("alice");
    const keys = await generateAppKeys("ES256");
    const token = await authorizationJwt(keys, { appId: "podapp", nowMs: t.clock.now() });
    const before = await kvSnapshot(t.kv);
    const res = await b.post("/authorize", { token, decision: "approve" });
    assert.equal(res.status, 403);
    assert.equal((await res.json()).error.code, "forbidden");
    assert.deepEqual(await kvSnapshot(t.kv), before);
  } finally {
    await t.close();
  }
});

Deno.test("authorizing a revoked app again un-revokes it with the new key and scopes", async () => {
  const t = await buildAuthApp();
  try {
    const b = new Browser(t.app);
    await b.register("alice");
    const alice = (await getUserByUsername(t.deps, "alice"))!;
    const first = await generateAppKeys("ES256");
    const approve = async (keys: typeof first, scopes: string[]) => {
      const token = await authorizationJwt(keys, { appId: "podapp", nowMs: t.clock.now(), scopes });
      await b.submit(`/authorize?token=${token}`, "/authorize", { token, decision: "approve" });
    };
    await approve(first, ["user.sync"]);
    await revokeAppToken(t.deps, alice.id, "podapp");
    const second = await generateAppKeys("EdDSA");
    await approve(second, ["*.read"]);
    const stored = (await getAppToken(t.deps, alice.id, "podapp"))!.value!;
    assert.equal(stored.revoked_at, null);
    assert.equal(stored.alg, "EdDSA");
    assert.deepEqual(stored.scopes, ["*.read"]);
  } finally {
    await t.close();
  }
});
