/**
 * The one way feed XML is read: decoded to text, entity declarations refused, checked for
 * well-formedness, then parsed by fast-xml-parser with values kept as strings.
 *
 * Entity safety: fast-xml-parser never loads external entities (it refuses `SYSTEM` ones)
 * and skips declarations whose value holds a reference. We go further and refuse any
 * `<!ENTITY` declaration, since a podcast feed has no use for one, so billion-laughs
 * documents fail in one scan of the prolog; character references go through our own
 * one-pass decoder (`_entities.ts`), which cannot expand. A DOCTYPE without an internal
 * subset (RSS 0.91's) is accepted; its external DTD is never fetched.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { decodeEntities } from "./_entities.ts";
import { InvalidFeedError } from "./errors.ts";

/** A parsed element: attributes as `@_name`, text as `#text`, children by tag name. */
export type XmlNode = Record<string, unknown>;

/** Where an element sits in the parsed text (UTF-16 indices, end exclusive). */
export interface XmlSpan {
  readonly startIndex: number;
  readonly endIndex: number;
}

const METADATA = XMLParser.getMetaDataSymbol() as unknown as symbol;

/**
 * Elements whose content is kept raw: rich text, which may hold unescaped XHTML whose
 * order the object model would lose. Read them with {@linkcode rawText}.
 */
const STOP_NODES = [
  "..description",
  "..content:encoded",
  "..itunes:summary",
  "..summary",
  "..content",
  "..title[type=xhtml]",
  "..subtitle[type=xhtml]",
];

const entityDecoder = {
  setExternalEntities() {},
  addInputEntities(entities: Record<string, string>) {
    // Reached only if a declaration slipped past the prolog scan.
    if (Object.keys(entities).length > 0) throw new Error("entity declarations are refused");
  },
  reset() {},
  decode: decodeEntities,
  setXmlVersion() {},
};

function refuseEntityDeclarations(text: string): void {
  const doctype = text.indexOf("<!DOCTYPE");
  if (doctype < 0) return;
  const root = text.slice(doctype).search(/<[A-Za-z_:]/);
  const prolog = root < 0 ? text.slice(doctype) : text.slice(doctype, doctype + root);
  if (prolog.includes("<!ENTITY")) {
    throw new InvalidFeedError("the feed declares XML entities, which are refused");
  }
}

/**
 * Parses feed XML into nodes. With `spans`, every element node carries its position
 * (read it with {@linkcode spanOf}).
 * @throws {InvalidFeedError} for malformed XML, entity declarations, or nesting past 100.
 */
export function parseXml(text: string, options: { spans?: boolean } = {}): XmlNode {
  refuseEntityDeclarations(text);
  const valid = XMLValidator.validate(text, { allowBooleanAttributes: true });
  if (valid !== true) {
    throw new InvalidFeedError(`the feed is not well-formed XML (line ${valid.err.line})`);
  }
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "@_",
    allowBooleanAttributes: true,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    alwaysCreateTextNode: true,
    processEntities: true,
    entityDecoder,
    ignoreDeclaration: true,
    ignorePiTags: true,
    maxNestedTags: 100,
    stopNodes: STOP_NODES,
    captureMetaData: options.spans ?? false,
  });
  try {
    const doc: unknown = parser.parse(text);
    if (typeof doc !== "object" || doc === null) throw new Error("empty document");
    return doc as XmlNode;
  } catch (err) {
    throw new InvalidFeedError("the feed could not be parsed", { cause: err });
  }
}

/** The position of a node parsed with `spans: true`, if it has one. */
export function spanOf(node: unknown): XmlSpan | undefined {
  if (typeof node !== "object" || node === null) return undefined;
  const meta = (node as Record<symbol, unknown>)[METADATA] as Partial<XmlSpan> | undefined;
  return typeof meta?.startIndex === "number" && typeof meta.endIndex === "number"
    ? { startIndex: meta.startIndex, endIndex: meta.endIndex }
    : undefined;
}

/** Is this a parsed element (not text, not a list)? */
export function isNode(value: unknown): value is XmlNode {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Every occurrence of a repeatable child, as a list. */
export function all(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** The first element node of a child that may repeat. */
export function firstNode(value: unknown): XmlNode | undefined {
  const first = all(value)[0];
  return isNode(first) ? first : undefined;
}

/** The trimmed text of an element (first occurrence); undefined when empty. */
export function text(value: unknown): string | undefined {
  const first = all(value)[0];
  const raw = isNode(first) ? first["#text"] : first;
  return typeof raw === "string" && raw.trim() !== "" ? raw.trim() : undefined;
}

/**
 * The text of a stop node (see `STOP_NODES`), whose content the parser kept raw: CDATA
 * sections are taken literally, references elsewhere are decoded, inner markup is kept
 * (it is HTML to the feed's author). Undefined when empty.
 */
export function rawText(value: unknown): string | undefined {
  const raw = text(value);
  if (raw === undefined) return undefined;
  let out = "";
  for (let i = 0; i < raw.length;) {
    const open = raw.indexOf("<![CDATA[", i);
    if (open < 0) {
      out += decodeEntities(raw.slice(i));
      break;
    }
    out += decodeEntities(raw.slice(i, open));
    const close = raw.indexOf("]]>", open + 9);
    out += raw.slice(open + 9, close < 0 ? raw.length : close);
    i = close < 0 ? raw.length : close + 3;
  }
  return out.trim() === "" ? undefined : out.trim();
}

/** Elements whose tags part words (a tag of any other element just goes). */
const BLOCK_TAG = /^<\/?(p|div|br|li|h[1-6]|tr|blockquote)\b/i;

/**
 * Markup reduced to its words (Atom `xhtml` text constructs). One pass, linear in the text:
 * a `<` with no `>` after it stays text, and so does everything after the first such `<`
 * (regular expressions rescanned the rest from every unclosed `<`: 4 s for 120 KB of `<br`).
 */
export function stripTags(html: string | undefined): string | undefined {
  if (html === undefined) return undefined;
  let out = "";
  for (let i = 0; i < html.length;) {
    const open = html.indexOf("<", i);
    const close = open < 0 ? -1 : html.indexOf(">", open);
    if (close < 0) {
      out += html.slice(i);
      break;
    }
    out += html.slice(i, open);
    if (BLOCK_TAG.test(html.slice(open, Math.min(close + 1, open + 16)))) out += " ";
    i = close + 1;
  }
  const words = out.replace(/\s+/g, " ").trim();
  return words === "" ? undefined : words;
}

/** An attribute of an element (first occurrence). */
export function attr(value: unknown, name: string): string | undefined {
  const node = firstNode(value);
  const raw = node?.[`@_${name}`];
  return typeof raw === "string" && raw.trim() !== "" ? raw.trim() : undefined;
}
