import assert from "node:assert/strict";
import { PLAYER_JS } from "../../routes/web/assets/player.ts";
import { buildPageApp } from "./_pages.ts";

/** A stand-in for the page: an audio element, the player box, timers and the network. */
function fakePage(options: { start: number; readyState?: number }) {
  const sent: { via: string; url: string; body: Record<string, string> }[] = [];
  const timers = new Map<number, () => void>();
  let nextTimer = 1;
  const audio = Object.assign(new EventTarget(), {
    readyState: options.readyState ?? 0,
    currentTime: 0,
    duration: NaN,
    ended: false,
  });
  const status = { textContent: "" };
  const box = {
    dataset: {
      endpoint: "/web/play",
      csrf: "tok",
      feed: "FEED",
      item: "ITEM",
      start: String(options.start),
    },
    querySelector: (sel: string) => (sel === "audio" ? audio : null),
  };
  const document = {
    getElementById: (
      id: string,
    ) => (id === "player" ? box : id === "player-status" ? status : null),
  };
  const window = new EventTarget();
  const record = (via: string) => (url: string, init: { body: URLSearchParams }) => {
    sent.push({ via, url, body: Object.fromEntries(init.body) });
  };
  const fetchFake = (url: string, init: { body: URLSearchParams }) => {
    record("fetch")(url, init);
    return Promise.resolve({ ok: true });
  };
  const navigator = {
    sendBeacon: (url: string, body: URLSearchParams) => {
      record("beacon")(url, { body });
      return true;
    },
  };
  const run = new Function(
    "document",
    "navigator",
    "fetch",
    "setInterval",
    "clearInterval",
    "addEventListener",
    PLAYER_JS,
  );
  run(
    document,
    navigator,
    fetchFake,
    (fn: () => void) => {
      const id = nextTimer++;
      timers.set(id, fn);
      return id;
    },
    (id: number) => timers.delete(id),
    window.addEventListener.bind(window),
  );
  return {
    audio,
    sent,
    timers,
    status,
    fire: (type: string) => audio.dispatchEvent(new Event(type)),
    leave: () => window.dispatchEvent(new Event("pagehide")),
    tick: () => [...timers.values()].forEach((fn) => fn()),
  };
}

Deno.test("player script: seeks to the synced position once the metadata is loaded", () => {
  const p = fakePage({ start: 321 });
  assert.equal(p.audio.currentTime, 0);
  p.audio.duration = 3723;
  p.fire("loadedmetadata");
  assert.equal(p.audio.currentTime, 321);
  // Nothing is saved before the listener plays.
  p.leave();
  assert.deepEqual(p.sent, []);
});

Deno.test("player script: saves every 15 s while playing, on pause, on ended as played and on pagehide by beacon", async () => {
  const p = fakePage({ start: 0 });
  p.audio.duration = 1800.4;
  p.fire("play");
  assert.equal(p.timers.size, 1, "a 15 s timer runs while playing");
  p.audio.currentTime = 15.7;
  p.tick();
  p.audio.currentTime = 15.9;
  p.tick(); // same second: nothing new to save
  p.audio.currentTime = 42.2;
  p.fire("pause");
  assert.equal(p.timers.size, 0);
  p.fire("play");
  p.audio.currentTime = 1800;
  p.audio.ended = true;
  p.fire("ended");
  p.audio.ended = false;
  p.fire("play");
  p.audio.currentTime = 12;
  p.leave();
  await Promise.resolve();
  assert.deepEqual(p.sent.map((s) => [s.via, s.url, s.body]), [
    ["fetch", "/web/play", {
      csrf: "tok",
      feed: "FEED",
      item: "ITEM",
      position: "15",
      duration: "1800",
    }],
    ["fetch", "/web/play", {
      csrf: "tok",
      feed: "FEED",
      item: "ITEM",
      position: "42",
      duration: "1800",
    }],
    [
      "fetch",
      "/web/play",
      {
        csrf: "tok",
        feed: "FEED",
        item: "ITEM",
        position: "1800",
        duration: "1800",
        played: "true",
      },
    ],
    ["beacon", "/web/play", {
      csrf: "tok",
      feed: "FEED",
      item: "ITEM",
      position: "12",
      duration: "1800",
    }],
  ]);
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(p.status.textContent, "Marked as played.", "the last answer is said");
});

Deno.test("player script: a start already loaded seeks at once; never saves a position before seeking", () => {
  const p = fakePage({ start: 90, readyState: 1 });
  assert.equal(p.audio.currentTime, 90);
  const q = fakePage({ start: 90 });
  q.fire("pause");
  q.leave();
  assert.deepEqual(q.sent, []);
});

Deno.test("/assets/player.js is served as JavaScript, cacheable with the page's version", async () => {
  const t = await buildPageApp();
  try {
    const res = await t.app.request("/assets/player.js");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(await res.text(), PLAYER_JS);
  } finally {
    await t.close();
  }
});
