/**
 * The gpodder API's own rules for URLs and times (SPEC §9), as pure functions: URLs are
 * sanitised the way mygpo does it, action timestamps are accepted in the spellings real
 * clients send and written back as `YYYY-MM-DDTHH:MM:SS` (UTC, no `Z`, no fraction).
 */

/**
 * Sanitises a podcast or episode URL the mygpo way: trim, `http://` when there is no
 * scheme, `feed:` / `itpc:` / `pcast:` become `http:`, scheme and host lower case, no user
 * info. Anything that is then not an http(s) URL becomes `""` (ignored).
 * @example
 * ```ts
 * sanitizeUrl(" itpc://Example.ORG/feed.xml ") // → "http://example.org/feed.xml"
 * ```
 */
export function sanitizeUrl(raw: unknown): string {
  if (typeof raw !== "string") return "";
  let text = raw.trim();
  if (text === "" || text.length > 2048) return "";
  text = text.replace(/^(feed|itpc|pcast|podcast):(?=https?:)/i, "")
    .replace(/^(feed|itpc|pcast|podcast):(\/\/)?/i, "http://");
  if (!/^[a-z][a-z0-9+.-]*:/i.test(text)) text = `http://${text}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "";
  if (url.hostname === "") return "";
  // Scheme and host lower case (URL does that), no user info; the rest as the client wrote
  // it, without the "/" URL adds to an empty path (mygpo keeps none).
  const hadPath = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*\//i.test(text);
  const path = url.pathname === "/" && !hadPath ? "" : url.pathname;
  return `${url.protocol}//${url.host}${path}${url.search}${url.hash}`;
}

const TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Parses an action timestamp: `YYYY-MM-DDTHH:MM:SS` (UTC), with `Z`, a fraction or an
 * offset; or a number of seconds since the epoch. Returns ms, or null when it is not one.
 */
export function parseActionTime(value: unknown): number | null {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0 || value > 253402300799) return null;
    return Math.floor(value) * 1000;
  }
  if (typeof value !== "string") return null;
  const m = TIME.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const offset = !zone || /^z$/i.test(zone)
    ? "Z"
    : zone.length === 5
    ? `${zone.slice(0, 3)}:${zone.slice(3)}`
    : zone;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${frac ?? ""}${offset}`);
  if (Number.isNaN(ms) || ms < 0) return null;
  // Date.parse rolls 2024-02-30 over: refuse what the calendar does not have.
  const day = Number(d), month = Number(mo);
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(+y, month, 0)).getUTCDate()) {
    return null;
  }
  return Math.floor(ms / 1000) * 1000;
}

/** Writes a time the way gpodder clients parse it: `YYYY-MM-DDTHH:MM:SS`, UTC. */
export function formatActionTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/** Seconds since the epoch (gpodder `timestamp` fields are integers). */
export function unixSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/** A `since` query value: a non-negative number of seconds; null when absent or invalid. */
export function parseSince(value: string | undefined): number | null | "invalid" {
  if (value === undefined || value === "") return null;
  if (!/^\d+(\.\d+)?$/.test(value.trim())) return "invalid";
  const n = Number(value);
  return Number.isFinite(n) && n <= 253402300799 ? Math.floor(n) : "invalid";
}
