/**
 * OPML 2.0 import and export. Import reads every `<outline xmlUrl=…>` at any depth with a
 * tag scanner (no tree, so deep nesting costs nothing) and refuses DOCTYPE/ENTITY
 * declarations outright: OPML never needs them, and they are how entity tricks start.
 */
import { escapeXml } from "../rss/build.ts";
import { ValidationError } from "../domain/errors.ts";

/** Most outlines read from one file. */
export const MAX_OPML_OUTLINES = 10_000;

export interface OpmlOutline {
  xmlUrl: string;
  title?: string;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** Decodes the five XML entities and numeric references; unknown ones stay as they are. */
export function decodeXmlText(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|[a-zA-Z]+);/g, (m, name: string) => {
    if (name.startsWith("#")) {
      const code = name[1] === "x" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
    }
    return ENTITIES[name] ?? m;
  });
}

const SPACE = new Set([" ", "\t", "\n", "\r"]);

/**
 * Reads the attributes of the tag whose name ends at `from`, up to its closing `>`, in one
 * pass (a quoted value may hold ">"; no regex, so a hostile file costs linear time).
 * Returns null when the tag never closes.
 */
function scanTag(text: string, from: number): { attrs: Map<string, string>; end: number } | null {
  const attrs = new Map<string, string>();
  let i = from;
  while (i < text.length) {
    const c = text[i];
    if (c === ">") return { attrs, end: i + 1 };
    if (SPACE.has(c) || c === "/") {
      i++;
      continue;
    }
    const nameStart = i;
    while (i < text.length && !SPACE.has(text[i]) && !"=>/\"'".includes(text[i])) i++;
    const name = text.slice(nameStart, i).toLowerCase();
    while (SPACE.has(text[i])) i++;
    if (text[i] !== "=") {
      if (i === nameStart) i++; // a stray quote
      continue;
    }
    i++;
    while (SPACE.has(text[i])) i++;
    const quote = text[i];
    if (quote !== '"' && quote !== "'") continue;
    const close = text.indexOf(quote, i + 1);
    if (close < 0) return null;
    if (name) attrs.set(name, decodeXmlText(text.slice(i + 1, close)));
    i = close + 1;
  }
  return null;
}

/**
 * Reads the feed outlines of an OPML document, in document order.
 * @throws {ValidationError} `invalid_opml` when it is not OPML, declares a DOCTYPE or
 * entities, or has more than MAX_OPML_OUTLINES outlines.
 */
export function parseOpml(text: string): OpmlOutline[] {
  const head = text.slice(0, 4096).replace(/^\uFEFF/, "");
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) {
    throw new ValidationError(
      "invalid_opml",
      "OPML with a DOCTYPE or entity declarations is refused.",
    );
  }
  if (!/<opml[\s>]/i.test(head) && !/<opml[\s>]/i.test(text.slice(0, 65536))) {
    throw new ValidationError("invalid_opml", "This is not an OPML document (no <opml> element).");
  }
  const out: OpmlOutline[] = [];
  // Commented-out outlines are not subscriptions.
  const body = text.replace(/<!--[\s\S]*?(-->|$)/g, "");
  const opening = /<outline(?=[\s/>])/gi;
  for (let m = opening.exec(body); m; m = opening.exec(body)) {
    const tag = scanTag(body, m.index + m[0].length);
    if (!tag) break; // an unclosed tag runs to the end of the file
    opening.lastIndex = tag.end;
    const { attrs } = tag;
    const xmlUrl = attrs.get("xmlurl");
    if (xmlUrl === undefined) continue;
    if (out.length >= MAX_OPML_OUTLINES) {
      throw new ValidationError("invalid_opml", `At most ${MAX_OPML_OUTLINES} feeds per import.`);
    }
    const title = attrs.get("title") ?? attrs.get("text");
    out.push(title ? { xmlUrl: xmlUrl.trim(), title } : { xmlUrl: xmlUrl.trim() });
  }
  return out;
}

/** An OPML 2.0 document listing the given feeds. */
export function buildOpml(
  title: string,
  feeds: readonly { url: string; title?: string }[],
  now: string,
): string {
  const lines = feeds.map((f) => {
    const t = escapeXml(f.title ?? f.url);
    return `    <outline type="rss" text="${t}" title="${t}" xmlUrl="${escapeXml(f.url)}"/>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<opml version="2.0">',
    "  <head>",
    `    <title>${escapeXml(title)}</title>`,
    `    <dateCreated>${new Date(now).toUTCString()}</dateCreated>`,
    "  </head>",
    "  <body>",
    ...lines,
    "  </body>",
    "</opml>",
    "",
  ].join("\n");
}
