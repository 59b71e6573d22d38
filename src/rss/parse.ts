/**
 * Reads an RSS 2.0 (with iTunes and Podcasting 2.0 tags), RSS 1.0 or Atom feed into the
 * small model the proxy and the aggregated feeds need. Values stay strings as written (a
 * guid `0x1A` or `007` is not a number), entities and CDATA are decoded.
 *
 * Items keep document order; duplicate guids are all kept (in order) because the item id
 * pairs the guid with the enclosure URL, which may tell them apart. An item gets its guid
 * from `<guid>` (Atom `<id>`), else its enclosure URL, else its link; an item with none of
 * the three cannot be addressed and is left out.
 */
import {
  all,
  attr,
  firstNode,
  isNode,
  parseXml,
  rawText,
  stripTags,
  text,
  type XmlNode,
} from "./_xml.ts";
import { decodeXmlBytes } from "../formats/xml_bytes.ts";
import { InvalidFeedError } from "./errors.ts";

/** An episode's media file. */
export interface FeedEnclosure {
  readonly url: string;
  /** Bytes, as the feed declares it. */
  readonly length?: number;
  readonly type?: string;
}

/** One episode. */
export interface FeedItem {
  readonly guid: string;
  readonly title?: string;
  /** Milliseconds since the epoch; undefined when missing or unreadable. */
  readonly pubDate?: number;
  readonly enclosure?: FeedEnclosure;
  /** Whole seconds. */
  readonly duration?: number;
  readonly description?: string;
  readonly link?: string;
}

/** A podcast feed. */
export interface Feed {
  /** Empty when the feed has none. */
  readonly title: string;
  readonly author?: string;
  readonly description?: string;
  readonly link?: string;
  /** Artwork URL. */
  readonly cover?: string;
  readonly items: readonly FeedItem[];
}

/** Which dialect a document is, where its metadata lives and its item elements. */
export interface LocatedFeed {
  readonly kind: "rss" | "atom";
  readonly channel: XmlNode;
  readonly items: readonly unknown[];
}

// Zones V8's Date.parse does not know, as they appear in feeds.
const ZONES: Record<string, string> = {
  CET: "+0100",
  CEST: "+0200",
  BST: "+0100",
  IST: "+0530",
  EET: "+0200",
  EEST: "+0300",
  WET: "+0000",
  WEST: "+0100",
  MSK: "+0300",
  JST: "+0900",
  KST: "+0900",
  AEST: "+1000",
  AEDT: "+1100",
  NZST: "+1200",
  NZDT: "+1300",
};

/** Reads an RFC 822 or ISO 8601 date; a date without a zone is taken as UTC. */
export function parseFeedDate(value: string | undefined): number | undefined {
  if (!value) return undefined;
  let s = value.trim().replace(/\b([A-Z]{3,4})$/, (z) => ZONES[z] ?? z);
  if (/^\d{4}-\d{2}-\d{2}[T ][\d:.]+$/.test(s)) s = `${s.replace(" ", "T")}Z`;
  else if (/\d{1,2}:\d{2}(:\d{2})?$/.test(s) && !/^\d{4}-/.test(s)) s += " +0000";
  const ms = Date.parse(s);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Reads `itunes:duration`: seconds, `MM:SS` or `HH:MM:SS`, to whole seconds. */
export function parseFeedDuration(value: string | undefined): number | undefined {
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value));
  const m = /^(\d+):(\d{1,2})(?::(\d{1,2}))?(?:\.\d+)?$/.exec(value);
  if (!m) return undefined;
  const [h, min, sec] = m[3] === undefined ? [0, +m[1], +m[2]] : [+m[1], +m[2], +m[3]];
  return h * 3600 + min * 60 + sec;
}

function compact<T extends object>(value: T): T {
  for (const key of Object.keys(value) as Array<keyof T>) {
    if (value[key] === undefined) delete value[key];
  }
  return value;
}

function enclosureOf(url: string | undefined, length: string | undefined, type?: string) {
  if (!url) return undefined;
  const bytes = length && /^\d{1,15}$/.test(length) ? Number(length) : undefined;
  return compact<FeedEnclosure>({ url, length: bytes, type });
}

function rssItem(node: XmlNode): FeedItem | undefined {
  const enc = all(node.enclosure).find((e) => attr(e, "url"));
  const enclosure = enclosureOf(attr(enc, "url"), attr(enc, "length"), attr(enc, "type"));
  const link = text(node.link);
  const guid = text(node.guid) ?? enclosure?.url ?? link;
  if (!guid) return undefined;
  return compact<FeedItem>({
    guid,
    title: text(node.title) ?? text(node["itunes:title"]),
    pubDate: parseFeedDate(text(node.pubDate) ?? text(node["dc:date"])),
    enclosure,
    duration: parseFeedDuration(text(node["itunes:duration"])),
    description: rawText(node.description) ?? rawText(node["content:encoded"]) ??
      rawText(node["itunes:summary"]),
    link,
  });
}

function atomLink(node: XmlNode, rel: string): XmlNode | undefined {
  return all(node.link).filter(isNode).find((l) => (attr(l, "rel") ?? "alternate") === rel);
}

/**
 * An Atom text construct: `text` or `html` as written, `xhtml` reduced to words. `raw` says
 * whether the element is a stop node (its text still undecoded).
 */
function atomText(value: unknown, raw: boolean): string | undefined {
  if (attr(value, "type") === "xhtml") return stripTags(rawText(value));
  return raw ? rawText(value) : text(value);
}

function atomItem(node: XmlNode): FeedItem | undefined {
  const enc = atomLink(node, "enclosure");
  const enclosure = enclosureOf(attr(enc, "href"), attr(enc, "length"), attr(enc, "type"));
  const link = attr(atomLink(node, "alternate"), "href");
  const guid = text(node.id) ?? enclosure?.url ?? link;
  if (!guid) return undefined;
  return compact<FeedItem>({
    guid,
    title: atomText(node.title, false),
    pubDate: parseFeedDate(text(node.published) ?? text(node.updated)),
    enclosure,
    duration: parseFeedDuration(text(node["itunes:duration"])),
    description: atomText(node.summary, true) ?? atomText(node.content, true),
    link,
  });
}

/** The model of one item element, or undefined when it cannot be addressed. */
export function readItem(kind: LocatedFeed["kind"], node: unknown): FeedItem | undefined {
  if (!isNode(node)) return undefined;
  return kind === "atom" ? atomItem(node) : rssItem(node);
}

/**
 * Finds the channel and item elements of a parsed document.
 * @throws {InvalidFeedError} when the document is not RSS or Atom.
 */
export function locateFeed(doc: XmlNode): LocatedFeed {
  const rss = firstNode(doc.rss);
  const channel = firstNode(rss?.channel);
  if (channel) return { kind: "rss", channel, items: all(channel.item) };
  const atom = firstNode(doc.feed);
  if (atom) return { kind: "atom", channel: atom, items: all(atom.entry) };
  const rdf = firstNode(doc["rdf:RDF"]);
  const rdfChannel = firstNode(rdf?.channel);
  if (rdf && rdfChannel) return { kind: "rss", channel: rdfChannel, items: all(rdf.item) };
  throw new InvalidFeedError("the document is not an RSS or Atom feed");
}

function rssMeta(c: XmlNode): Omit<Feed, "items"> {
  return {
    title: text(c.title) ?? "",
    author: text(c["itunes:author"]) ?? text(c.managingEditor) ?? text(c["dc:creator"]) ??
      text(firstNode(c["itunes:owner"])?.["itunes:name"]),
    description: rawText(c.description) ?? rawText(c["itunes:summary"]) ??
      text(c["itunes:subtitle"]),
    link: text(c.link),
    cover: attr(c["itunes:image"], "href") ?? text(firstNode(c.image)?.url) ??
      attr(c["podcast:image"], "href"),
  };
}

function atomMeta(f: XmlNode): Omit<Feed, "items"> {
  return {
    title: atomText(f.title, false) ?? "",
    author: text(firstNode(f.author)?.name),
    description: atomText(f.subtitle, false),
    link: attr(atomLink(f, "alternate"), "href"),
    cover: text(f.logo) ?? attr(f["itunes:image"], "href") ?? text(f.icon),
  };
}

/**
 * Parses a feed (bytes in their declared encoding, or text).
 * @throws {InvalidFeedError} for malformed XML, refused XML features, or a non-feed.
 * @example
 * ```ts
 * const feed = parseFeed(result.body);
 * for (const item of feed.items) console.log(item.guid, item.enclosure?.url);
 * ```
 */
export function parseFeed(input: Uint8Array | string): Feed {
  const xml = typeof input === "string" ? input : decodeXmlBytes(input).text;
  const located = locateFeed(parseXml(xml));
  const meta = located.kind === "atom" ? atomMeta(located.channel) : rssMeta(located.channel);
  const items: FeedItem[] = [];
  for (const node of located.items) {
    const item = readItem(located.kind, node);
    if (item) items.push(item);
  }
  return compact<Feed>({ ...meta, items });
}
