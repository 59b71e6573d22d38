import assert from "node:assert/strict";
import { createLogger } from "../../src/logger.ts";
import { buildTestApp } from "../_support/app.ts";

const SECRET = "s3cr3tT0kenValue_ABCDEFGHIJKLMNOPQRSTUVWXYZ";

Deno.test("request logs are one JSON line each and never hold a user token, however spelled", async () => {
  const lines: string[] = [];
  const t = await buildTestApp({
    env: { PLAY_HOST: "play.example.org" },
    logger: createLogger("info", (l) => lines.push(l)),
  });
  const paths = [
    `http://localhost/rss/${SECRET}/subscriptions`,
    `http://localhost/%72ss/${SECRET}/subscriptions`,
    `http://localhost//rss/${SECRET}/subscriptions`,
    `http://localhost/RSS/${SECRET}/subscriptions`,
    `http://localhost/api/v1/rss/user/${SECRET}/subscriptions`,
    `http://localhost/play/${SECRET}/feed/item`,
    `http://play.example.org/${SECRET}/feed/item`,
    `http://play.example.org/rss/${SECRET}/subscriptions`,
    `http://play.example.org//${SECRET}/x/y`,
    // Malformed spellings that reach no token route still log a path.
    `http://localhost/rss;${SECRET}/subscriptions`,
    `http://localhost/rss%3B${SECRET}/subscriptions`,
    `http://localhost/anything/${SECRET}`,
    `http://localhost/login/v2/flow/${SECRET}`,
  ];
  for (const url of paths) await (await t.app.request(url)).body?.cancel();
  const requests = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "request");
  assert.equal(requests.length, paths.length);
  for (const r of requests) {
    assert.ok(r.method && r.route && r.status && typeof r.ms === "number" && r.request_id);
  }
  for (const line of lines) assert.ok(!line.includes(SECRET), line);
  await t.close();
});

Deno.test("a logger above info says so and the request log writes nothing at its level", async () => {
  const lines: string[] = [];
  const logger = createLogger("warn", (l) => lines.push(l));
  assert.equal(logger.enabled?.("info"), false);
  assert.equal(logger.enabled?.("warn"), true);
  const t = await buildTestApp({ logger });
  await (await t.app.request("http://localhost/health")).body?.cancel();
  assert.deepEqual(lines, []);
  await t.close();
});
