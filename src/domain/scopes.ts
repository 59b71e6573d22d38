/**
 * Scopes an app can be granted (SPEC §2.3) and how a granted scope covers a required one.
 * Pure: no I/O, no time.
 */
import { ValidationError } from "./errors.ts";

/** Every concrete scope of SPEC §2.3, in the order the authorize page lists them. */
export const KNOWN_SCOPES: readonly string[] = [
  "*",
  "*.read",
  "*.write",
  "user",
  "user.read",
  "user.write",
  "user.subscriptions",
  "user.subscriptions.read",
  "user.subscriptions.write",
  "user.plays",
  "user.plays.read",
  "user.plays.write",
  "user.playlists",
  "user.playlists.read",
  "user.playlists.write",
  "user.privacy",
  "user.privacy.read",
  "user.privacy.write",
  "user.sync",
];

const KNOWN = new Set(KNOWN_SCOPES);
const ACTIONS = new Set(["read", "write"]);
/** What `user.sync` lets an app do on any endpoint (SPEC §2.3). */
const SYNC_COVERS = new Set([
  "user.subscriptions",
  "user.subscriptions.read",
  "user.subscriptions.write",
  "user.plays",
  "user.plays.read",
  "user.plays.write",
  "user.playlists",
  "user.playlists.read",
  "user.playlists.write",
]);
const AREA_WORDS: Readonly<Record<string, string>> = {
  subscriptions: "subscriptions",
  plays: "listening history",
  playlists: "playlists",
  privacy: "privacy settings",
  sync: "synced data",
};
const MAX_SCOPES = 32;
const MAX_SCOPE_LENGTH = 64;
const SEGMENT = /^(\*|[a-z][a-z_]*)$/;

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  "*": "Full access to your account: read and change everything",
  "*.read": "Read everything in your account",
  "*.write": "Change everything in your account",
  "user": "Read and change your account and all its data",
  "user.read": "Read your account and all its data",
  "user.write": "Change your account and all its data",
  "user.subscriptions": "See and change the podcasts you subscribe to",
  "user.subscriptions.read": "See the podcasts you subscribe to",
  "user.subscriptions.write": "Subscribe to and unsubscribe from podcasts",
  "user.plays": "See and change what you have listened to and where you stopped",
  "user.plays.read": "See what you have listened to and where you stopped",
  "user.plays.write": "Record what you listen to and where you stopped",
  "user.playlists": "See and change your playlists",
  "user.playlists.read": "See your playlists",
  "user.playlists.write": "Create, change and delete your playlists",
  "user.privacy": "See and change your privacy settings",
  "user.privacy.read": "See your privacy settings",
  "user.privacy.write": "Change your privacy settings and delete your history",
  "user.sync": "Keep your subscriptions, listening progress and playlists in sync with this app",
};

/** `p` covers `r` as a segment prefix; `*` matches one segment, a lone `*` any non-empty run. */
function prefixCovers(p: readonly string[], r: readonly string[]): boolean {
  if (p.length === 1 && p[0] === "*") return r.length > 0;
  if (p.length > r.length) return false;
  return p.every((seg, i) => seg === "*" || seg === r[i]);
}

/**
 * Whether one granted scope covers one required scope: equal, a parent (`user.plays` covers
 * `user.plays.read`), or by wildcard (`*`, `*.read`, `user.*`, `user.*.read`). A grant ending
 * in `read`/`write` only covers required scopes ending in the same action, so `*.read` never
 * covers a write and `user.read` covers every `user.<x>.read`.
 * @example scopeCovers("user.*", "user.plays.read") // true
 */
export function scopeCovers(granted: string, required: string): boolean {
  if (granted === required || granted === "*") return true;
  const g = granted.split(".");
  const r = required.split(".");
  const action = g[g.length - 1];
  if (g.length >= 2 && ACTIONS.has(action)) {
    if (r[r.length - 1] !== action) return false;
    return prefixCovers(g.slice(0, -1), r.slice(0, -1));
  }
  return prefixCovers(g, r);
}

/**
 * Whether a set of granted scopes allows `required`. `user.sync` also covers read/write of
 * subscriptions, plays and playlists anywhere, and every `user.*` scope on the sync endpoint.
 */
export function hasScope(
  granted: readonly string[],
  required: string,
  options: { endpoint?: "sync" } = {},
): boolean {
  if (granted.some((g) => scopeCovers(g, required))) return true;
  if (!granted.some((g) => scopeCovers(g, "user.sync"))) return false;
  if (SYNC_COVERS.has(required)) return true;
  return options.endpoint === "sync" && prefixCovers(["user", "*"], required.split("."));
}

/**
 * Whether a scope may be requested: one of {@link KNOWN_SCOPES}, or a wildcard pattern
 * (`user.*`, `user.*.read`…) that covers at least one of them.
 */
export function isKnownScope(scope: string): boolean {
  if (KNOWN.has(scope)) return true;
  if (scope.length > MAX_SCOPE_LENGTH || !scope.includes("*")) return false;
  const segments = scope.split(".");
  if (segments.length > 4 || !segments.every((s) => SEGMENT.test(s))) return false;
  return KNOWN_SCOPES.some((known) => !known.includes("*") && scopeCovers(scope, known));
}

/** Plain words for a scope, for the authorize page. */
export function describeScope(scope: string): string {
  const known = DESCRIPTIONS[scope];
  if (known) return known;
  const covered = KNOWN_SCOPES.filter((k) => !k.includes("*") && scopeCovers(scope, k));
  const reads = covered.every((k) => k.endsWith(".read"));
  const writes = covered.every((k) => k.endsWith(".write"));
  if (scope === "user.*") return DESCRIPTIONS["user"];
  const areas = covered
    .map((k) => k.split(".")[1])
    .filter((area, i, all) => area && !ACTIONS.has(area) && all.indexOf(area) === i)
    .map((area) => AREA_WORDS[area] ?? area);
  const what = areas.length > 0 ? `your ${areas.join(", ")}` : "your account";
  if (reads) return `Read ${what}`;
  if (writes) return `Change ${what}`;
  return `Read and change ${what}`;
}

/**
 * Checks the `scopes` claim of an authorization JWT and returns it without duplicates.
 * @throws {ValidationError} `invalid_scope` when it is not a non-empty list of known scopes;
 *   the message names every unknown scope.
 */
export function validateRequestedScopes(scopes: unknown): string[] {
  if (!Array.isArray(scopes) || scopes.length === 0) {
    throw new ValidationError("invalid_scope", "scopes must be a non-empty list of scope names");
  }
  if (scopes.length > MAX_SCOPES) {
    throw new ValidationError("invalid_scope", `At most ${MAX_SCOPES} scopes may be requested`);
  }
  const bad = scopes.filter((s) => typeof s !== "string" || !isKnownScope(s));
  if (bad.length > 0) {
    const names = bad.map((s) =>
      typeof s === "string" ? `"${s.slice(0, MAX_SCOPE_LENGTH)}"` : "a non-string value"
    );
    throw new ValidationError(
      "invalid_scope",
      `Unknown scope${bad.length > 1 ? "s" : ""}: ${names.join(", ")}. Known scopes: ${
        KNOWN_SCOPES.join(", ")
      } (and wildcards such as user.* or user.*.read).`,
      { unknown_scopes: bad.map((s) => String(s).slice(0, MAX_SCOPE_LENGTH)) },
    );
  }
  return [...new Set(scopes as string[])];
}
