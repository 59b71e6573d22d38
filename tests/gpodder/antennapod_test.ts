/**
 * AntennaPod against the in-process app, replayed from its source (see `_antennapod.ts`):
 * gpodder.net mode (log-in with Basic, then only the cookie) and Nextcloud mode (set up by
 * Login Flow v2 only, then Basic with the app password on every request).
 */
import assert from "node:assert/strict";
import { createUser } from "../../src/auth/users.ts";
import { buildTestApp, type TestApp } from "../_support/app.ts";
import { csrfOf } from "../_support/auth_app.ts";
import {
  ANTENNAPOD_BATCH,
  AntennaPodPhone,
  GpodnetService,
  NextcloudSyncService,
} from "./_antennapod.ts";
import { approveInBrowser, startLoginFlow } from "./_login_flow.ts";
import { orgJson } from "./_readers.ts";

const PW = "correct horse battery";
const FEED_A = "https://feeds.example.org/a.xml";
const FEED_B = "https://feeds.example.org/b.xml";
const FEED_C = "https://feeds.example.org/c.xml";

function send(t: TestApp) {
  return (path: string, init: RequestInit) => t.app.request(path, init);
}

function gpodnetPhone(t: TestApp, device: string): AntennaPodPhone {
  return new AntennaPodPhone(new GpodnetService(send(t), "alice", PW, device), () => t.clock.now());
}

/** Episode `n` of feed B (a guid, one hour long). */
function episodeB(n: number) {
  return {
    podcast: FEED_B,
    url: `https://cdn.example.org/b/${n}.mp3`,
    guid: `b-${n}`,
    duration: 3600,
  };
}

Deno.test("AntennaPod gpodder.net: set-up with login.json, then syncs that send only the cookie", async () => {
  const t = await buildTestApp();
  try {
    await createUser(t.deps, { username: "alice", password: PW });
    const pixel = gpodnetPhone(t, "antennapod-pixel");
    const gp = pixel.service as GpodnetService;

    // Set-up (GpodderAuthenticationFragment): log in, list devices, create this one.
    await gp.login();
    assert.match(gp.http.cookie("sessionid") ?? "", /^[\w-]{20,}$/);
    assert.deepEqual(await gp.getDevices(), []);
    await gp.configureDevice("AntennaPod on Pixel", "mobile");
    await gp.configureDevice(); // an empty body changes nothing
    assert.deepEqual(await gp.getDevices(), [
      { id: "antennapod-pixel", caption: "AntennaPod on Pixel", type: "mobile", subscriptions: 0 },
    ]);
    assert.deepEqual(await gp.getSynchronizedDevices(), [["antennapod-pixel"]]);

    // First sync: local subscriptions and played episodes go up.
    pixel.subscribe(FEED_A);
    pixel.subscribe(FEED_B);
    pixel.knows(episodeB(1)).played = true;
    t.clock.advance(60_000);
    await pixel.sync();
    assert.equal(pixel.lastSubscriptionSync, Math.floor(t.clock.now() / 1000) - 1);
    assert.equal(pixel.lastActionSync, Math.floor(t.clock.now() / 1000) - 1);

    // Only login.json carries Basic (each sync logs in); everything else only the cookie.
    assert.ok(gp.http.log.length > 8);
    for (const s of gp.http.log) {
      const login = s.path === "/api/2/auth/alice/login.json";
      assert.deepEqual([s.basic, s.cookie || login, s.status], [login, true, 200], s.path);
    }

    // A second phone on the same account gets the subscriptions and the played state.
    const tablet = gpodnetPhone(t, "antennapod-tablet");
    const tab1 = tablet.knows(episodeB(1));
    t.clock.advance(60_000);
    await tablet.sync();
    assert.deepEqual([...tablet.subscriptions].sort(), [FEED_A, FEED_B]);
    assert.equal(tab1.played, true, "the played episode is played on the tablet");

    // Later syncs: 65 plays go up in batches of 30, subscription changes both ways.
    const episodes = Array.from({ length: 65 }, (_, i) => episodeB(i + 10));
    for (const e of episodes) pixel.knows(e);
    for (const e of episodes) tablet.knows(e);
    t.clock.advance(60_000);
    episodes.forEach((e, i) => pixel.play(e.url, 0, 100 + i));
    pixel.unsubscribe(FEED_A);
    pixel.subscribe(FEED_C);
    const before = gp.http.log.length;
    await pixel.sync();
    const uploads = gp.http.log.slice(before).filter((s) =>
      s.method === "POST" && s.path === "/api/2/episodes/alice.json"
    );
    assert.equal(uploads.length, Math.ceil(65 / ANTENNAPOD_BATCH));
    assert.equal(gp.http.log.slice(before)[0].path, "/api/2/auth/alice/login.json");

    t.clock.advance(60_000);
    await tablet.sync();
    assert.deepEqual([...tablet.subscriptions].sort(), [FEED_B, FEED_C]);
    episodes.forEach((e, i) => assert.equal(tablet.episodes.get(e.url)!.position, 100 + i));

    // The tablet plays on; the pixel's next sync (since its last timestamp) gets it.
    t.clock.advance(60_000);
    tablet.play(episodes[0].url, 100, 1500);
    await tablet.sync();
    t.clock.advance(60_000);
    await pixel.sync();
    assert.equal(pixel.episodes.get(episodes[0].url)!.position, 1500);
    assert.equal(pixel.episodes.get(episodes[1].url)!.position, 101, "nothing else moved");

    const devices = await gp.getDevices();
    assert.deepEqual(devices.map((d) => [d.id, d.subscriptions]).sort(), [
      ["antennapod-pixel", 2],
      ["antennapod-tablet", 2],
    ]);
  } finally {
    await t.close();
  }
});

Deno.test("AntennaPod gpodder.net: answers carry integer timestamps, no null keys and no-store", async () => {
  const t = await buildTestApp();
  try {
    await createUser(t.deps, { username: "alice", password: PW });
    const pixel = gpodnetPhone(t, "pixel");
    pixel.subscribe("feed://Feeds.Example.org/a.xml");
    pixel.knows(episodeB(1));
    pixel.play(episodeB(1).url, 0, 60);
    await pixel.sync();
    const gp = pixel.service as GpodnetService;
    for (
      const path of [
        "/api/2/subscriptions/alice/pixel.json?since=0",
        "/api/2/episodes/alice.json?since=0",
      ]
    ) {
      const r = await gp.http.request("GET", path);
      assert.equal(r.headers.get("Cache-Control"), "no-store");
      for (const h of ["Expires", "Last-Modified"]) assert.equal(r.headers.get(h), null);
      const o = orgJson.object(r.text);
      assert.ok(Number.isInteger(o.timestamp), `${path}: timestamp is a JSON integer`);
      assert.doesNotMatch(r.text, /null/, `${path}: no null values`);
    }
    const subs = orgJson.object(
      (await gp.http.request("GET", "/api/2/subscriptions/alice/pixel.json?since=0")).text,
    );
    // The server keeps the sanitized URL; AntennaPod does not apply update_urls.
    assert.deepEqual(subs.add, ["http://feeds.example.org/a.xml"]);

    // A queue re-sent after a failed batch (it is cleared only once all went up): once.
    const again = await gp.getEpisodeActionChanges(0);
    assert.equal(again.actions.length, 1);
    await gp.uploadEpisodeActions(again.actions);
    assert.equal((await gp.getEpisodeActionChanges(0)).actions.length, 1);

    // uploadSubscriptions (simple API, "plain/text" body) and getSubscriptionsOfDevice.
    const put = await gp.http.request("PUT", "/subscriptions/alice/pixel.txt", {
      body: `${FEED_B}\n${FEED_C}\n`,
      headers: { "Content-Type": "plain/text; charset=utf-8" },
    });
    assert.deepEqual([put.status, put.text], [200, ""]);
    const opml = await gp.http.request("GET", "/subscriptions/alice/pixel.opml");
    const urls = [...opml.text.matchAll(/xmlUrl="([^"]+)"/g)].map((m) => m[1]).sort();
    assert.deepEqual(urls, [FEED_B, FEED_C]);
  } finally {
    await t.close();
  }
});

Deno.test("AntennaPod Nextcloud: Login Flow v2 end to end, then syncs with the app password", async () => {
  const t = await buildTestApp();
  try {
    await createUser(t.deps, { username: "alice", password: PW });
    const { loginUrl, endpoint, poll } = await startLoginFlow(t);
    assert.equal(endpoint.origin, "http://localhost:8000");

    // poll() retries every second while the answer is not 200.
    for (let i = 0; i < 3; i++) {
      const r = await poll();
      assert.equal(r.status, 404);
      await r.body?.cancel();
      t.clock.advance(1000);
    }
    const browser = await approveInBrowser(t, loginUrl, { username: "alice", password: PW });
    const done = await poll();
    assert.equal(done.status, 200);
    const creds = orgJson.object(await done.text());
    const server = orgJson.getString(creds, "server");
    const loginName = orgJson.getString(creds, "loginName");
    const appPassword = orgJson.getString(creds, "appPassword");
    assert.equal(server, "http://localhost:8000");
    assert.equal(loginName, "alice");
    const again = await poll();
    assert.equal(again.status, 404, "the credentials are given once");
    await again.body?.cancel();
    const listed = await (await browser.get("/app-passwords")).text();
    assert.match(listed, /AntennaPod\/3\.7\.0 \(2026-01-15 10:00\)/);

    // Syncs: Basic with loginName:appPassword on every request.
    const now = () => t.clock.now();
    const nc = new NextcloudSyncService(send(t), loginName, appPassword, now);
    const phone = new AntennaPodPhone(nc, now);
    phone.subscribe(FEED_A);
    const episodes = Array.from({ length: 31 }, (_, i) => phone.knows(episodeB(i)));
    t.clock.advance(60_000);
    episodes.forEach((e, i) => phone.play(e.url, 0, 200 + i));
    await phone.sync();
    assert.equal(phone.lastActionSync, Math.floor(t.clock.now() / 1000));
    const creates = nc.http.log.filter((s) => s.path.endsWith("/episode_action/create"));
    assert.equal(creates.length, 2, "31 actions in batches of 30");
    for (const s of nc.http.log) assert.deepEqual([s.basic, s.status], [true, 200], s.path);

    // What the Nextcloud phone uploaded reaches a gpodder.net phone, and back.
    const pixel = gpodnetPhone(t, "pixel");
    for (let i = 0; i < 31; i++) pixel.knows(episodeB(i));
    t.clock.advance(60_000);
    await pixel.sync();
    assert.deepEqual([...pixel.subscriptions], [FEED_A]);
    assert.equal(pixel.episodes.get(episodeB(30).url)!.position, 230);
    pixel.subscribe(FEED_C);
    pixel.play(episodeB(0).url, 200, 900);
    t.clock.advance(60_000);
    await pixel.sync();
    t.clock.advance(60_000);
    await phone.sync();
    assert.deepEqual([...phone.subscriptions].sort(), [FEED_A, FEED_C]);
    assert.equal(phone.episodes.get(episodeB(0).url)!.position, 900);

    // Revoking the app password on the web stops the phone at once.
    const page = await (await browser.get("/app-passwords")).text();
    const id = /action="\/app-passwords\/([^/"]+)\/revoke"/.exec(page)![1];
    const revoked = await browser.post(`/app-passwords/${id}/revoke`, { csrf: csrfOf(page) });
    assert.ok(revoked.status < 400);
    await revoked.body?.cancel();
    await assert.rejects(phone.sync(), /HTTP 401/);
  } finally {
    await t.close();
  }
});
