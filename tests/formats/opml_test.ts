import assert from "node:assert/strict";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { buildOpml, parseOpml } from "../../src/formats/opml.ts";

Deno.test("buildOpml() stays well-formed with control characters and markup in titles", () => {
  const xml = buildOpml("Ann's <podcasts> \u0001", [
    { url: "https://example.org/a.xml?x=1&y=2", title: 'Bad \u0001 "title" & <b>' },
    { url: "https://example.org/b.xml" },
  ], "2026-01-15T10:00:00.000Z");
  assert.equal(XMLValidator.validate(xml), true);
  const doc = new XMLParser({ ignoreAttributes: false }).parse(xml);
  assert.equal(doc.opml["@_version"], "2.0");
  assert.deepEqual(parseOpml(xml), [
    { xmlUrl: "https://example.org/a.xml?x=1&y=2", title: 'Bad  "title" & <b>' },
    { xmlUrl: "https://example.org/b.xml", title: "https://example.org/b.xml" },
  ]);
});
