import assert from "node:assert/strict";
import { buildTestApp } from "../_support/app.ts";
import { FEED } from "../_support/events.ts";

Deno.test("GET /health answers ok with the KV status", async () => {
  const t = await buildTestApp();
  const res = await t.app.request("/health");
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: "ok", kv: "ok" });
  assert.ok(res.headers.get("x-request-id"));
  await t.close();
});

Deno.test("an unknown path is a JSON 404 in the SPEC error shape", async () => {
  const t = await buildTestApp();
  const res = await t.app.request("/no/such/thing");
  assert.equal(res.status, 404);
  assert.equal((await res.json()).error.code, "not_found");
  await t.close();
});

Deno.test("a sane X-Request-Id is echoed and a hostile one replaced", async () => {
  const t = await buildTestApp();
  const ok = await t.app.request("/health", { headers: { "X-Request-Id": "abc-123" } });
  assert.equal(ok.headers.get("x-request-id"), "abc-123");
  const bad = await t.app.request("/health", {
    headers: { "X-Request-Id": "<script>".repeat(40) },
  });
  assert.notEqual(bad.headers.get("x-request-id"), "<script>".repeat(40));
  await ok.body?.cancel();
  await bad.body?.cancel();
  await t.close();
});

Deno.test("a body over 1 MiB is refused with 413 payload_too_large", async () => {
  const t = await buildTestApp();
  const res = await t.app.request("/health", { method: "POST", body: "x".repeat(1024 * 1024 + 1) });
  assert.equal(res.status, 413);
  assert.equal((await res.json()).error.code, "payload_too_large");
  await t.close();
});

const LOOPBACK = { remoteAddr: { hostname: "127.0.0.1" } };

Deno.test("GET /metrics reports requests, latency, events, backlog and actors to a local scraper", async () => {
  const t = await buildTestApp();
  await (await t.app.request("/health")).body?.cancel();
  await t.deps.registry.execute("u1", { type: "Subscribe", data: { feed: FEED } });
  let text = await (await t.app.request("/metrics", {}, LOOPBACK)).text();
  assert.match(text, /http_requests_total\{route="\/health",status="200"\} 1/);
  assert.match(text, /http_request_duration_seconds_bucket\{route="\/health",le="\+Inf"\} 1/);
  assert.match(text, /balados_events_appended_total 1/);
  assert.match(text, /balados_outbox_backlog_events 1/);
  assert.match(text, /balados_resident_actors 1/);
  await t.deps.projector.drainAll();
  text = await (await t.app.request("/metrics", {}, LOOPBACK)).text();
  assert.match(text, /balados_outbox_backlog_events 0/);
  assert.match(text, /balados_projection_lag_events\{projection="public"\} 0/);
  await t.close();
});

Deno.test("/metrics is only for the operator, and says nothing about one listener's activity", async () => {
  const t = await buildTestApp({
    env: { METRICS_TOKEN: "s3cret-metrics-token", TRUSTED_PROXIES: "10.0.0.1" },
  });
  const from = (hostname: string, headers: HeadersInit = {}) =>
    t.app.request("/metrics", { headers }, { remoteAddr: { hostname } });
  const outside = await from("203.0.113.5");
  assert.equal(outside.status, 403);
  await outside.body?.cancel();
  const proxied = await from("10.0.0.1", { "X-Forwarded-For": "203.0.113.5" });
  assert.equal(proxied.status, 403, "through the proxy, the client is outside");
  await proxied.body?.cancel();
  const wrong = await from("203.0.113.5", { Authorization: "Bearer nope" });
  assert.equal(wrong.status, 403);
  await wrong.body?.cancel();
  const ok = await from("203.0.113.5", { Authorization: "Bearer s3cret-metrics-token" });
  assert.equal(ok.status, 200);
  // A single private subscribe must not be readable as a count of its own.
  await t.deps.registry.execute("u1", { type: "Subscribe", data: { feed: FEED } });
  await t.deps.projector.drainAll();
  const text = await (await from("127.0.0.1")).text();
  assert.doesNotMatch(text, /type="subscribed"/);
  assert.doesNotMatch(text, /subscribed/);
  await t.close();
});
