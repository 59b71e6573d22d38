import assert from "node:assert/strict";
import { decodeFeedId, decodeItemId, encodeFeedId, encodeItemId } from "../../src/domain/ids.ts";

const URL = "https://example.org/podcast/feed.xml?x=1&y=ü";

function stdB64(text: string, pad = true): string {
  const bin = String.fromCharCode(...new TextEncoder().encode(text));
  const b = btoa(bin);
  return pad ? b : b.replace(/=+$/, "");
}

Deno.test("feed ids decode from every base64 spelling to one canonical id", () => {
  const canonical = encodeFeedId(URL);
  assert.doesNotMatch(canonical, /[+/=]/);
  for (const spelling of [stdB64(URL), stdB64(URL, false), canonical, canonical + "="]) {
    if (spelling.endsWith("=") && spelling.length % 4 !== 0) continue;
    const d = decodeFeedId(spelling);
    assert.equal(d.feed, canonical);
    assert.equal(d.feedUrl, URL);
  }
});

Deno.test("an item id splits at the last ,http so guids may hold commas and URLs", () => {
  const guid = "tag:a,b,https://not-the-enclosure.example/x";
  const d = decodeItemId(encodeItemId(guid, "http://cdn.example.org/a.mp3"));
  assert.equal(d.guid, guid);
  assert.equal(d.enclosureUrl, "http://cdn.example.org/a.mp3");
});

Deno.test("hostile feed ids are refused with invalid_feed_id", () => {
  const hostile: unknown[] = [
    "",
    "!!!!",
    "a",
    "abcde",
    stdB64("ftp://example.org/feed"),
    stdB64("file:///etc/passwd"),
    stdB64("javascript:alert(1)"),
    stdB64("data:text/xml,<rss/>"),
    stdB64("not a url"),
    stdB64("https://"),
    stdB64("https://exa mple.org/"),
    stdB64("https://example.org/\nx"),
    stdB64("https://example.org/" + "a".repeat(2100)),
    btoa("\xff\xfe\xfd"),
    "aGVsbG8+/-_", // mixed alphabets
    "aGVsbG8===",
    123,
    null,
    { url: "x" },
  ];
  for (const id of hostile) {
    assert.throws(
      () => decodeFeedId(id),
      (e: { code?: string }) => e.code === "invalid_feed_id",
      String(id),
    );
  }
});

Deno.test("hostile item ids are refused with invalid_item_id", () => {
  const hostile: unknown[] = [
    "",
    stdB64("no-comma-here"),
    stdB64(",https://cdn.example.org/a.mp3"), // empty guid
    stdB64("guid,ftp://cdn.example.org/a.mp3"),
    stdB64("guid,https://"),
    stdB64("guid"),
    "%%%",
    "A".repeat(9000),
    42,
  ];
  for (const id of hostile) {
    assert.throws(
      () => decodeItemId(id),
      (e: { code?: string }) => e.code === "invalid_item_id",
      String(id),
    );
  }
});
