import assert from "node:assert/strict";
import { XMLParser } from "fast-xml-parser";
import { feedId, feedUrl, type Json, stdBase64, withApi } from "./_api.ts";

const OPML = { headers: { "Content-Type": "text/x-opml" } };

Deno.test("POST /subscriptions answers 201 with the subscription, then 200 for the same feed", async () => {
  await withApi({}, async ({ api, t }) => {
    const first = await api.post("/subscriptions", { rss_source_feed: feedId(1) });
    assert.equal(first.status, 201);
    assert.deepEqual(first.body, {
      rss_source_feed: feedId(1),
      feed_url: feedUrl(1),
      rss_source_id: null,
      subscribed_at: new Date(t.clock.now()).toISOString(),
      unsubscribed_at: null,
    });
    const again = await api.post("/subscriptions", { rss_source_feed: feedId(1) });
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, first.body);
    assert.equal((await t.deps.store.head(api.userId)).seq, 1);
  });
});

Deno.test("POST /subscriptions keeps the rss_source_id as given and accepts the standard alphabet", async () => {
  await withApi({}, async ({ api }) => {
    const r = await api.post("/subscriptions", {
      rss_source_feed: stdBase64(feedUrl(1)),
      rss_source_id: "Ünïcode id / 42",
    });
    assert.equal(r.status, 201);
    assert.equal(r.body.rss_source_feed, feedId(1));
    const [s] = (await api.get("/subscriptions")).body.subscriptions;
    assert.equal(s.rss_source_id, "Ünïcode id / 42");
    assert.equal(s.feed_url, feedUrl(1));
  });
});

Deno.test("DELETE /subscriptions/{feed} answers 200 and 404 for a feed never subscribed", async () => {
  await withApi({}, async ({ api, t }) => {
    assert.equal((await api.delete(`/subscriptions/${feedId(9)}`)).status, 404);
    assert.equal((await api.delete(`/subscriptions/${feedId(9)}`)).body.error.code, "not_found");
    await api.post("/subscriptions", { rss_source_feed: feedId(1) });
    t.clock.advance(1000);
    const del = await api.delete(`/subscriptions/${feedId(1)}`);
    assert.equal(del.status, 200);
    assert.equal(del.body.unsubscribed_at, new Date(t.clock.now()).toISOString());
    const again = await api.delete(`/subscriptions/${feedId(1)}`);
    assert.equal(again.status, 200);
    assert.equal((await t.deps.store.head(api.userId)).seq, 2);
  });
});

Deno.test("GET /subscriptions lists active ones; ?include=all adds unsubscribed ones", async () => {
  await withApi({}, async ({ api, t }) => {
    for (const n of [1, 2, 3]) {
      await api.post("/subscriptions", { rss_source_feed: feedId(n) });
      t.clock.advance(1000);
    }
    await api.delete(`/subscriptions/${feedId(2)}`);
    const active = (await api.get("/subscriptions")).body.subscriptions;
    assert.deepEqual(
      active.map((s: Json) => s.rss_source_feed).sort(),
      [feedId(1), feedId(3)].sort(),
    );
    assert.ok(active.every((s: Json) => s.unsubscribed_at === null && s.rss_source_id === null));
    const all = (await api.get("/subscriptions?include=all")).body.subscriptions;
    assert.equal(all.length, 3);
    const two = all.find((s: Json) => s.rss_source_feed === feedId(2));
    assert.ok(two.unsubscribed_at > two.subscribed_at);
    // Resubscribing brings it back with a new date (read your writes).
    t.clock.advance(1000);
    assert.equal((await api.post("/subscriptions", { rss_source_feed: feedId(2) })).status, 201);
    const back = (await api.get("/subscriptions")).body.subscriptions;
    assert.equal(back.length, 3);
  });
});

Deno.test("GET /subscriptions/export.opml is OPML 2.0 of the active subscriptions", async () => {
  await withApi({}, async ({ api }) => {
    const tricky = 'https://feeds.example.org/a?x=1&y=<2>&z="q"';
    await api.post("/subscriptions", { rss_source_feed: stdBase64(tricky) });
    await api.post("/subscriptions", { rss_source_feed: feedId(1) });
    await api.post("/subscriptions", { rss_source_feed: feedId(2) });
    await api.delete(`/subscriptions/${feedId(2)}`);
    const r = await api.get("/subscriptions/export.opml");
    assert.equal(r.status, 200);
    assert.match(r.headers.get("Content-Type")!, /opml|xml/);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(r.text);
    assert.equal(doc.opml.version, "2.0");
    assert.ok(doc.opml.head.title);
    const outlines = [doc.opml.body.outline].flat();
    assert.deepEqual(outlines.map((o: Json) => o.xmlUrl).sort(), [feedUrl(1), tricky].sort());
    assert.ok(outlines.every((o: Json) => o.type === "rss" && o.text));
  });
});

Deno.test("OPML export then import into another account subscribes to the same feeds", async () => {
  await withApi({}, async ({ api, user }) => {
    for (const n of [1, 2, 3]) await api.post("/subscriptions", { rss_source_feed: feedId(n) });
    const opml = (await api.get("/subscriptions/export.opml")).text;
    const bob = await user("bob");
    const r = await bob.post("/subscriptions/import", undefined, { raw: opml, ...OPML });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { imported: 3, skipped: 0, invalid: 0 });
    const subs = (await bob.get("/subscriptions")).body.subscriptions;
    assert.deepEqual(subs.map((s: Json) => s.feed_url).sort(), [1, 2, 3].map(feedUrl).sort());
  });
});

Deno.test("POST /subscriptions/import reads nested outlines and counts imported, skipped, invalid", async () => {
  await withApi({}, async ({ api }) => {
    await api.post("/subscriptions", { rss_source_feed: feedId(1) });
    const opml = `<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>Mine</title></head><body>
  <outline text="News &gt; Tech" title="News > Tech">
    <outline type="rss" text="One" xmlUrl="${feedUrl(1)}"/>
    <outline text="Deeper"><outline type="rss" text="Two" xmlUrl="${feedUrl(2)}"/></outline>
  </outline>
  <outline type="rss" text="Two again" xmlUrl="${feedUrl(2)}"/>
  <outline type="rss" text="Three" xmlUrl='${feedUrl(3).replace("&", "&amp;")}'/>
  <outline type="rss" text="A > B" xmlUrl="${feedUrl(4)}"/>
  <outline type="rss" text="ftp" xmlUrl="ftp://feeds.example.org/x.xml"/>
  <outline type="rss" text="js" xmlUrl="javascript:alert(1)"/>
  <outline type="rss" text="file" xmlUrl="file:///etc/passwd"/>
  <outline type="rss" text="empty" xmlUrl=""/>
  <outline text="no url"/>
</body></opml>`;
    const r = await api.post("/subscriptions/import", undefined, { raw: opml, ...OPML });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { imported: 3, skipped: 2, invalid: 4 });
    const subs = (await api.get("/subscriptions")).body.subscriptions;
    assert.deepEqual(subs.map((s: Json) => s.feed_url).sort(), [1, 2, 3, 4].map(feedUrl).sort());
    const again = await api.post("/subscriptions/import", undefined, { raw: opml, ...OPML });
    assert.deepEqual(again.body, { imported: 0, skipped: 5, invalid: 4 });
  });
});

Deno.test("POST /subscriptions/import ignores outlines inside XML comments", async () => {
  await withApi({}, async ({ api }) => {
    const opml = `<opml version="2.0"><body>
  <!-- <outline type="rss" xmlUrl="${feedUrl(9)}"/> -->
  <outline type="rss" text="One" xmlUrl="${feedUrl(1)}"/>
</body></opml>`;
    const r = await api.post("/subscriptions/import", undefined, { raw: opml, ...OPML });
    assert.deepEqual(r.body, { imported: 1, skipped: 0, invalid: 0 });
  });
});

Deno.test("POST /subscriptions/import reads OPML in the encoding it declares (ISO-8859-1, UTF-16)", async () => {
  await withApi({}, async ({ api }) => {
    const url = "http://127.0.0.1:1/café.xml";
    const doc = (encoding: string) =>
      `<?xml version="1.0" encoding="${encoding}"?>\n<opml version="2.0"><body>` +
      `<outline text="Café" xmlUrl="${url}"/></body></opml>`;
    // ISO-8859-1: é is the single byte 0xE9.
    const latin1 = Uint8Array.from(doc("ISO-8859-1"), (ch) => ch.charCodeAt(0));
    const r1 = await api.post("/subscriptions/import", undefined, { raw: latin1, ...OPML });
    assert.equal(r1.status, 200, r1.text);
    assert.deepEqual(r1.body, { imported: 1, skipped: 0, invalid: 0 });
    // UTF-16LE with a byte order mark.
    const text = doc("UTF-16").replace("café", "thé");
    const utf16 = new Uint8Array(2 + text.length * 2);
    utf16.set([0xff, 0xfe]);
    for (let i = 0; i < text.length; i++) {
      utf16[2 + i * 2] = text.charCodeAt(i) & 0xff;
      utf16[3 + i * 2] = text.charCodeAt(i) >> 8;
    }
    const r2 = await api.post("/subscriptions/import", undefined, { raw: utf16, ...OPML });
    assert.deepEqual(r2.body, { imported: 1, skipped: 0, invalid: 0 });
    const urls = (await api.get("/subscriptions")).body.subscriptions.map((s: Json) => s.feed_url);
    assert.deepEqual(urls.sort(), [url, url.replace("café", "thé")].sort());
  });
});
