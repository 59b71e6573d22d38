/**
 * Show notes as plain text for the web pages: a feed's description is HTML written by its
 * author, and a page must never inject it. Tags go, block elements become paragraph
 * breaks, scripts and styles go with their content, and character references are decoded
 * once (the page escapes the result again as text). One left-to-right pass: a hostile
 * description (thousands of unclosed `<`) costs linear time.
 */
import { decodeEntities } from "./_entities.ts";

/** Characters of show notes kept at most (a page never carries a whole book). */
export const MAX_NOTES_CHARS = 20_000;

/** Elements whose content is never text. */
const HIDDEN = new Set(["script", "style", "template", "noscript", "iframe", "object", "head"]);
/** Elements that end a paragraph. */
const BLOCKS = new Set([
  "p",
  "div",
  "br",
  "li",
  "ul",
  "ol",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "tr",
  "table",
  "blockquote",
  "section",
  "article",
  "pre",
  "hr",
]);

/** The text runs of an HTML fragment, with "\n\n" where a block element stood. */
function textOf(html: string): string {
  const lower = html.toLowerCase();
  let out = "";
  let i = 0;
  while (i < html.length) {
    const open = html.indexOf("<", i);
    if (open < 0) {
      out += html.slice(i);
      break;
    }
    out += html.slice(i, open);
    const close = html.indexOf(">", open + 1);
    if (close < 0) {
      out += html.slice(open); // "a < b": not a tag
      break;
    }
    const name = /^\/?([a-z][a-z0-9]*)/.exec(lower.slice(open + 1, Math.min(close, open + 16)))
      ?.[1];
    i = close + 1;
    if (name === undefined) continue; // a comment, a declaration or stray markup
    if (HIDDEN.has(name) && lower[open + 1] !== "/") {
      const end = lower.indexOf(`</${name}`, i);
      if (end < 0) break;
      const after = html.indexOf(">", end);
      if (after < 0) break;
      i = after + 1;
    } else if (BLOCKS.has(name)) {
      out += "\n\n";
    }
  }
  return out;
}

/**
 * The paragraphs of an HTML (or plain) description as plain text, at most `max` characters
 * in all (the last one cut with an ellipsis).
 * @example
 * ```ts
 * plainParagraphs("<p>One &amp; two</p><p>Three<script>x()</script></p>");
 * // → ["One & two", "Three"]
 * ```
 */
export function plainParagraphs(html: string | undefined, max = MAX_NOTES_CHARS): string[] {
  if (!html) return [];
  const out: string[] = [];
  let left = max;
  for (const block of textOf(html.slice(0, max * 4)).split(/\n\s*\n/)) {
    const plain = decodeEntities(block).replace(/\s+/g, " ").trim();
    if (plain === "") continue;
    if (plain.length > left) {
      out.push(`${plain.slice(0, left).trimEnd()} …`);
      break;
    }
    out.push(plain);
    left -= plain.length;
    if (left === 0) break;
  }
  return out;
}

/** A description as one line of plain text, at most `max` characters. */
export function plainSummary(html: string | undefined, max = 300): string {
  return plainParagraphs(html, max).join(" ");
}
