/**
 * Parsing of IP address spellings as a URL host may carry them. Pure: no DNS, no I/O.
 *
 * IPv4 follows the WHATWG URL host parser (itself inet_aton): one to four parts, each
 * decimal, octal (leading `0`) or hex (`0x`), the last part filling the remaining bytes,
 * so `127.1`, `0x7f.1`, `017700000001` and `2130706433` are all 127.0.0.1. Spellings the
 * URL parser would normalise are accepted here too, so a host checked here and a host
 * connected to by `fetch` can never disagree.
 */

/** An IPv4 (4 bytes) or IPv6 (16 bytes) address in network order. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
}

function parseIPv4Part(part: string): number | null {
  if (part === "") return null;
  if (/^0x/i.test(part)) {
    const hex = part.slice(2);
    if (hex === "") return 0;
    return /^[0-9a-f]+$/i.test(hex) ? parseInt(hex, 16) : null;
  }
  if (part.length > 1 && part[0] === "0") {
    return /^[0-7]+$/.test(part.slice(1)) ? parseInt(part.slice(1), 8) : null;
  }
  return /^[0-9]+$/.test(part) ? parseInt(part, 10) : null;
}

/**
 * Parses an IPv4 address in any inet_aton spelling (`127.1`, `0x7f.1`, `2130706433`).
 * Returns null when the text is not one.
 */
export function parseIPv4(text: string): IpAddress | null {
  const parts = text.split(".");
  // The URL parser drops one trailing dot ("127.0.0.1." is 127.0.0.1).
  if (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
  if (parts.length === 0 || parts.length > 4) return null;
  const nums: number[] = [];
  for (const part of parts) {
    const n = parseIPv4Part(part);
    if (n === null) return null;
    nums.push(n);
  }
  const last = nums.pop() as number;
  if (nums.some((n) => n > 255) || last >= 256 ** (4 - nums.length)) return null;
  let value = last;
  nums.forEach((n, i) => value += n * 256 ** (3 - i));
  const bytes = new Uint8Array(4);
  for (let i = 3; i >= 0; i--) {
    bytes[i] = value % 256;
    value = Math.floor(value / 256);
  }
  return { family: 4, bytes };
}

function dottedQuad(text: string): Uint8Array | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((n) => n <= 255) ? Uint8Array.from(parts) : null;
}

function hexGroups(text: string): number[] | null {
  if (text === "") return [];
  const groups = text.split(":");
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return null;
  return groups.map((g) => parseInt(g, 16));
}

/**
 * Parses an IPv6 address, bracketed or not, with an optional zone (`%eth0`, dropped) and an
 * optional dotted IPv4 tail (`::ffff:127.0.0.1`). Returns null when the text is not one.
 */
export function parseIPv6(text: string): IpAddress | null {
  let s = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  if (!s.includes(":")) return null;
  let v4: Uint8Array | null = null;
  const lastColon = s.lastIndexOf(":");
  if (s.slice(lastColon + 1).includes(".")) {
    v4 = dottedQuad(s.slice(lastColon + 1));
    if (!v4) return null;
    s = s.slice(0, lastColon + 1) + "0:0";
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const head = hexGroups(halves[0]);
  const tail = halves.length === 2 ? hexGroups(halves[1]) : [];
  if (!head || !tail) return null;
  if (halves.length === 1 ? head.length !== 8 : head.length + tail.length > 7) return null;
  const groups = [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  if (v4) bytes.set(v4, 12);
  return { family: 6, bytes };
}

/** Parses any IP spelling (IPv4 forms, IPv6 with or without brackets); null for names. */
export function parseIp(host: string): IpAddress | null {
  return host.includes(":") || host.startsWith("[") ? parseIPv6(host) : parseIPv4(host);
}

/** Canonical text: dotted quad, or RFC 5952 IPv6 (lowercase, longest zero run as `::`). */
export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) return Array.from(ip.bytes).join(".");
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((ip.bytes[i] << 8) | ip.bytes[i + 1]);
  let bestStart = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  const left = hex.slice(0, bestStart).join(":");
  const right = hex.slice(bestStart + bestLen).join(":");
  return `${left}::${right}`;
}

/** The IPv4 address held in 4 bytes of an IPv6 address (optionally XOR-ed, as Teredo does). */
export function embeddedIPv4(ip: IpAddress, offset: number, xor = 0): IpAddress {
  return { family: 4, bytes: ip.bytes.slice(offset, offset + 4).map((b) => b ^ xor) };
}
