import assert from "node:assert/strict";
import { encodeItemId } from "../../src/domain/ids.ts";
import { expectError, feedId, itemId, noEvents, type Reply, stdBase64, withApi } from "./_api.ts";

const b64 = (s: string) => stdBase64(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** Feed ids that must be refused with 400 invalid_feed_id. */
const BAD_FEEDS: Record<string, string> = {
  "not base64": "!!!not-base64!!!",
  "only padding": "====",
  "mixed alphabets": "aHR0cHM6Ly9h-+/",
  "not UTF-8": btoa("\xff\xfe\xfd\xfc"),
  "ftp": b64("ftp://feeds.example.org/a.xml"),
  "javascript": b64("javascript:alert(1)//http://x"),
  "file": b64("file:///etc/passwd"),
  "data": b64("data:text/xml,<rss/>"),
  "relative": b64("/feeds/a.xml"),
  "no host": b64("http://"),
  "whitespace": b64("https://feeds.example.org/a b.xml"),
  "control char": b64("https://feeds.example.org/\u0000.xml"),
  "too long": b64(`https://feeds.example.org/${"a".repeat(2100)}`),
};

/** Item ids that must be refused with 400 invalid_item_id. */
const BAD_ITEMS: Record<string, string> = {
  "not base64": "%%%",
  "no comma": b64("guid-without-enclosure"),
  "empty guid": b64(",https://cdn.example.org/a.mp3"),
  "ftp enclosure": b64("guid,ftp://cdn.example.org/a.mp3"),
  "javascript enclosure": b64("guid,javascript:alert(1)"),
  "file enclosure": b64("guid,file:///etc/passwd"),
  "huge": "A".repeat(9000),
};

Deno.test("bad feed ids are 400 invalid_feed_id on every endpoint that takes one", async () => {
  await withApi({}, async ({ api }) => {
    for (const [what, feed] of Object.entries(BAD_FEEDS)) {
      const path = encodeURIComponent(feed);
      const calls: [string, () => Promise<Reply>][] = [
        ["POST /subscriptions", () => api.post("/subscriptions", { rss_source_feed: feed })],
        ["DELETE /subscriptions", () => api.delete(`/subscriptions/${path}`)],
        [
          "POST /play",
          () =>
            api.post("/play", {
              rss_source_feed: feed,
              rss_source_item: itemId(1, 1),
              position: 1,
            }),
        ],
        ["GET /play", () => api.get(`/play?feed=${path}`)],
        ["POST /episodes save", () => api.post(`/episodes/${itemId(1, 1)}/save?feed=${path}`)],
        ["PUT /privacy", () => api.put("/privacy", { privacy: "private", feed })],
        ["GET /privacy", () => api.get(`/privacy?feed=${path}`)],
        ["POST /sync", () =>
          api.post("/sync", {
            subscriptions: [{ rss_source_feed: feed, subscribed_at: "2025-01-01T00:00:00Z" }],
          })],
      ];
      for (const [name, call] of calls) {
        expectError(await call(), 400, "invalid_feed_id", `${name} ${what}`);
      }
    }
    await noEvents(api);
  });
});

Deno.test("bad item ids are 400 invalid_item_id on every endpoint that takes one", async () => {
  await withApi({}, async ({ api }) => {
    const pl = (await api.post("/playlists", { name: "Q" })).body.id;
    const before = (await api.t.deps.store.head(api.userId)).seq;
    for (const [what, item] of Object.entries(BAD_ITEMS)) {
      const path = encodeURIComponent(item);
      const calls: [string, () => Promise<Reply>][] = [
        [
          "POST /play",
          () =>
            api.post("/play", { rss_source_feed: feedId(1), rss_source_item: item, position: 1 }),
        ],
        ["PUT /play position", () => api.put(`/play/${path}/position`, { position: 1 })],
        ["POST /episodes save", () => api.post(`/episodes/${path}/save?feed=${feedId(1)}`)],
        ["DELETE /episodes save", () => api.delete(`/episodes/${path}/save?feed=${feedId(1)}`)],
        ["POST /episodes share", () => api.post(`/episodes/${path}/share?feed=${feedId(1)}`)],
        ["PUT /privacy", () => api.put("/privacy", { privacy: "public", feed: feedId(1), item })],
        [
          "POST playlist item",
          () =>
            api.post(`/playlists/${pl}/items`, {
              rss_source_feed: feedId(1),
              rss_source_item: item,
            }),
        ],
        ["DELETE playlist item", () => api.delete(`/playlists/${pl}/items/${path}`)],
        ["PUT playlist order", () => api.put(`/playlists/${pl}/order`, { items: [item] })],
        ["POST /sync", () =>
          api.post("/sync", {
            play_statuses: [{
              rss_source_feed: feedId(1),
              rss_source_item: item,
              position: 1,
              updated_at: "2025-01-01T00:00:00Z",
            }],
          })],
      ];
      for (const [name, call] of calls) {
        expectError(await call(), 400, "invalid_item_id", `${name} ${what}`);
      }
    }
    assert.equal((await api.t.deps.store.head(api.userId)).seq, before);
  });
});

Deno.test("an item id in the standard alphabet works in a path when percent-encoded", async () => {
  await withApi({}, async ({ api }) => {
    const guid = "tag:x>?>?~~~";
    const canonical = encodeItemId(guid, "https://cdn.example.org/a.mp3");
    const std = stdBase64(`${guid},https://cdn.example.org/a.mp3`);
    assert.match(std, /[+/]/);
    await api.post("/play", { rss_source_feed: feedId(1), rss_source_item: std, position: 1 });
    const r = await api.put(`/play/${encodeURIComponent(std)}/position`, { position: 9 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.rss_source_item, canonical);
    assert.equal(r.body.guid, guid);
  });
});
