import assert from "node:assert/strict";
import { InvalidFeedError } from "../../src/rss/errors.ts";
import {
  filterFeedBytesToItem,
  filterFeedToItem,
  indexFeedItems,
  itemBytesFromIndex,
} from "../../src/rss/filter.ts";
import { parseFeed } from "../../src/rss/parse.ts";
import { readFixture } from "../_support/feed_server.ts";

const rss = await readFixture("podcast_rss.xml");
const atom = await readFixture("podcast_atom.xml");

/** The n-th `<tag>…</tag>` of a text, with the whitespace line prefix before it. */
function element(text: string, tag: string, n: number): string {
  let at = -1;
  for (let i = 0; i <= n; i++) at = text.indexOf(`<${tag}>`, at + 1);
  const end = text.indexOf(`</${tag}>`, at) + tag.length + 3;
  return text.slice(at, end);
}

Deno.test("filterFeedToItem() keeps the matching item and the channel byte for byte", () => {
  const out = filterFeedToItem(rss, "0x1A", "https://cdn.example.com/audio/ep26.mp3?src=rss&v=2");
  assert.ok(out);
  const firstItem = rss.indexOf("<item>");
  const afterLast = rss.lastIndexOf("</item>") + "</item>".length;
  assert.equal(out, rss.slice(0, firstItem) + element(rss, "item", 0) + rss.slice(afterLast));
  const feed = parseFeed(out);
  assert.equal(feed.title, parseFeed(rss).title);
  assert.deepEqual(feed.items.map((i) => i.guid), ["0x1A"]);
});

Deno.test("filterFeedToItem() tells duplicate guids apart by enclosure", () => {
  const out = filterFeedToItem(rss, "dup-guid", "https://cdn.example.com/audio/ep24b.mp3");
  assert.ok(out);
  assert.ok(out.includes(element(rss, "item", 3)));
  assert.ok(!out.includes("ep24a.mp3"));
  assert.deepEqual(parseFeed(out).items.map((i) => i.title), ["Episode 24 (part 2)"]);
});

Deno.test("filterFeedToItem() matches items by the guid parseFeed gives them", () => {
  const bonus = "https://cdn.example.com/audio/bonus.m4a";
  assert.equal(
    parseFeed(filterFeedToItem(rss, bonus, bonus)!).items[0].title,
    "Bonus: no date, no guid",
  );
  const commas = "https://tech-and-tea.example.com/episodes/23,https://x";
  const out = filterFeedToItem(rss, commas, "https://cdn.example.com/audio/ep23.mp3");
  assert.ok(out?.includes(element(rss, "item", 5)), "the huge item is kept whole");
});

Deno.test("filterFeedToItem() answers null when guid and enclosure do not both match", () => {
  assert.equal(filterFeedToItem(rss, "0x1A", "https://cdn.example.com/audio/ep25.mp3"), null);
  assert.equal(
    filterFeedToItem(rss, "26", "https://cdn.example.com/audio/ep26.mp3?src=rss&v=2"),
    null,
  );
  assert.equal(filterFeedToItem(rss, "nope", "https://cdn.example.com/nope.mp3"), null);
});

Deno.test("filterFeedToItem() filters Atom entries", () => {
  const out = filterFeedToItem(
    atom,
    "tag:ondes.example.org,2026:ep1",
    "https://cdn.ondes.example.org/ep1.ogg",
  );
  assert.ok(out);
  assert.ok(out.includes(element(atom, "entry", 1)));
  assert.ok(out.startsWith(atom.slice(0, atom.indexOf("<entry>"))));
  assert.deepEqual(parseFeed(out).items.map((i) => i.guid), ["tag:ondes.example.org,2026:ep1"]);
});

Deno.test("filterFeedToItem() keeps offsets right with CRLF line ends", () => {
  const crlf = rss.replace(/\n/g, "\r\n");
  const out = filterFeedToItem(crlf, "007", "https://cdn.example.com/audio/ep25.mp3");
  assert.ok(out);
  assert.ok(out.includes(element(crlf, "item", 1)));
  assert.ok(out.startsWith(crlf.slice(0, crlf.indexOf("<item>"))));
  assert.ok(out.endsWith("  </channel>\r\n</rss>\r\n"));
  assert.equal(parseFeed(out).items.length, 1);
});

Deno.test("filterFeedToItem() is not fooled by item markup in CDATA or comments", () => {
  const xml = `<?xml version="1.0"?>
<rss version="2.0"><channel><title>Tricky</title>
  <!-- <item><guid>b</guid></item> -->
  <item><guid>a</guid><enclosure url="https://cdn.example.com/a.mp3"/>
    <description><![CDATA[</item><item><guid>b</guid>]]></description></item>
  <item><guid>b</guid><enclosure url="https://cdn.example.com/b.mp3"/></item>
</channel></rss>`;
  const out = filterFeedToItem(xml, "b", "https://cdn.example.com/b.mp3");
  assert.equal(
    out,
    `<?xml version="1.0"?>
<rss version="2.0"><channel><title>Tricky</title>
  <!-- <item><guid>b</guid></item> -->
  <item><guid>b</guid><enclosure url="https://cdn.example.com/b.mp3"/></item>
</channel></rss>`,
  );
});

Deno.test("filterFeedToItem() refuses what is not a well-formed feed", () => {
  for (const bad of ["<rss><channel><item></channel></rss>", "<html/>", "plain text"]) {
    assert.throws(() => filterFeedToItem(bad, "a", "https://x.example/a.mp3"), InvalidFeedError);
  }
});

Deno.test("filterFeedBytesToItem() keeps UTF-8 bytes, BOM included", () => {
  const encoder = new TextEncoder();
  const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...encoder.encode(rss)]);
  const out = filterFeedBytesToItem(bytes, "007", "https://cdn.example.com/audio/ep25.mp3");
  const text = filterFeedToItem(rss, "007", "https://cdn.example.com/audio/ep25.mp3")!;
  assert.deepEqual(out, new Uint8Array([0xef, 0xbb, 0xbf, ...encoder.encode(text)]));
  assert.equal(filterFeedBytesToItem(bytes, "007", "https://elsewhere.example/x.mp3"), null);
});

Deno.test("filterFeedBytesToItem() answers UTF-8 for a feed in another encoding", () => {
  const latin1 = `<?xml version="1.0" encoding='ISO-8859-1'?>
<rss><channel><title>Caf\u00e9</title>
<item><guid>\u00e9t\u00e9</guid><enclosure url="https://cdn.example.com/e.mp3"/></item>
<item><guid>hiver</guid><enclosure url="https://cdn.example.com/h.mp3"/></item>
</channel></rss>`;
  const bytes = Uint8Array.from(latin1, (c) => c.charCodeAt(0));
  const out = filterFeedBytesToItem(bytes, "\u00e9t\u00e9", "https://cdn.example.com/e.mp3");
  assert.ok(out);
  const text = new TextDecoder().decode(out);
  assert.ok(text.startsWith(`<?xml version="1.0" encoding='UTF-8'?>`));
  const feed = parseFeed(out);
  assert.equal(feed.title, "Caf\u00e9");
  assert.deepEqual(feed.items.map((i) => i.guid), ["\u00e9t\u00e9"]);
});

Deno.test("an indexed big feed answers any of its episodes with exactly that one", () => {
  const items = Array.from(
    { length: 3000 },
    (_, i) =>
      `    <item><title>Episode ${i}</title><guid>g-${i}</guid>` +
      `<enclosure url="https://cdn.example.com/e${i}.mp3" length="1" type="audio/mpeg"/></item>`,
  );
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>\n` +
    `    <title>Big</title>\n${items.join("\n")}\n  </channel>\n</rss>\n`;
  const index = indexFeedItems(new TextEncoder().encode(xml));
  assert.equal(index.items.length, 3000);
  for (const i of [0, 1499, 2999]) {
    const out = new TextDecoder().decode(
      itemBytesFromIndex(index, `g-${i}`, `https://cdn.example.com/e${i}.mp3`)!,
    );
    assert.equal(
      out,
      xml.replace(/\n {4}<item>.*<\/item>/g, (m) => m.includes(`<guid>g-${i}</guid>`) ? m : ""),
    );
  }
  assert.equal(itemBytesFromIndex(index, "g-1", "https://cdn.example.com/e2.mp3"), null);
});
