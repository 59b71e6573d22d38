import assert from "node:assert/strict";
import { noEvents, withApi } from "./_api.ts";

Deno.test("OPML import refuses DOCTYPE and entity tricks, non-OPML and too many feeds", async () => {
  await withApi({}, async ({ api }) => {
    const cases: Record<string, string> = {
      "billion laughs":
        `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><opml version="2.0"><body><outline xmlUrl="https://a.org/&lol2;"/></body></opml>`,
      "external entity":
        `<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><opml><body><outline xmlUrl="&xxe;"/></body></opml>`,
      "lowercase doctype": `<!doctype opml><opml><body/></opml>`,
      "not opml": `<rss version="2.0"><channel/></rss>`,
      "json": `{"subscriptions": []}`,
      "too many feeds": `<opml version="2.0"><body>${
        Array.from({ length: 10_001 }, (_, i) => `<outline xmlUrl="https://f.org/${i}"/>`).join("")
      }</body></opml>`,
    };
    for (const [what, raw] of Object.entries(cases)) {
      const r = await api.post("/subscriptions/import", undefined, { raw });
      assert.equal(r.status, 400, `${what}: ${r.status} ${r.text.slice(0, 200)}`);
      assert.ok(r.body.error.code, what);
    }
    await noEvents(api);
  });
});

Deno.test("OPML import of deep nesting and hostile 1 MiB files answers quickly", async () => {
  await withApi({}, async ({ api }) => {
    const deep = `<opml version="2.0"><body>${"<outline>".repeat(40_000)}` +
      `<outline type="rss" xmlUrl="https://feeds.example.org/deep.xml"/>${
        "</outline>".repeat(40_000)
      }</body></opml>`;
    const r = await api.post("/subscriptions/import", undefined, { raw: deep });
    assert.equal(r.status, 200, r.text.slice(0, 200));
    assert.deepEqual(r.body, { imported: 1, skipped: 0, invalid: 0 });
    const size = 1000 * 1000;
    for (
      const unit of ["<outline '", "<outline ", '<outline a="', "<outline aaaaaaaaaaaa", "<!--"]
    ) {
      const raw = "<opml>" + unit.repeat(Math.floor(size / unit.length));
      const started = performance.now();
      const res = await api.post("/subscriptions/import", undefined, { raw });
      const ms = performance.now() - started;
      assert.ok(res.status < 500, `${unit}: ${res.status}`);
      assert.ok(ms < 3000, `${JSON.stringify(unit)} took ${Math.round(ms)} ms`);
    }
  });
});
