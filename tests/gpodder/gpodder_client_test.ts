/**
 * gPodder against the in-process app: the requests mygpoclient 1.9 makes (`api.py`,
 * `simple.py`, `locator.py`; credentials only after a `WWW-Authenticate` challenge, three
 * at most, a cookie jar) in the order gPodder's `my.py` makes them (device update first,
 * subscriptions pulled then pushed, episode actions downloaded then uploaded in batches of
 * 100), with mygpoclient's checks on every answer. The real library runs in
 * `mygpoclient_test.ts`.
 */
import assert from "node:assert/strict";
import { createUser } from "../../src/auth/users.ts";
import { buildTestApp, type TestApp } from "../_support/app.ts";
import { AppHttp } from "./_http.ts";
import { mygpoAction, mygpoDevice, mygpoUpdateResult } from "./_readers.ts";

const PW = "correct horse battery";
/** gPodder's `EPISODE_ACTIONS_BATCH_SIZE`. */
const GPODDER_BATCH = 100;

/** mygpoclient's `MygPodderClient` over `JsonClient` (urllib: form Content-Type on data). */
class Mygpo {
  readonly http: AppHttp;
  constructor(t: TestApp, password = PW) {
    this.http = new AppHttp((p, i) => t.app.request(p, i), {
      username: "alice",
      password,
      challenges: 3,
      userAgent: "mygpoclient/1.9 (+http://gpodder.org/mygpoclient/) gPodder/3.11.4",
    });
  }

  /** `JsonClient._request`: 200 with a JSON body, or an empty body read as `None`. */
  async call(method: string, path: string, data?: unknown) {
    const r = await this.http.request(method, path, {
      ...(data === undefined ? {} : {
        body: JSON.stringify(data),
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
      }),
    });
    if (r.status !== 200) throw new Error(`mygpoclient: HTTP ${r.status}`);
    return r.text === "" ? null : JSON.parse(r.text);
  }

  /** `update_device_settings` (mygpoclient 1.9 POSTs; older gPodder builds PUT). */
  async updateDevice(id: string, data: Record<string, string>, method = "POST") {
    return (await this.call(method, `/api/2/devices/alice/${id}.json`, data)) === null;
  }
}

function encode(url: string): string {
  // `urllib.parse.quote` as the locator applies it (keeps "/").
  return encodeURIComponent(url).replaceAll("%2F", "/");
}

Deno.test("gPodder: one challenge, then the cookie; a wrong password gives up after 3", async () => {
  const t = await buildTestApp();
  try {
    await createUser(t.deps, { username: "alice", password: PW });
    const gp = new Mygpo(t);
    assert.equal(
      await gp.updateDevice("gpodder-desktop", { caption: "Desk", type: "desktop" }),
      true,
    );
    await gp.call("GET", "/api/2/devices/alice.json");
    await gp.call("GET", "/api/2/subscriptions/alice/gpodder-desktop.json?since=0");
    assert.deepEqual(gp.http.log.map((s) => [s.status, s.basic, s.cookie]), [
      [401, false, false],
      [200, true, false],
      [200, false, true],
      [200, false, true],
    ]);

    const wrong = new Mygpo(t, "not the password");
    await assert.rejects(wrong.call("GET", "/api/2/devices/alice.json"), /HTTP 401/);
    assert.equal(wrong.http.log.length, 4, "the first try and 3 challenges");
    await assert.rejects(wrong.call("GET", "/api/2/devices/alice.json"), /HTTP 401/);
    assert.equal(wrong.http.log.length, 5, "no challenge is answered any more");
  } finally {
    await t.close();
  }
});

Deno.test("gPodder: device updates answer an empty body and change only the keys given", async () => {
  const t = await buildTestApp();
  try {
    await createUser(t.deps, { username: "alice", password: PW });
    const gp = new Mygpo(t);
    assert.equal(await gp.updateDevice("laptop", { caption: "My laptop", type: "laptop" }), true);
    assert.equal(await gp.updateDevice("laptop", { caption: "Old laptop" }, "PUT"), true);
    assert.equal(await gp.updateDevice("n900", { type: "mobile" }, "PUT"), true);
    const devices = (await gp.call("GET", "/api/2/devices/alice.json")).map(mygpoDevice);
    assert.deepEqual(devices.map((d: Record<string, unknown>) => [d.id, d.caption, d.type]), [
      ["laptop", "Old laptop", "laptop"],
      ["n900", "n900", "mobile"],
    ]);
    await assert.rejects(gp.updateDevice("n900", { type: "toaster" }), /HTTP 400/);
  } finally {
    await t.close();
  }
});

Deno.test("gPodder: subscriptions pushed with update_urls, pulled since, and the simple API", async () => {
  const t = await buildTestApp();
  try {
    await createUser(t.deps, { username: "alice", password: PW });
    const gp = new Mygpo(t);
    const pulled = await gp.call("GET", "/api/2/subscriptions/alice/desk.json?since=0");
    assert.deepEqual([pulled.add, pulled.remove], [[], []]);
    const up = mygpoUpdateResult(
      await gp.call("POST", "/api/2/subscriptions/alice/desk.json", {
        add: ["itpc://feeds.example.org/a.xml", "https://feeds.example.org/b.xml"],
        remove: [],
      }),
    );
    assert.deepEqual(up.updateUrls, [
      ["itpc://feeds.example.org/a.xml", "http://feeds.example.org/a.xml"],
    ]);
    assert.equal(up.since, Math.floor(t.clock.now() / 1000) - 1);

    // Another device removes one; the desk pulls with its since.
    t.clock.advance(10_000);
    await gp.call("POST", "/api/2/subscriptions/alice/laptop.json", {
      add: [],
      remove: ["https://feeds.example.org/b.xml"],
    });
    const changes = await gp.call("GET", `/api/2/subscriptions/alice/desk.json?since=${up.since}`);
    assert.deepEqual(changes.add, ["http://feeds.example.org/a.xml"]);
    assert.deepEqual(changes.remove, ["https://feeds.example.org/b.xml"]);
    assert.ok(Number.isInteger(changes.timestamp));

    // Simple API: PUT replaces the list (empty answer); GET as json, txt and opml.
    assert.equal(
      await gp.call("PUT", "/subscriptions/alice/desk.json", [
        "https://feeds.example.org/c.xml",
        "http://feeds.example.org/a.xml",
      ]),
      null,
    );
    const json = await gp.call("GET", "/subscriptions/alice/desk.json");
    assert.deepEqual(json.sort(), [
      "http://feeds.example.org/a.xml",
      "https://feeds.example.org/c.xml",
    ]);
    const txt = await gp.http.request("GET", "/subscriptions/alice.txt");
    assert.deepEqual(txt.text.trim().split("\n").sort(), json.sort());
    const opml = await gp.http.request("GET", "/subscriptions/alice.opml");
    assert.equal((opml.text.match(/type="rss"/g) ?? []).length, 2);
    assert.doesNotMatch(opml.text, /b\.xml/, "only active feeds");
  } finally {
    await t.close();
  }
});

Deno.test("gPodder: 250 actions in batches of 100; every downloaded action passes from_dictionary", async () => {
  const t = await buildTestApp();
  try {
    await createUser(t.deps, { username: "alice", password: PW });
    const gp = new Mygpo(t);
    const podcast = "https://feeds.example.org/b.xml";
    const episode = (n: number) => `https://cdn.example.org/b/${n}.mp3`;
    const at = "2026-01-15T09:00:00";
    // gPodder's EpisodeAction.to_dictionary: no guid, optional keys left out.
    const actions = Array.from({ length: 250 }, (_, i) => {
      const kind = ["play", "download", "delete", "new", "play"][i % 5];
      const base = { podcast, episode: episode(i), action: kind, device: "desk", timestamp: at };
      return kind === "play" && i % 10 === 0
        ? { ...base, started: 0, position: 30 + i, total: 1800 }
        : base;
    });
    let since = 0;
    for (let i = 0; i < actions.length; i += GPODDER_BATCH) {
      const r = await gp.call(
        "POST",
        "/api/2/episodes/alice.json",
        actions.slice(i, i + GPODDER_BATCH),
      );
      assert.ok(Array.isArray(r.update_urls));
      since = Number.parseInt(String(r.timestamp), 10);
    }
    const all = await gp.call("GET", "/api/2/episodes/alice.json?since=0");
    assert.equal(all.actions.length, 250);
    const read = all.actions.map(mygpoAction);
    const plays = read.filter((a: Record<string, unknown>) => a.position !== undefined);
    assert.ok(plays.length >= 25);
    for (const a of read) {
      if (a.action !== "play") {
        assert.deepEqual(Object.keys(a).sort(), [
          "action",
          "device",
          "episode",
          "podcast",
          "timestamp",
        ]);
      }
    }
    assert.deepEqual(all.actions[0], {
      podcast,
      episode: episode(0),
      action: "play",
      timestamp: at,
      device: "desk",
      started: 0,
      position: 30,
      total: 1800,
    });
    t.clock.advance(60_000);
    const none = await gp.call("GET", `/api/2/episodes/alice.json?since=${since + 2}`);
    assert.deepEqual(none.actions, []);
  } finally {
    await t.close();
  }
});

Deno.test("gPodder: a play without a position (playback started) keeps the synced position", async () => {
  const t = await buildTestApp();
  try {
    await createUser(t.deps, { username: "alice", password: PW });
    const gp = new Mygpo(t);
    const podcast = "https://feeds.example.org/b.xml";
    const episode = "https://cdn.example.org/b/1.mp3";
    // A phone listened to 25 minutes.
    await gp.call("POST", "/api/2/episodes/alice.json", [
      {
        podcast,
        episode,
        action: "play",
        device: "phone",
        timestamp: "2026-01-15T09:00:00",
        started: 0,
        position: 1500,
        total: 3600,
      },
    ]);
    // gPodder on the desk opens the episode: my.py's on_playback, no position.
    await gp.call("POST", "/api/2/episodes/alice.json", [
      { podcast, episode, action: "play", device: "desk", timestamp: "2026-01-15T09:30:00" },
    ]);
    const all = await gp.call("GET", "/api/2/episodes/alice.json?aggregated=true");
    assert.equal(all.actions.length, 1);
    assert.equal(all.actions[0].position, 1500, "the position is not reset to 0");
  } finally {
    await t.close();
  }
});

Deno.test("gPodder: settings round trip in the account and podcast scopes; favorites answer a list", async () => {
  const t = await buildTestApp();
  try {
    await createUser(t.deps, { username: "alice", password: PW });
    const gp = new Mygpo(t);
    const set = await gp.call("POST", "/api/2/settings/alice/account.json", {
      set: { public_profile: false, theme: "dark" },
      remove: [],
    });
    assert.deepEqual(set, { public_profile: false, theme: "dark" });
    const podcast = "https://feeds.example.org/b.xml";
    const path = `/api/2/settings/alice/podcast.json?podcast=${encode(podcast)}`;
    await gp.call("POST", path, { set: { auto_download: true }, remove: [] });
    await gp.call("POST", path, { set: {}, remove: ["auto_download"] });
    assert.deepEqual(await gp.call("GET", path), {});
    assert.deepEqual(await gp.call("GET", "/api/2/settings/alice/account.json"), set);
    assert.deepEqual(await gp.call("GET", "/api/2/favorites/alice.json"), []);
  } finally {
    await t.close();
  }
});
