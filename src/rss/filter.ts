/**
 * One episode out of a feed (SPEC §6.1 `/proxy/{feed}/{item}`): the same XML text with every
 * other `<item>` (Atom `<entry>`) cut out. The cuts are made on the text at element
 * boundaries reported by the parser itself, so everything that is kept (declaration,
 * namespaces, channel metadata, the chosen item, comments, CDATA) stays byte-identical.
 */
import { decodeXmlBytes, parseXml, spanOf, type XmlSpan } from "./_xml.ts";
import { InvalidFeedError } from "./errors.ts";
import { locateFeed, readItem } from "./parse.ts";

/** Cuts `[start, end)` plus the indentation and line break before it. */
function cut(text: string, span: XmlSpan): string {
  let start = span.startIndex;
  while (start > 0 && /[ \t]/.test(text[start - 1])) start--;
  if (text[start - 1] === "\n") start--;
  if (text[start - 1] === "\r") start--;
  return text.slice(0, start) + text.slice(span.endIndex);
}

/**
 * The feed reduced to the first item whose guid (as `parseFeed` reads it, with its
 * fallbacks) and enclosure URL both match; null when none does.
 * @throws {InvalidFeedError} when the text is not a well-formed RSS or Atom feed.
 * @example
 * ```ts
 * const one = filterFeedToItem(xml, "0x1A", "https://cdn.example.com/ep26.mp3");
 * if (one === null) throw new NotFoundError("no such episode");
 * ```
 */
export function filterFeedToItem(
  xmlText: string,
  guid: string,
  enclosureUrl: string,
): string | null {
  const located = locateFeed(parseXml(xmlText, { spans: true }));
  const spans: XmlSpan[] = [];
  let kept: XmlSpan | undefined;
  for (const node of located.items) {
    const span = spanOf(node);
    if (!span) throw new InvalidFeedError("the feed's items could not be located");
    const item = readItem(located.kind, node);
    const matches = item?.guid === guid && item.enclosure?.url === enclosureUrl;
    if (matches && !kept) kept = span;
    else spans.push(span);
  }
  if (!kept) return null;
  let out = xmlText;
  // From the end, so earlier offsets stay valid.
  for (const span of spans.sort((a, b) => b.startIndex - a.startIndex)) out = cut(out, span);
  // The result is small; parsing it again proves the cuts fell on element boundaries.
  const check = locateFeed(parseXml(out));
  const only = check.items.length === 1 ? readItem(check.kind, check.items[0]) : undefined;
  if (only?.guid !== guid || only.enclosure?.url !== enclosureUrl) {
    throw new InvalidFeedError("the feed's items could not be located");
  }
  return out;
}

/**
 * {@linkcode filterFeedToItem} on the fetched bytes, answering bytes to serve. A UTF-8 feed
 * keeps its exact bytes (BOM included) outside the removed items; a feed in another
 * encoding comes back as UTF-8 with its XML declaration saying so, since the kept text can
 * only be re-encoded as UTF-8.
 * @throws {InvalidFeedError} when the bytes are not a well-formed RSS or Atom feed.
 */
export function filterFeedBytesToItem(
  bytes: Uint8Array,
  guid: string,
  enclosureUrl: string,
): Uint8Array | null {
  const { text, encoding, bom } = decodeXmlBytes(bytes);
  const out = filterFeedToItem(text, guid, enclosureUrl);
  if (out === null) return null;
  if (encoding === "utf-8") return new TextEncoder().encode(bom ? `\uFEFF${out}` : out);
  const relabelled = out.replace(
    /^(<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2/,
    (_, head: string, quote: string) => `${head}${quote}UTF-8${quote}`,
  );
  return new TextEncoder().encode(relabelled);
}
