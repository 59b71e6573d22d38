/**
 * The real mygpoclient (Debian's `python3-mygpoclient`, run by `/usr/bin/python3`) against
 * `main.ts` started as a subprocess on a free loopback port. The account, an app password,
 * an authorized REST app and a saved episode are made beforehand through the server's own
 * HTTP (web forms and the REST API), never through its KV. Skipped, with a message, only
 * when the module is not installed (`.ci/run` installs it).
 */
import assert from "node:assert/strict";
import { encodeFeedId, encodeItemId } from "../../src/domain/ids.ts";
import { csrfOf } from "../_support/auth_app.ts";
import { authorizationJwt, generateAppKeys, requestJwt } from "../_support/jwt.ts";
import { freePort, startMain, waitForHealth } from "../_support/process.ts";
import { AppHttp } from "./_http.ts";

const PYTHON = "/usr/bin/python3";
const SCRIPT = new URL("./mygpoclient_roundtrip.py", import.meta.url).pathname;

function mygpoclientMissing(): string | null {
  try {
    const out = new Deno.Command(PYTHON, {
      args: ["-c", "import mygpoclient"],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return out.success ? null : `${PYTHON} cannot import mygpoclient`;
  } catch (err) {
    return `cannot run ${PYTHON} (${err instanceof Error ? err.message : err})`;
  }
}

const missing = mygpoclientMissing();
if (missing) {
  console.warn(`mygpoclient_test.ts skipped: ${missing} (apt-get install python3-mygpoclient)`);
}

const PW = "correct horse battery";
const FEED_B = "https://feeds.internal/b.xml";

/** Registers alice on the web form and creates an app password on the web page. */
async function setUpAccount(web: AppHttp): Promise<string> {
  const form = { "Content-Type": "application/x-www-form-urlencoded" };
  const register = await web.request("GET", "/users/register");
  const reg = await web.request("POST", "/users/register", {
    headers: form,
    body: new URLSearchParams({ csrf: csrfOf(register.text), username: "alice", password: PW })
      .toString(),
  });
  assert.equal(reg.status, 303, reg.text);
  const page = await web.request("GET", "/app-passwords");
  const created = await web.request("POST", "/app-passwords", {
    headers: form,
    body: new URLSearchParams({ csrf: csrfOf(page.text), name: "gPodder on my desk" }).toString(),
  });
  assert.equal(created.status, 201, created.text);
  return /<code class="token">([\w-]+)<\/code>/.exec(created.text)![1];
}

/** Authorizes a REST app on the web page and saves episode 1 of feed B through the API. */
async function saveThroughRestApi(
  web: AppHttp,
  send: (p: string, i: RequestInit) => Promise<Response>,
) {
  const keys = await generateAppKeys("ES256");
  const token = await authorizationJwt(keys, { appId: "e2e-app", nowMs: Date.now() });
  const page = await web.request("GET", `/authorize?token=${encodeURIComponent(token)}`);
  assert.equal(page.status, 200, page.text);
  const approved = await web.request("POST", "/authorize", {
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrf: csrfOf(page.text), token, decision: "approve" }).toString(),
  });
  assert.ok(approved.status < 400, approved.text);
  const bearer = await requestJwt(keys, { appId: "e2e-app", sub: "alice", nowMs: Date.now() });
  const item = encodeItemId("b-1", "https://cdn.internal/b/1.mp3");
  const res = await send(`/api/v1/episodes/${item}/save?feed=${encodeFeedId(FEED_B)}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${bearer}` },
  });
  const text = await res.text();
  assert.ok(res.status < 300, text);
}

Deno.test({
  name:
    "mygpoclient (the real library) round-trips devices, subscriptions, actions, favorites, settings",
  ignore: missing !== null,
  async fn() {
    const dir = await Deno.makeTempDir();
    const port = freePort();
    const base = `http://127.0.0.1:${port}`;
    const child = startMain(dir, {
      PORT: String(port),
      KV_PATH: ":memory:",
      BASE_URL: base,
      LOG_LEVEL: "warn",
    });
    let script: Deno.CommandOutput | undefined;
    try {
      await (await waitForHealth(`${base}/health`)).body?.cancel();
      const send = (path: string, init: RequestInit) =>
        fetch(`${base}${path}`, { ...init, redirect: "manual" });
      const web = new AppHttp(send, { username: "", password: "" });
      const appPassword = await setUpAccount(web);
      await saveThroughRestApi(web, send);

      script = await new Deno.Command(PYTHON, {
        args: [SCRIPT, base, "alice", appPassword],
        stdout: "piped",
        stderr: "piped",
        env: { PYTHONDONTWRITEBYTECODE: "1" },
      }).output();
      const stderr = new TextDecoder().decode(script.stderr);
      assert.equal(script.code, 0, stderr);
      const out = JSON.parse(new TextDecoder().decode(script.stdout));
      assert.deepEqual(out.devices, [
        ["gpodder-desk", "My desk", "desktop", 0],
        ["phone", "phone", "mobile", 0],
      ]);
      assert.deepEqual(out.update_urls, [[
        "feed://feeds.internal/a.xml",
        "http://feeds.internal/a.xml",
      ]]);
      assert.deepEqual(out.pulled, ["http://feeds.internal/a.xml", FEED_B]);
      assert.deepEqual(out.pulled_since, {
        add: ["http://feeds.internal/a.xml"],
        remove: [FEED_B],
      });
      assert.deepEqual(out.simple, ["http://feeds.internal/a.xml", "https://feeds.internal/c.xml"]);
      assert.deepEqual(out.all_actions, [
        ["download", "https://cdn.internal/b/2.mp3", "gpodder-desk", null, null],
        ["new", "https://cdn.internal/b/3.mp3", "phone", null, null],
        ["play", "https://cdn.internal/b/1.mp3", "gpodder-desk", 120, 3600],
      ]);
      for (
        const a of [
          ["delete", "https://cdn.internal/b/2.mp3", "phone"],
          ["play", "https://cdn.internal/b/1.mp3", "phone"],
        ]
      ) assert.ok(out.since_actions.some((s: string[]) => s.join() === a.join()), a.join());
      assert.deepEqual(out.phone_actions, [
        ["delete", "https://cdn.internal/b/2.mp3"],
        ["new", "https://cdn.internal/b/3.mp3"],
        ["play", "https://cdn.internal/b/1.mp3"],
      ]);
      assert.equal(out.podcast_actions, 5);
      assert.deepEqual(out.favorites, [["https://cdn.internal/b/1.mp3", FEED_B]]);
      assert.deepEqual(out.settings, {
        account: { theme: "dark" },
        device: { auto_download: true },
        podcast: {},
      });
      assert.equal(out.wrong_password, "Unauthorized");
    } finally {
      child.kill("SIGTERM");
      const [status, , stderr] = await Promise.all([
        child.status,
        new Response(child.stdout).text(),
        new Response(child.stderr).text(),
      ]);
      await Deno.remove(dir, { recursive: true });
      assert.equal(status.code, 0, `server exit ${status.code}\n${stderr}`);
    }
  },
});
