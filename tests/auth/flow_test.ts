import assert from "node:assert/strict";
import { INVALID_TOKEN_MESSAGE } from "../../routes/auth_middleware.ts";
import { Browser, buildAuthApp, callApi, csrfOf } from "../_support/auth_app.ts";
import { authorizationJwt, generateAppKeys, requestJwt } from "../_support/jwt.ts";

Deno.test("whole flow: register, log in, approve RS256/ES256/EdDSA apps, call /me, revoke → 401", async () => {
  const t = await buildAuthApp();
  try {
    await new Browser(t.app).register("alice");
    const b = new Browser(t.app);
    assert.equal((await b.logIn("alice")).status, 303);
    assert.ok(b.cookie("bs_session"));

    const apps = [
      { alg: "RS256", appId: "rsa-app", scopes: ["user.sync"] },
      { alg: "ES256", appId: "ec-app", scopes: ["user.read", "user"] },
      { alg: "EdDSA", appId: "ed-app", scopes: ["*.read"] },
    ] as const;
    const keys = new Map<string, Awaited<ReturnType<typeof generateAppKeys>>>();
    let userId = "";
    for (const a of apps) {
      const k = await generateAppKeys(a.alg);
      keys.set(a.appId, k);
      const token = await authorizationJwt(k, {
        appId: a.appId,
        nowMs: t.clock.now(),
        name: `The ${a.alg} app`,
        scopes: a.scopes,
        redirectUri: "https://app.example/done",
        state: a.appId,
      });
      const page = await b.get(`/authorize?token=${encodeURIComponent(token)}`);
      const html = await page.text();
      assert.match(html, new RegExp(`The ${a.alg} app`));
      const res = await b.post("/authorize", { csrf: csrfOf(html), token, decision: "approve" });
      const back = new URL(res.headers.get("Location")!);
      assert.equal(back.searchParams.get("state"), a.appId);
      userId = back.searchParams.get("user_id")!;
    }

    for (const a of apps) {
      const jwt = await requestJwt(keys.get(a.appId)!, {
        appId: a.appId,
        sub: a.alg === "EdDSA" ? "alice" : userId,
        nowMs: t.clock.now(),
        deviceId: `${a.alg}-device`,
      });
      const res = await callApi(t, "/api/v1/me", jwt);
      assert.equal(res.status, 200, a.alg);
      assert.deepEqual(await res.json(), {
        user_id: userId,
        username: "alice",
        app_id: a.appId,
        scopes: a.scopes,
        device: { id: `${a.alg}-device` },
      });
    }

    const ecJwt = () =>
      requestJwt(keys.get("ec-app")!, { appId: "ec-app", sub: userId, nowMs: t.clock.now() });
    const list = await callApi(t, "/api/v1/apps", await ecJwt());
    const listed = (await list.json()).apps.map((a: { app_id: string }) => a.app_id).sort();
    assert.deepEqual(listed, ["ec-app", "ed-app", "rsa-app"]);

    const rsaJwt = await requestJwt(keys.get("rsa-app")!, {
      appId: "rsa-app",
      sub: userId,
      nowMs: t.clock.now(),
    });
    const del = await callApi(t, "/api/v1/apps/rsa-app", await ecJwt(), { method: "DELETE" });
    assert.equal(del.status, 200);
    assert.equal((await del.json()).revoked, true);
    const after = await callApi(t, "/api/v1/me", rsaJwt);
    assert.equal(after.status, 401);
    assert.equal((await after.json()).error.message, INVALID_TOKEN_MESSAGE);
    const missing = await callApi(t, "/api/v1/apps/never-was", await ecJwt(), { method: "DELETE" });
    assert.equal(missing.status, 404);

    // The apps page shows what is left and revokes with a form too.
    const page = await (await b.get("/apps")).text();
    assert.match(page, /The ES256 app/);
    assert.doesNotMatch(page, /The RS256 app/);
    const revoke = await b.post("/apps/ed-app/revoke", { csrf: csrfOf(page) });
    assert.equal(revoke.status, 303);
    const edJwt = await requestJwt(keys.get("ed-app")!, {
      appId: "ed-app",
      sub: userId,
      nowMs: t.clock.now(),
    });
    assert.equal((await callApi(t, "/api/v1/me", edJwt)).status, 401);
  } finally {
    await t.close();
  }
});

Deno.test("api scopes: managing apps and tokens needs the user scope; /me needs none", async () => {
  const t = await buildAuthApp();
  try {
    const b = new Browser(t.app);
    await b.register("alice");
    const k = await generateAppKeys("ES256");
    const token = await authorizationJwt(k, {
      appId: "sync-only",
      nowMs: t.clock.now(),
      scopes: ["user.sync"],
    });
    await b.submit(`/authorize?token=${token}`, "/authorize", { token, decision: "approve" });
    const jwt = await requestJwt(k, { appId: "sync-only", sub: "alice", nowMs: t.clock.now() });
    assert.equal((await callApi(t, "/api/v1/me", jwt)).status, 200);
    for (
      const [method, path, scope] of [
        ["GET", "/api/v1/apps", "user.read"],
        ["DELETE", "/api/v1/apps/sync-only", "user"],
        ["GET", "/api/v1/tokens", "user.read"],
        ["POST", "/api/v1/tokens", "user"],
        ["DELETE", "/api/v1/tokens/abcd1234", "user"],
      ]
    ) {
      const res = await callApi(t, path, jwt, {
        method,
        body: method === "POST" ? "{}" : undefined,
      });
      assert.equal(res.status, 403, `${method} ${path}`);
      const body = await res.json();
      assert.equal(body.error.code, "insufficient_scope");
      assert.match(body.error.message, new RegExp(`"${scope.replace(".", "\\.")}"`));
      assert.equal(body.error.details.required_scope, scope);
    }
  } finally {
    await t.close();
  }
});
