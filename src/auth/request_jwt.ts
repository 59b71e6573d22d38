/**
 * Request JWT verification (SPEC §2.2 step 4). The token is decoded unverified only to learn
 * who it claims to be (iss, sub); it is then verified with the key the user approved for that
 * app and that key's algorithm alone. Headers such as jwk, jku and x5u are never used.
 */
import { decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import type { JWTPayload } from "jose";
import { DomainError } from "../domain/errors.ts";
import { type AppToken, getAppToken, getUserAndAppToken, touchAppToken } from "./app_tokens.ts";
import { authCacheFor, type AuthEntry } from "./auth_cache.ts";
import type { AuthDeps } from "./deps.ts";
import { type AppAlg, importStoredKey, isAppAlg } from "./jwt.ts";
import { findUserBySub, type User } from "./users.ts";

/** A missing, invalid or expired credential (401 `unauthorized`). */
export class Unauthorized extends DomainError {
  override name = "Unauthorized";
  constructor(message: string) {
    super("unauthorized", message);
  }
}

/** Who a verified request JWT speaks for. */
export interface VerifiedRequest {
  readonly user: User;
  readonly appToken: AppToken;
  readonly device?: { readonly id: string; readonly name?: string };
}

/** Tokens above this size are refused before any parsing. */
export const MAX_REQUEST_JWT_BYTES = 8 * 1024;
/** Longest accepted lifetime, `exp - iat`, in seconds. */
export const MAX_REQUEST_JWT_LIFETIME_S = 3600;
const CLOCK_TOLERANCE_S = 60;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const KEY_CACHE_SIZE = 1000;

/** Imported keys by (alg, key fingerprint): the PEM is parsed once, not on every request. */
const keyCache = new Map<string, Promise<CryptoKey>>();

function cachedKey(token: AppToken): Promise<CryptoKey> {
  const id = `${token.alg}:${token.key_id}`;
  let key = keyCache.get(id);
  if (key) {
    keyCache.delete(id); // re-insert: Map order doubles as least-recently-used order
  } else {
    key = importStoredKey(token.public_key, token.alg);
    key.catch(() => keyCache.delete(id));
    if (keyCache.size >= KEY_CACHE_SIZE) keyCache.delete(keyCache.keys().next().value!);
  }
  keyCache.set(id, key);
  return key;
}

/**
 * Tokens already verified, by their exact text: what was decoded from them, the key that
 * checked the signature, and the claims that cannot change. Apps reuse one request JWT for
 * many calls until it expires; the signature of the same bytes under the same key cannot
 * change, so a hit decodes nothing and checks only the time claims again. Who the token
 * speaks for (user, app token) is still looked up on every request (auth_cache.ts).
 */
interface Verified {
  readonly alg: AppAlg;
  readonly iss: string;
  readonly sub: string;
  readonly keyId: string;
  readonly payload: JWTPayload;
  readonly device: VerifiedRequest["device"];
}
const verified = new Map<string, Verified>();
const VERIFIED_MAX = 10_000;

/** The remembered verification of `jwt`, once its time claims are checked against `now`. */
function verifiedToken(jwt: string, now: number): Verified | null {
  const hit = verified.get(jwt);
  if (!hit) return null;
  const { exp, nbf } = hit.payload as { exp: number; nbf?: number };
  if (exp <= now / 1000 - CLOCK_TOLERANCE_S) {
    verified.delete(jwt);
    throw new Unauthorized("The request token has expired.");
  }
  if (typeof nbf === "number" && nbf > now / 1000 + CLOCK_TOLERANCE_S) return null;
  return hit;
}

function rememberVerified(jwt: string, v: Verified): void {
  if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value!);
  verified.set(jwt, v);
}

function joseFailure(err: unknown): Unauthorized {
  const { code, claim, reason } = err as { code?: string; claim?: string; reason?: string };
  switch (code) {
    case "ERR_JWT_EXPIRED":
      return new Unauthorized("The request token has expired.");
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return new Unauthorized("The request token's signature does not match the app's key.");
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      return new Unauthorized(
        reason === "missing"
          ? `The request token lacks the required "${claim}" claim.`
          : `The request token's "${claim}" claim is invalid.`,
      );
    case "ERR_JOSE_ALG_NOT_ALLOWED":
      return new Unauthorized("The request token's algorithm is not the app's algorithm.");
    default:
      return new Unauthorized("The request token is malformed.");
  }
}

/** The claims that do not depend on the time (checked once per token). */
function checkClaims(payload: JWTPayload, baseUrl: string): void {
  const { exp, iat, jti, aud } = payload as {
    exp: number;
    iat: number;
    jti: unknown;
    aud?: unknown;
  };
  if (exp - iat > MAX_REQUEST_JWT_LIFETIME_S) {
    throw new Unauthorized("The request token lives too long: exp - iat must be at most 1 hour.");
  }
  if (typeof jti !== "string" || jti === "" || jti.length > 256) {
    throw new Unauthorized("The request token's jti must be a non-empty string.");
  }
  if (aud !== undefined) {
    const wanted = baseUrl.replace(/\/$/, "");
    const auds = Array.isArray(aud) ? aud : [aud];
    if (!auds.some((a) => typeof a === "string" && a.replace(/\/$/, "") === wanted)) {
      throw new Unauthorized("The request token's aud is not this server's BASE_URL.");
    }
  }
}

/** The claim that depends on the time: an `iat` ahead of this server's clock. */
function checkIssuedAt(payload: JWTPayload, now: number): void {
  if ((payload.iat as number) > now / 1000 + CLOCK_TOLERANCE_S) {
    throw new Unauthorized("The request token's iat is in the future.");
  }
}

function deviceOf(payload: JWTPayload): VerifiedRequest["device"] {
  const { device_id: id, device_name: name } = payload;
  if (id === undefined || id === null) return undefined;
  if (typeof id !== "string" || id === "" || id.length > 128) {
    throw new Unauthorized("device_id must be a string of 1 to 128 characters.");
  }
  if (name !== undefined && name !== null && (typeof name !== "string" || name.length > 128)) {
    throw new Unauthorized("device_name must be a string of at most 128 characters.");
  }
  return typeof name === "string" ? { id, name } : { id };
}

/** What the unverified token claims: its algorithm, app and user. */
function claimsOf(jwt: string): { alg: AppAlg; iss: string; sub: string } {
  if (!COMPACT_JWS.test(jwt)) throw new Unauthorized("The request token is not a signed JWT.");
  let alg: unknown;
  let claimed: JWTPayload;
  try {
    alg = decodeProtectedHeader(jwt).alg;
    claimed = decodeJwt(jwt);
  } catch {
    throw new Unauthorized("The request token is malformed.");
  }
  if (!isAppAlg(alg)) {
    throw new Unauthorized("The request token must be signed with RS256, ES256 or EdDSA.");
  }
  const { iss, sub } = claimed;
  if (typeof iss !== "string" || iss === "") {
    throw new Unauthorized('The request token lacks the required "iss" claim.');
  }
  if (typeof sub !== "string" || sub === "") {
    throw new Unauthorized('The request token lacks the required "sub" claim.');
  }
  return { alg, iss, sub };
}

/** The user and app token from KV: one read when `sub` is a user id, else by username. */
async function readAuth(deps: AuthDeps, sub: string, iss: string): Promise<AuthEntry | null> {
  let { user, token } = await getUserAndAppToken(deps, sub, iss);
  if (!user) {
    user = await findUserBySub(deps, sub);
    token = user ? await getAppToken(deps, user.id, iss) : null;
  }
  if (!user || !token?.value) return null;
  return { user, token: token as Deno.KvEntry<AppToken> };
}

/**
 * Verifies a request JWT and returns the user, the app token and the device it names.
 * The app token comes from KV or from memory that a revocation clears at once in this
 * process and within a second in others (auth_cache.ts).
 * @throws {Unauthorized} saying what is wrong (malformed, unknown app, revoked, expired,
 *   bad signature, missing claim…); nothing is written for a refused token.
 */
export async function verifyRequestJwt(deps: AuthDeps, jwt: string): Promise<VerifiedRequest> {
  if (jwt.length > MAX_REQUEST_JWT_BYTES) {
    throw new Unauthorized("The request token is larger than 8 KB.");
  }
  const now = deps.clock.now();
  const known = verifiedToken(jwt, now);
  const { alg, iss, sub } = known ?? claimsOf(jwt);
  const cache = authCacheFor(deps.kv);
  const found = await cache.lookup(deps, sub, iss, () => readAuth(deps, sub, iss));
  if (!found) throw new Unauthorized("This app is not authorized for this user.");
  const appToken = found.token.value;
  if (appToken.revoked_at !== null) throw new Unauthorized("This app's access was revoked.");
  if (alg !== appToken.alg) {
    throw new Unauthorized(`This app's tokens must be signed with ${appToken.alg}.`);
  }
  const keyId = `${appToken.alg}:${appToken.key_id}`;
  const v = known?.keyId === keyId
    ? known
    : await verifySignature(deps, jwt, { appToken, iss, sub, now });
  checkIssuedAt(v.payload, now);
  const touched = await touchAppToken(deps, found.token).catch((err) => {
    deps.logger.warn("could not record app token use", { err: String(err) });
    return found.token;
  });
  if (touched === null) cache.forget(sub, iss); // written elsewhere: read it again next time
  else if (touched !== found.token) cache.update(sub, iss, touched);
  const { user } = found;
  return v.device ? { user, appToken, device: v.device } : { user, appToken };
}

/** Checks the signature with the stored key and the claims that never change; remembers it. */
async function verifySignature(
  deps: AuthDeps,
  jwt: string,
  { appToken, iss, sub, now }: { appToken: AppToken; iss: string; sub: string; now: number },
): Promise<Verified> {
  let key: CryptoKey;
  try {
    key = await cachedKey(appToken);
  } catch (err) {
    deps.logger.error("stored app key unusable", { app_id: appToken.app_id, err: String(err) });
    throw new Unauthorized("This app's stored key cannot be used; authorize the app again.");
  }
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(jwt, key, {
      algorithms: [appToken.alg],
      currentDate: new Date(now),
      clockTolerance: CLOCK_TOLERANCE_S,
      requiredClaims: ["exp", "iat", "jti", "sub", "iss"],
    }));
  } catch (err) {
    throw joseFailure(err);
  }
  checkClaims(payload, deps.config.baseUrl);
  const v: Verified = {
    alg: appToken.alg,
    iss,
    sub,
    keyId: `${appToken.alg}:${appToken.key_id}`,
    payload,
    device: deviceOf(payload),
  };
  rememberVerified(jwt, v);
  return v;
}
