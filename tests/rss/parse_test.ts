import assert from "node:assert/strict";
import { InvalidFeedError } from "../../src/rss/errors.ts";
import { parseFeed, parseFeedDate, parseFeedDuration } from "../../src/rss/parse.ts";
import { readFixture } from "../_support/feed_server.ts";

const rss = await readFixture("podcast_rss.xml");
const atom = await readFixture("podcast_atom.xml");

function assertInvalid(input: string | Uint8Array, why: string) {
  assert.throws(() => parseFeed(input), (e: unknown) => {
    assert.ok(e instanceof InvalidFeedError, `${why}: ${e}`);
    assert.equal(e.code, "invalid_feed");
    return true;
  });
}

Deno.test("parseFeed() reads the channel of an RSS podcast with iTunes tags", () => {
  const feed = parseFeed(new TextEncoder().encode(rss));
  assert.equal(feed.title, "Tech & Tea — The Feed Fixture Show");
  assert.equal(feed.author, "Ada & Grace");
  assert.equal(feed.description, "A weekly chat about <b>open podcasting</b>, sync & feeds.");
  assert.equal(feed.link, "https://tech-and-tea.example.com/");
  assert.equal(feed.cover, "https://cdn.example.com/art/tech-and-tea-3000.jpg");
});

Deno.test("parseFeed() keeps guids as written, decodes CDATA and entities", () => {
  const [ep26, ep25] = parseFeed(rss).items;
  assert.deepEqual(ep26, {
    guid: "0x1A",
    title: "Episode 26: Hex & the <guid>",
    pubDate: Date.parse("2026-01-13T07:00:00Z"),
    enclosure: {
      url: "https://cdn.example.com/audio/ep26.mp3?src=rss&v=2",
      length: 48213504,
      type: "audio/mpeg",
    },
    duration: 3723,
    description: "<p>Why a guid of <code>0x1A</code> must stay a string &amp; not become 26.</p>",
    link: "https://tech-and-tea.example.com/episodes/26",
  });
  assert.equal(ep25.guid, "007");
  assert.equal(ep25.title, "Episode 25: \u201cCaf\u00e9\u201d culture & license to sync");
  assert.equal(ep25.pubDate, Date.parse("2026-01-06T07:00:00Z"));
  assert.equal(ep25.duration, 45 * 60 + 30);
  assert.equal(ep25.description, "Short notes with an entity: caf\u00e9 & cr\u00e8me.");
});

Deno.test("parseFeed() keeps duplicate guids in order and falls back for missing ones", () => {
  const items = parseFeed(rss).items;
  assert.deepEqual(items.map((i) => i.guid), [
    "0x1A",
    "007",
    "dup-guid",
    "dup-guid",
    "https://cdn.example.com/audio/bonus.m4a",
    "https://tech-and-tea.example.com/episodes/23,https://x",
    "https://tech-and-tea.example.com/blog/announcement",
  ]);
  assert.deepEqual(items.slice(2, 4).map((i) => i.enclosure?.url), [
    "https://cdn.example.com/audio/ep24a.mp3",
    "https://cdn.example.com/audio/ep24b.mp3",
  ]);
  const bonus = items[4];
  assert.equal(bonus.pubDate, undefined);
  assert.equal("pubDate" in bonus, false);
  assert.equal(bonus.enclosure?.length, 0);
  assert.equal(items[3].duration, 1800);
  assert.ok((items[5].description?.length ?? 0) > 20_000, "the huge description is whole");
  assert.equal(items[6].enclosure, undefined);
  assert.equal(items[6].pubDate, Date.parse("2025-12-22T09:00:00Z"));
});

Deno.test("parseFeed() reads an Atom podcast", () => {
  const feed = parseFeed(atom);
  assert.equal(feed.title, "Les Ondes Atomiques");
  assert.equal(feed.author, "Marie Curie-Sklodowska");
  assert.equal(feed.description, "Un podcast <em>en Atom</em>");
  assert.equal(feed.link, "https://ondes.example.org/");
  assert.equal(feed.cover, "https://ondes.example.org/logo.png");
  assert.deepEqual(feed.items[0], {
    guid: "tag:ondes.example.org,2026:ep2",
    title: "\u00c9pisode 2 : la radioactivit\u00e9",
    pubDate: Date.parse("2026-01-12T17:30:02Z"),
    enclosure: {
      url: "https://cdn.ondes.example.org/ep2.mp3",
      length: 12345678,
      type: "audio/mpeg",
    },
    duration: 1500,
    description: "<p>Le polonium &amp; le radium.</p>",
    link: "https://ondes.example.org/ep2",
  });
  assert.equal(feed.items[1].title, "\u00c9pisode 1");
  assert.equal(feed.items[1].description, "Bienvenue \u00e0 tous.");
  assert.equal(feed.items[1].pubDate, Date.parse("2026-01-05T08:00:00Z"));
});

Deno.test("parseFeed() refuses a billion-laughs document quickly", async () => {
  const lol = await readFixture("billion_laughs.xml");
  const started = performance.now();
  assertInvalid(lol, "billion laughs");
  assert.ok(performance.now() - started < 500);
  // Quadratic blowup: one large entity referenced many times, no nesting at all.
  const blowup = `<?xml version="1.0"?><!DOCTYPE rss [<!ELEMENT rss ANY>` +
    `<!ENTITY a "${"a".repeat(9_000)}">]><rss><channel><title>${"&a;".repeat(50_000)}` +
    `</title></channel></rss>`;
  const again = performance.now();
  assertInvalid(blowup, "quadratic blowup");
  assert.ok(performance.now() - again < 500);
});

Deno.test("parseFeed() never loads external entities", () => {
  assertInvalid(
    `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` +
      `<rss><channel><title>&xxe;</title></channel></rss>`,
    "SYSTEM entity",
  );
  assertInvalid(
    `<!DOCTYPE rss [<!ENTITY % p SYSTEM "http://127.0.0.1/x.dtd"> %p;]><rss/>`,
    "parameter entity",
  );
});

Deno.test("parseFeed() accepts RSS 0.91's DOCTYPE and decodes its HTML entities", () => {
  const feed = parseFeed(
    `<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"
  "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>Caf&eacute; &ndash; &unknown; &#x1F3A7;</title>
<item><title>One</title><link>https://example.com/1</link></item></channel></rss>`,
  );
  assert.equal(feed.title, "Caf\u00e9 \u2013 &unknown; \u{1F3A7}");
  assert.equal(feed.items[0].guid, "https://example.com/1");
});

Deno.test("parseFeed() refuses malformed, truncated and non-feed documents", async () => {
  assertInvalid(await readFixture("malformed.xml"), "malformed fixture");
  assertInvalid(rss.slice(0, rss.length / 2), "truncated");
  assertInvalid("", "empty");
  assertInvalid('{"title": "json"}', "json");
  assertInvalid("<html><body><p>Not a feed</p></body></html>", "html page");
  assertInvalid('<rss version="2.0"></rss>', "rss without channel");
  assertInvalid(new Uint8Array([0xff, 0x00, 0x13, 0x37, 0x80, 0x81]), "binary");
  assertInvalid(`<rss><channel>${"<a>".repeat(200)}${"</a>".repeat(200)}</channel></rss>`, "deep");
});

Deno.test("parseFeed() never throws anything but InvalidFeedError on cut documents", () => {
  for (let cutAt = 0; cutAt < rss.length; cutAt += 211) {
    try {
      parseFeed(rss.slice(0, cutAt) + "</item></channel></rss>");
    } catch (e) {
      assert.ok(e instanceof InvalidFeedError, `cut at ${cutAt}: ${e}`);
    }
  }
});

Deno.test("parseFeed() decodes bytes by BOM or declared encoding", () => {
  const doc = (title: string, enc: string) =>
    `<?xml version="1.0" encoding="${enc}"?><rss><channel><title>${title}</title></channel></rss>`;
  const latin1 = Uint8Array.from(doc("Caf\u00e9", "ISO-8859-1"), (c) => c.charCodeAt(0));
  assert.equal(parseFeed(latin1).title, "Caf\u00e9");
  const text = doc("\u00c9t\u00e9 \u{1F3A7}", "UTF-16");
  const utf16 = new Uint8Array(2 + text.length * 2);
  utf16.set([0xff, 0xfe]);
  for (let i = 0; i < text.length; i++) {
    utf16[2 + 2 * i] = text.charCodeAt(i) & 0xff;
    utf16[3 + 2 * i] = text.charCodeAt(i) >> 8;
  }
  assert.equal(parseFeed(utf16).title, "\u00c9t\u00e9 \u{1F3A7}");
  const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(doc("x", "utf-8"))]);
  assert.equal(parseFeed(bom).title, "x");
});

Deno.test("parseFeedDate() reads RFC 822 and ISO dates, zoneless as UTC", () => {
  const utc = (iso: string) => Date.parse(iso);
  assert.equal(parseFeedDate("Tue, 13 Jan 2026 07:00:00 GMT"), utc("2026-01-13T07:00:00Z"));
  assert.equal(parseFeedDate("13 Jan 2026 07:00 +0100"), utc("2026-01-13T06:00:00Z"));
  assert.equal(parseFeedDate("Tue, 13 Jan 2026 07:00:00 EST"), utc("2026-01-13T12:00:00Z"));
  assert.equal(parseFeedDate("Tue, 13 Jan 2026 07:00:00 CEST"), utc("2026-01-13T05:00:00Z"));
  assert.equal(parseFeedDate("Tue, 13 Jan 2026 07:00:00"), utc("2026-01-13T07:00:00Z"));
  assert.equal(parseFeedDate("2026-01-13T07:00:00"), utc("2026-01-13T07:00:00Z"));
  assert.equal(parseFeedDate("2026-01-13 07:00:00"), utc("2026-01-13T07:00:00Z"));
  assert.equal(parseFeedDate("2026-01-13T07:00:00+02:00"), utc("2026-01-13T05:00:00Z"));
  assert.equal(parseFeedDate("2026-01-13"), utc("2026-01-13T00:00:00Z"));
  assert.equal(parseFeedDate("sometime last week"), undefined);
  assert.equal(parseFeedDate(undefined), undefined);
});

Deno.test("parseFeedDuration() reads seconds and clock forms", () => {
  assert.equal(parseFeedDuration("3723"), 3723);
  assert.equal(parseFeedDuration("3723.6"), 3724);
  assert.equal(parseFeedDuration("01:02:03"), 3723);
  assert.equal(parseFeedDuration("62:03"), 3723);
  assert.equal(parseFeedDuration("1:02:03.250"), 3723);
  assert.equal(parseFeedDuration("about an hour"), undefined);
  assert.equal(parseFeedDuration("-5"), undefined);
  assert.equal(parseFeedDuration(undefined), undefined);
});
