/** App tokens (SPEC §2.2 step 3): a user's approval of one app's public key and scopes. */
import { isoAt } from "../clock.ts";
import { secretHash } from "../store/hash.ts";
import { appTokenKey, appTokenPrefix, userKey } from "../store/keys.ts";
import { authChangedMutation, forgetAuth } from "./auth_cache.ts";
import type { AuthDeps } from "./deps.ts";
import type { AppAlg, AuthorizationRequest } from "./jwt.ts";
import { isUserId, type User } from "./users.ts";

/**
 * A stored app token: what the user approved from the authorization request (the app, its
 * PEM SPKI key and the one algorithm its request JWTs must use, the scopes), plus
 * bookkeeping. Timestamps are RFC 3339 strings.
 */
export interface AppToken extends
  Pick<
    AuthorizationRequest,
    "app_id" | "app_name" | "app_url" | "app_image" | "public_key" | "alg" | "scopes"
  > {
  readonly user_id: string;
  /** Fingerprint of (alg, public_key): names the imported key in the in-memory cache. */
  readonly key_id: string;
  readonly created_at: string;
  /** Last time the user approved (first approval or a re-authorization). */
  readonly authorized_at: string;
  readonly last_used_at: string | null;
  readonly revoked_at: string | null;
}

/** An app token as the API and the apps page show it (no key material). */
export interface AppTokenView {
  readonly app_id: string;
  readonly name: string;
  readonly url: string | null;
  readonly image: string | null;
  readonly scopes: readonly string[];
  readonly alg: AppAlg;
  readonly created_at: string;
  readonly authorized_at: string;
  readonly last_used_at: string | null;
}

/** Key-safe check of an app id from a URL or a token before it goes into a KV key. */
export function isPlausibleAppId(appId: string): boolean {
  return appId.length > 0 && appId.length <= 128;
}

/**
 * Stores the user's approval of an app. Authorizing the same app again replaces its key and
 * scopes and un-revokes it; `created_at` keeps the first approval. Remembered auth is
 * dropped at once here and within a second elsewhere (auth_cache.ts).
 */
export async function authorizeApp(
  deps: AuthDeps,
  userId: string,
  request: AuthorizationRequest,
): Promise<AppToken> {
  const key = appTokenKey(userId, request.app_id);
  const now = isoAt(deps.clock.now());
  const key_id = await secretHash(`${request.alg}\n${request.public_key}`);
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await deps.kv.get<AppToken>(key);
    const token: AppToken = {
      user_id: userId,
      app_id: request.app_id,
      app_name: request.app_name,
      app_url: request.app_url,
      app_image: request.app_image,
      public_key: request.public_key,
      alg: request.alg,
      key_id,
      scopes: [...request.scopes],
      created_at: existing.value?.created_at ?? now,
      authorized_at: now,
      last_used_at: existing.value?.last_used_at ?? null,
      revoked_at: null,
    };
    const op = deps.kv.atomic().check(existing).set(key, token).mutate(authChangedMutation());
    if ((await op.commit()).ok) {
      forgetAuth(deps.kv, userId);
      return token;
    }
  }
  throw new Error("authorizeApp: too many concurrent updates");
}

/** The app token of (user, app), revoked or not, with its versionstamp; null if none. */
export async function getAppToken(
  deps: AuthDeps,
  userId: string,
  appId: string,
): Promise<Deno.KvEntryMaybe<AppToken> | null> {
  if (!isPlausibleAppId(appId)) return null;
  const entry = await deps.kv.get<AppToken>(appTokenKey(userId, appId));
  return entry.value === null ? null : entry;
}

/**
 * The user and their token for `appId` in one KV read (the hot path of every API request).
 * Both are null when missing.
 */
export async function getUserAndAppToken(
  deps: AuthDeps,
  userId: string,
  appId: string,
): Promise<{ user: User | null; token: Deno.KvEntryMaybe<AppToken> | null }> {
  if (!isPlausibleAppId(appId) || !isUserId(userId)) return { user: null, token: null };
  const [user, token] = await deps.kv.getMany<[User, AppToken]>([
    userKey(userId),
    appTokenKey(userId, appId),
  ]);
  return { user: user.value, token: token.value === null ? null : token };
}

/** The user's apps that are currently authorized (not revoked), oldest first. */
export async function listAppTokens(deps: AuthDeps, userId: string): Promise<AppToken[]> {
  const tokens: AppToken[] = [];
  for await (const entry of deps.kv.list<AppToken>({ prefix: appTokenPrefix(userId) })) {
    if (entry.value.revoked_at === null) tokens.push(entry.value);
  }
  return tokens.sort((a, b) => a.created_at.localeCompare(b.created_at));
}

/**
 * Revokes an app at once (the next request JWT from it is refused, within a second in other
 * processes). Returns false when the user never authorized that app; revoking twice is
 * harmless.
 */
export async function revokeAppToken(
  deps: AuthDeps,
  userId: string,
  appId: string,
): Promise<boolean> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const entry = await getAppToken(deps, userId, appId);
    if (!entry?.value) return false;
    if (entry.value.revoked_at !== null) return true;
    const revoked: AppToken = { ...entry.value, revoked_at: isoAt(deps.clock.now()) };
    const res = await deps.kv.atomic().check(entry).set(entry.key, revoked)
      .mutate(authChangedMutation()).commit();
    if (res.ok) {
      forgetAuth(deps.kv, userId);
      return true;
    }
  }
  throw new Error("revokeAppToken: too many concurrent updates");
}

/**
 * Records use of an app token, at most once a minute (a busy app must not write per
 * request). Returns the entry as written, `entry` itself when nothing was due, or null
 * when someone else wrote it first (a revocation or another process's touch: skipped).
 */
export async function touchAppToken(
  deps: AuthDeps,
  entry: Deno.KvEntry<AppToken>,
): Promise<Deno.KvEntry<AppToken> | null> {
  const now = deps.clock.now();
  const last = entry.value.last_used_at ? Date.parse(entry.value.last_used_at) : -Infinity;
  if (now - last < 60_000) return entry;
  const touched: AppToken = { ...entry.value, last_used_at: isoAt(now) };
  const res = await deps.kv.atomic().check(entry).set(entry.key, touched).commit();
  return res.ok ? { key: entry.key, value: touched, versionstamp: res.versionstamp } : null;
}

/** The public view of an app token. */
export function appTokenView(token: AppToken): AppTokenView {
  return {
    app_id: token.app_id,
    name: token.app_name,
    url: token.app_url,
    image: token.app_image,
    scopes: token.scopes,
    alg: token.alg,
    created_at: token.created_at,
    authorized_at: token.authorized_at,
    last_used_at: token.last_used_at,
  };
}
