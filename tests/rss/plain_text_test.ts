import assert from "node:assert/strict";
import { plainParagraphs, plainSummary } from "../../src/rss/plain_text.ts";

Deno.test("plainParagraphs() keeps the words of show notes, one paragraph per block, no markup", () => {
  assert.deepEqual(
    plainParagraphs(
      "<p>Why a guid of <code>0x1A</code> must stay a string &amp; not 26.</p>" +
        "<ul><li>One&nbsp;&hellip;</li><li>Two</li></ul>Tail<br>after",
    ),
    ["Why a guid of 0x1A must stay a string & not 26.", "One …", "Two", "Tail", "after"],
  );
  assert.deepEqual(plainParagraphs("Plain text\n\nin two paragraphs"), [
    "Plain text",
    "in two paragraphs",
  ]);
  assert.deepEqual(plainParagraphs(undefined), []);
});

Deno.test("plainParagraphs() drops scripts, styles and comments with their content", () => {
  assert.deepEqual(
    plainParagraphs(
      '<p>Hi<script>alert("x")</script><style>p{}</style><!-- note --> there</p>' +
        "<SCRIPT>unclosed",
    ),
    ["Hi there"],
  );
  // Escaped markup is text, shown as written (the page escapes it again).
  assert.deepEqual(plainParagraphs("a &lt;b&gt; c < d"), ["a <b> c < d"]);
});

Deno.test("plainParagraphs() cuts long notes with an ellipsis and stays linear on hostile input", () => {
  assert.deepEqual(plainParagraphs("<p>abcdef</p><p>ghij</p>", 8), ["abcdef", "gh …"]);
  assert.equal(plainSummary("<p>One</p><p>Two</p>"), "One Two");
  const started = performance.now();
  for (const hostile of ["<".repeat(80_000), "<p".repeat(40_000), "<script".repeat(10_000)]) {
    plainParagraphs(hostile);
  }
  assert.ok(performance.now() - started < 500, "unclosed tags cost linear time");
});
