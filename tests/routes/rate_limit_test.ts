import assert from "node:assert/strict";
import { withApi } from "../api/_api.ts";
import { buildTestApp } from "../_support/app.ts";

Deno.test("anonymous requests over RATE_LIMIT_ANON per minute from one IP get 429 with Retry-After", async () => {
  const t = await buildTestApp({ env: { RATE_LIMIT_ANON: "3" } });
  const env = { remoteAddr: { hostname: "192.0.2.7" } };
  const other = { remoteAddr: { hostname: "192.0.2.8" } };
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) {
    const res = await t.app.request("/users/log_in", {}, env);
    statuses.push(res.status);
    if (res.status === 429) {
      assert.equal((await res.json()).error.code, "rate_limited");
      assert.ok(Number(res.headers.get("retry-after")) >= 1);
    } else await res.body?.cancel();
  }
  assert.deepEqual(statuses, [200, 200, 200, 429]);
  const fromOther = await t.app.request("/users/log_in", {}, other);
  assert.equal(fromOther.status, 200, "another client is not affected");
  await fromOther.body?.cancel();
  t.clock.advance(60_000);
  const later = await t.app.request("/users/log_in", {}, env);
  assert.equal(later.status, 200, "the bucket refills with time");
  await later.body?.cancel();
  // Operations endpoints are never limited.
  for (let i = 0; i < 5; i++) await (await t.app.request("/health", {}, env)).body?.cancel();
  assert.equal((await t.app.request("/health", {}, env)).status, 200);
  await t.close();
});

Deno.test("authenticated requests over RATE_LIMIT_USER per minute get 429 for that user only", async () => {
  await withApi({ env: { RATE_LIMIT_USER: "2" } }, async ({ api, user }) => {
    assert.equal((await api.get("/subscriptions")).status, 200);
    assert.equal((await api.get("/subscriptions")).status, 200);
    const third = await api.get("/subscriptions");
    assert.equal(third.status, 429);
    assert.equal(third.body.error.code, "rate_limited");
    assert.ok(third.headers.get("retry-after"));
    const bob = await user("bob");
    assert.equal((await bob.get("/subscriptions")).status, 200);
  });
});
