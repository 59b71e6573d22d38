/**
 * The address rule of the feed fetcher (SPEC §6.1): which hosts and addresses a server-side
 * fetch may reach. Pure apart from the injected resolver.
 *
 * IPv4 is a block list (the special-purpose registry); IPv6 is an allow list (global
 * unicast 2000::/3 minus its special blocks), with the IPv4 embedded in mapped, NAT64,
 * 6to4 and Teredo addresses checked as IPv4.
 */
import { ForbiddenAddressError, UpstreamError } from "./errors.ts";
import { embeddedIPv4, formatIp, type IpAddress, parseIp } from "./ip.ts";

/** What an address is; everything but `public` is refused. */
export type AddressKind =
  | "public"
  | "unspecified"
  | "loopback"
  | "private"
  | "link_local"
  | "cgnat"
  | "documentation"
  | "benchmarking"
  | "multicast"
  | "broadcast"
  | "reserved"
  | "metadata";

/** Looks a host name up: every address it resolves to (IPv4 and IPv6 text). */
/** Resolves a host name; `null` when this runtime cannot look names up at all. */
export type Resolver = (host: string, signal?: AbortSignal) => Promise<string[] | null>;

type Block = readonly [prefix: readonly number[], bits: number, kind: AddressKind];

// First match wins, so single metadata addresses come before their enclosing ranges.
const V4_BLOCKS: readonly Block[] = [
  [[0, 0, 0, 0], 32, "unspecified"],
  [[0], 8, "reserved"],
  [[10], 8, "private"],
  [[100, 64], 10, "cgnat"],
  [[127], 8, "loopback"],
  [[169, 254, 169, 254], 32, "metadata"], // AWS, GCP, Azure, OpenStack, …
  [[169, 254], 16, "link_local"],
  [[168, 63, 129, 16], 32, "metadata"], // Azure host endpoint, a public address
  [[172, 16], 12, "private"],
  [[192, 0, 0, 192], 32, "metadata"], // Oracle Cloud
  [[192, 0, 0], 24, "reserved"],
  [[192, 0, 2], 24, "documentation"],
  [[192, 88, 99], 24, "reserved"],
  [[192, 168], 16, "private"],
  [[198, 18], 15, "benchmarking"],
  [[198, 51, 100], 24, "documentation"],
  [[203, 0, 113], 24, "documentation"],
  [[224], 4, "multicast"],
  [[255, 255, 255, 255], 32, "broadcast"],
  [[240], 4, "reserved"],
];

const V6_BLOCKS: readonly Block[] = [
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 128, "unspecified"],
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 128, "loopback"],
  [[0xfd, 0, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54], 128, "metadata"], // AWS
  [[0xfc], 7, "private"],
  [[0xfe, 0x80], 10, "link_local"],
  [[0xfe, 0xc0], 10, "private"], // deprecated site-local
  [[0xff], 8, "multicast"],
  [[0x20, 0x01, 0x0d, 0xb8], 32, "documentation"],
  [[0x3f, 0xff], 20, "documentation"],
  [[0x20, 0x01, 0, 0x02, 0, 0], 48, "benchmarking"],
  [[0x20, 0x01, 0, 0x10], 28, "reserved"], // ORCHID
  [[0x20, 0x01, 0, 0x20], 28, "reserved"], // ORCHIDv2
  [[0, 0x64, 0xff, 0x9b, 0, 0x01], 48, "private"], // local-use NAT64
  [[0x01, 0, 0, 0, 0, 0, 0, 0], 64, "reserved"], // discard-only
];

// Names that only ever mean something inside a network (RFC 6761, 6762, 8375, ICANN).
const LOCAL_SUFFIXES = [
  "localhost",
  "local",
  "internal",
  "home.arpa",
  "localdomain",
  "lan",
  "intranet",
  "corp",
  "home",
];

function inBlock(bytes: Uint8Array, prefix: readonly number[], bits: number): boolean {
  for (let i = 0; i < bits; i += 8) {
    const take = Math.min(8, bits - i);
    const mask = (0xff << (8 - take)) & 0xff;
    if ((bytes[i / 8] & mask) !== ((prefix[i / 8] ?? 0) & mask)) return false;
  }
  return true;
}

function firstBlock(bytes: Uint8Array, blocks: readonly Block[]): AddressKind | null {
  for (const [prefix, bits, kind] of blocks) if (inBlock(bytes, prefix, bits)) return kind;
  return null;
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

const ZERO_10 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/** The IPv4 address an IPv6 address stands for, if it embeds one that routing would use. */
function embedded(ip: IpAddress): IpAddress | null {
  const b = ip.bytes;
  if (startsWith(b, [...ZERO_10, 0xff, 0xff])) return embeddedIPv4(ip, 12); // mapped
  if (startsWith(b, [0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0])) return embeddedIPv4(ip, 12);
  if (startsWith(b, [0, 0x64, 0xff, 0x9b, ...ZERO_10.slice(0, 8)])) return embeddedIPv4(ip, 12);
  if (startsWith(b, [0x20, 0x02])) return embeddedIPv4(ip, 2); // 6to4
  return null;
}

/** Classifies an address by the special-purpose registries. */
export function classifyAddress(ip: IpAddress): AddressKind {
  if (ip.family === 4) return firstBlock(ip.bytes, V4_BLOCKS) ?? "public";
  const special = firstBlock(ip.bytes, V6_BLOCKS);
  if (special) return special;
  const v4 = embedded(ip);
  if (v4) return classifyAddress(v4);
  if (startsWith(ip.bytes, [0x20, 0x01, 0, 0])) {
    // Teredo carries its server in clear and its client XOR-ed; either may point inside.
    const server = classifyAddress(embeddedIPv4(ip, 4));
    return server !== "public" ? server : classifyAddress(embeddedIPv4(ip, 12, 0xff));
  }
  if (startsWith(ip.bytes, ZERO_10.concat([0, 0]))) {
    // Deprecated IPv4-compatible form (::a.b.c.d): refused whatever it embeds.
    const v4 = classifyAddress(embeddedIPv4(ip, 12));
    return v4 === "public" ? "reserved" : v4;
  }
  return (ip.bytes[0] & 0xe0) === 0x20 ? "public" : "reserved";
}

/** True when the address (any spelling, or parsed) must not be fetched; unparseable → true. */
export function isForbiddenAddress(ip: string | IpAddress): boolean {
  const parsed = typeof ip === "string" ? parseIp(ip) : ip;
  return parsed === null || classifyAddress(parsed) !== "public";
}

/** A URL host after the name rules: an IP literal to connect to, or a name to resolve. */
export type HostTarget =
  | { readonly kind: "ip"; readonly address: string }
  | { readonly kind: "name"; readonly name: string };

/**
 * Applies the host rules: IP literals in any spelling must be public; names must have a
 * dot and must not be local-only (`localhost.`, `*.internal`, `*.local`, `*.home.arpa`…).
 * @throws {ForbiddenAddressError} when the host is refused.
 */
export function checkHostname(host: string): HostTarget {
  const lower = host.toLowerCase();
  const ip = parseIp(lower);
  if (ip) {
    const kind = classifyAddress(ip);
    if (kind !== "public") throw new ForbiddenAddressError(kind);
    return { kind: "ip", address: formatIp(ip) };
  }
  const name = lower.endsWith(".") ? lower.slice(0, -1) : lower;
  const labels = name.split(".");
  const last = labels[labels.length - 1];
  // A single label resolves through search domains (`http://metadata/`), and a numeric
  // last label that is not a valid IPv4 is something URL parsers disagree on.
  if (
    labels.length < 2 || labels.some((l) => l === "") || /^(\d+|0x[0-9a-f]*)$/i.test(last) ||
    LOCAL_SUFFIXES.some((s) => name === s || name.endsWith(`.${s}`)) ||
    /[^a-z0-9._-]/.test(name)
  ) {
    throw new ForbiddenAddressError("hostname");
  }
  return { kind: "name", name };
}

/**
 * Checks a URL's host and every address it resolves to; refuses when ANY is forbidden.
 * Returns the checked addresses (canonical text), IPv4 first.
 * @throws {ForbiddenAddressError} when the host or one of its addresses is refused.
 * @throws {UpstreamError} when the name does not resolve.
 */
export async function checkUrlAddresses(
  url: URL,
  resolve: Resolver,
  signal?: AbortSignal,
): Promise<string[]> {
  const target = checkHostname(url.hostname);
  if (target.kind === "ip") return [target.address];
  let found: string[] | null;
  try {
    found = await resolve(target.name, signal);
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new UpstreamError("the feed host name does not resolve", { cause: err });
  }
  // No DNS in this runtime: the name rules above are all that can be checked.
  if (found === null) return [];
  if (found.length === 0) throw new UpstreamError("the feed host name does not resolve");
  const parsed = found.map((a) => ({ text: a, ip: parseIp(a) }));
  for (const { ip } of parsed) {
    const kind = ip ? classifyAddress(ip) : "reserved";
    if (kind !== "public") throw new ForbiddenAddressError(kind);
  }
  return parsed
    .map(({ ip }) => ip as IpAddress)
    .sort((a, b) => a.family - b.family)
    .map(formatIp);
}

/**
 * Resolves A and AAAA records with `Deno.resolveDns`; a missing record type is not an error.
 * Answers `null` where the runtime has no `Deno.resolveDns`.
 */
export async function resolveWithDns(
  host: string,
  signal?: AbortSignal,
): Promise<string[] | null> {
  // A runtime without DNS lookups (some hosted isolates): nothing more to check than the
  // name rules already applied; such platforms have no private network to protect.
  if (typeof Deno.resolveDns !== "function") return null;
  const lookups = await Promise.allSettled([
    Deno.resolveDns(host, "A", { signal }),
    Deno.resolveDns(host, "AAAA", { signal }),
  ]);
  const found = lookups.flatMap((r) => r.status === "fulfilled" ? r.value : []);
  if (found.length === 0 && lookups[0].status === "rejected") throw lookups[0].reason;
  return found;
}
