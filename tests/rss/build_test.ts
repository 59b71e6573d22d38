import assert from "node:assert/strict";
import { buildRss, cdata, commentText, escapeXml, rfc822, xmlChars } from "../../src/rss/build.ts";
import { parseFeed } from "../../src/rss/parse.ts";

Deno.test("escapeXml() escapes markup and drops characters XML cannot carry", () => {
  assert.equal(
    escapeXml(`Tom & "Jerry" <3 'x'`),
    "Tom &amp; &quot;Jerry&quot; &lt;3 &apos;x&apos;",
  );
  assert.equal(xmlChars("a\u0000b\u0008c\té\uFFFE\uD800d😀"), "abc\téd😀");
});

Deno.test("cdata() cannot be closed early by the text it holds", () => {
  assert.equal(cdata("a]]>b"), "<![CDATA[a]]]]><![CDATA[>b]]>");
  const xml = buildRss({ title: "T", link: "http://127.0.0.1/", description: "D" }, [{
    title: "E",
    guid: "g",
    description: "<p>x ]]> <script>alert(1)</script></p>",
  }]);
  assert.equal(parseFeed(xml).items[0].description, "<p>x ]]> <script>alert(1)</script></p>");
});

Deno.test("commentText() never lets a comment end or break early", () => {
  assert.equal(commentText("a--b-"), "a%2D-b%2D");
  assert.ok(!commentText("----").includes("--"));
});

Deno.test("rfc822() writes RSS dates and refuses times without a 4-digit year", () => {
  assert.equal(rfc822(Date.parse("2026-01-13T07:00:00Z")), "Tue, 13 Jan 2026 07:00:00 GMT");
  assert.equal(rfc822(undefined), undefined);
  assert.equal(rfc822(NaN), undefined);
  assert.equal(rfc822(Date.parse("+010000-01-01T00:00:00Z")), undefined);
});

Deno.test("buildRss() writes a feed the parser reads back, hostile text included", () => {
  const hostile = `]]><!-- & <item> "' \u0001`;
  const xml = buildRss(
    {
      title: hostile,
      link: "http://localhost:8000",
      description: "d",
      lastBuildDate: Date.parse("2026-01-15T10:00:00Z"),
      block: true,
    },
    [{
      title: `[Show ${hostile}] Ep`,
      guid: `g&<>"1`,
      link: "https://example.com/a?b=1&c=2",
      pubDate: Date.parse("2026-01-13T07:00:00Z"),
      description: hostile,
      enclosure: {
        url: "http://localhost:8000/play/t/f/i?x=1&y=2",
        length: 42,
        type: "audio/mpeg",
      },
      duration: 3723,
      source: { url: "https://feeds.example.com/a.xml?x=1&y=2", title: hostile },
    }, { title: "Undated", guid: "u" }],
    { comments: ["skipped http://x/--y- (upstream_timeout)"] },
  );
  const feed = parseFeed(xml);
  assert.equal(feed.title, `]]><!-- & <item> "'`);
  assert.equal(feed.items.length, 2);
  const [item] = feed.items;
  assert.equal(item.guid, `g&<>"1`);
  assert.equal(item.title, `[Show ]]><!-- & <item> "' ] Ep`);
  assert.equal(item.enclosure?.url, "http://localhost:8000/play/t/f/i?x=1&y=2");
  assert.equal(item.enclosure?.length, 42);
  assert.equal(item.duration, 3723);
  assert.equal(item.pubDate, Date.parse("2026-01-13T07:00:00Z"));
  assert.match(xml, /<itunes:block>Yes<\/itunes:block>/);
  assert.match(xml, /<guid isPermaLink="false">/);
  assert.match(xml, /<!-- skipped http:\/\/x\/%2D-y- \(upstream_timeout\) -->/);
  assert.match(xml, /<item><title>Undated<\/title><guid isPermaLink="false">u<\/guid><\/item>/);
});
