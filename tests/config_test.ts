import assert from "node:assert/strict";
import { ConfigError, loadConfig, parseDuration } from "../src/config.ts";

Deno.test("loadConfig() gives the SPEC defaults for an empty environment", () => {
  const c = loadConfig({});
  assert.equal(c.port, 8000);
  assert.equal(c.kvPath, "./data/balados.kv");
  assert.equal(c.baseUrl, "http://localhost:8000");
  assert.equal(c.registration, "open");
  assert.equal(c.defaultPrivacy, "public");
  assert.equal(c.allowPrivateFeeds, false);
  assert.equal(c.popularityPeriodMs, 7 * 86_400_000);
  assert.equal(c.logLevel, "info");
  assert.equal(c.actorIdleMs, 600_000);
  assert.equal(c.kvQueues, true);
});

Deno.test("loadConfig() reads every variable", () => {
  const c = loadConfig({
    PORT: "9000",
    KV_PATH: ":memory:",
    BASE_URL: "https://sync.example.org/",
    PLAY_HOST: "Play.Example.org",
    REGISTRATION: "closed",
    DEFAULT_PRIVACY: "anonymous",
    ALLOW_PRIVATE_FEEDS: "1",
    POPULARITY_PERIOD: "1d",
    LOG_LEVEL: "warn",
    TRUSTED_PROXIES: "10.0.0.1, 10.0.0.2",
  });
  assert.equal(c.port, 9000);
  assert.equal(c.baseUrl, "https://sync.example.org");
  assert.equal(c.playHost, "play.example.org");
  assert.equal(c.registration, "closed");
  assert.equal(c.defaultPrivacy, "anonymous");
  assert.equal(c.allowPrivateFeeds, true);
  assert.equal(c.popularityPeriodMs, 86_400_000);
  assert.deepEqual(c.trustedProxies, ["10.0.0.1", "10.0.0.2"]);
});

Deno.test("a bad value stops with a one-line message naming the variable", () => {
  const cases: Record<string, string> = {
    PORT: "eighty",
    REGISTRATION: "maybe",
    DEFAULT_PRIVACY: "secret",
    BASE_URL: "ftp://x",
    POPULARITY_PERIOD: "-3d",
    LOG_LEVEL: "loud",
    ALLOW_PRIVATE_FEEDS: "perhaps",
  };
  for (const [name, value] of Object.entries(cases)) {
    assert.throws(
      () => loadConfig({ [name]: value }),
      (e: Error) =>
        e instanceof ConfigError && e.message.startsWith(name) && !e.message.includes("\n"),
    );
  }
});

Deno.test("parseDuration() reads units and bare seconds", () => {
  assert.equal(parseDuration("X", "90"), 90_000);
  assert.equal(parseDuration("X", "10m"), 600_000);
  assert.equal(parseDuration("X", "250ms"), 250);
});
