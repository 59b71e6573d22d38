/**
 * One episode out of a feed (SPEC §6.1 `/proxy/{feed}/{item}`): the same XML text with every
 * other `<item>` (Atom `<entry>`) cut out. The cuts are made on the text at element
 * boundaries reported by the parser itself, so everything that is kept (declaration,
 * namespaces, channel metadata, the chosen item, comments, CDATA) stays byte-identical.
 *
 * A feed is parsed once into an index (the text between items, and each item's text);
 * answering for any one item is then a linear join of short strings, so asking a big
 * feed for many different episodes costs one parse, not one per episode.
 */
import { decodeXmlBytes } from "../formats/xml_bytes.ts";
import { parseXml, spanOf } from "./_xml.ts";
import { InvalidFeedError } from "./errors.ts";
import { locateFeed, readItem } from "./parse.ts";

/** A feed cut at its items. */
export interface FeedItemIndex {
  /** Text around the items: `gaps[i]` comes before item i; the last one ends the feed. */
  readonly gaps: readonly string[];
  readonly items: readonly { guid?: string; enclosureUrl?: string; text: string }[];
  readonly encoding: string;
  readonly bom: boolean;
}

/** Where an item's cut starts: the indentation and line break before it go with it. */
function cutStart(text: string, start: number): number {
  while (start > 0 && (text[start - 1] === " " || text[start - 1] === "\t")) start--;
  if (text[start - 1] === "\n") start--;
  if (text[start - 1] === "\r") start--;
  return start;
}

function indexText(text: string, encoding: string, bom: boolean): FeedItemIndex {
  const located = locateFeed(parseXml(text, { spans: true }));
  const ranges = located.items.map((node) => {
    const span = spanOf(node);
    if (!span) throw new InvalidFeedError("the feed's items could not be located");
    const item = readItem(located.kind, node);
    return {
      start: cutStart(text, span.startIndex),
      end: span.endIndex,
      guid: item?.guid,
      enclosureUrl: item?.enclosure?.url,
    };
  }).sort((a, b) => a.start - b.start);
  const gaps: string[] = [];
  const items: FeedItemIndex["items"][number][] = [];
  let pos = 0;
  for (const r of ranges) {
    if (r.start < pos) throw new InvalidFeedError("the feed's items could not be located");
    gaps.push(text.slice(pos, r.start));
    items.push({ guid: r.guid, enclosureUrl: r.enclosureUrl, text: text.slice(r.start, r.end) });
    pos = r.end;
  }
  gaps.push(text.slice(pos));
  return { gaps, items, encoding, bom };
}

/**
 * Parses a fetched feed into its item index.
 * @throws {InvalidFeedError} when the bytes are not a well-formed RSS or Atom feed.
 */
export function indexFeedItems(bytes: Uint8Array): FeedItemIndex {
  const { text, encoding, bom } = decodeXmlBytes(bytes);
  return indexText(text, encoding, bom);
}

/** The feed text with only the first item matching guid and enclosure; null when none. */
function extract(index: FeedItemIndex, guid: string, enclosureUrl: string): string | null {
  const k = index.items.findIndex((i) => i.guid === guid && i.enclosureUrl === enclosureUrl);
  if (k < 0) return null;
  const parts: string[] = [];
  index.gaps.forEach((gap, i) => {
    parts.push(gap);
    if (i === k) parts.push(index.items[i].text);
  });
  const out = parts.join("");
  // The result is small; parsing it again proves the cuts fell on element boundaries.
  const check = locateFeed(parseXml(out));
  const only = check.items.length === 1 ? readItem(check.kind, check.items[0]) : undefined;
  if (only?.guid !== guid || only.enclosure?.url !== enclosureUrl) {
    throw new InvalidFeedError("the feed's items could not be located");
  }
  return out;
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
  return extract(indexText(xmlText, "utf-8", false), guid, enclosureUrl);
}

/**
 * One item out of an indexed feed, as bytes to serve. A UTF-8 feed keeps its exact bytes
 * (BOM included) outside the removed items; a feed in another encoding comes back as UTF-8
 * with its XML declaration saying so, since the kept text can only be re-encoded as UTF-8.
 * @throws {InvalidFeedError} when the cut result does not hold exactly that item.
 */
export function itemBytesFromIndex(
  index: FeedItemIndex,
  guid: string,
  enclosureUrl: string,
): Uint8Array | null {
  const out = extract(index, guid, enclosureUrl);
  if (out === null) return null;
  if (index.encoding === "utf-8") {
    return new TextEncoder().encode(index.bom ? `\uFEFF${out}` : out);
  }
  const relabelled = out.replace(
    /^(<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2/,
    (_, head: string, quote: string) => `${head}${quote}UTF-8${quote}`,
  );
  return new TextEncoder().encode(relabelled);
}

/**
 * {@linkcode filterFeedToItem} on fetched bytes (parses the feed each call: keep the index
 * of a cached feed instead, see indexFeedItems).
 * @throws {InvalidFeedError} when the bytes are not a well-formed RSS or Atom feed.
 */
export function filterFeedBytesToItem(
  bytes: Uint8Array,
  guid: string,
  enclosureUrl: string,
): Uint8Array | null {
  return itemBytesFromIndex(indexFeedItems(bytes), guid, enclosureUrl);
}
