/**
 * Request JWT verification (SPEC §2.2 step 4). The token is decoded unverified only to learn
 * who it claims to be (iss, sub); it is then verified with the key the user approved for that
 * app and that key's algorithm alone. Headers such as jwk, jku and x5u are never used.
 */
import { decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import type { JWTPayload } from "jose";
import { DomainError } from "../domain/errors.ts";
import { type AppToken, getAppToken, getUserAndAppToken, touchAppToken } from "./app_tokens.ts";
import type { AuthDeps } from "./deps.ts";
import { importStoredKey, isAppAlg } from "./jwt.ts";
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
 * Signatures already checked, by the exact token text and the key that checked it. Apps
 * reuse one request JWT for many calls until it expires; the signature of the same bytes
 * under the same key cannot change, so only the time claims are checked again. The app
 * token itself is still read from KV on every request (revocation stays immediate).
 */
const verified = new Map<string, { keyId: string; payload: JWTPayload }>();
const VERIFIED_MAX = 10_000;

function verifiedPayload(jwt: string, keyId: string, now: number): JWTPayload | null {
  const hit = verified.get(jwt);
  if (!hit || hit.keyId !== keyId) return null;
  const { exp, nbf } = hit.payload as { exp: number; nbf?: number };
  if (exp <= now / 1000 - CLOCK_TOLERANCE_S) {
    verified.delete(jwt);
    throw new Unauthorized("The request token has expired.");
  }
  if (typeof nbf === "number" && nbf > now / 1000 + CLOCK_TOLERANCE_S) return null;
  return hit.payload;
}

function rememberVerified(jwt: string, keyId: string, payload: JWTPayload): void {
  if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value!);
  verified.set(jwt, { keyId, payload });
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

function checkClaims(payload: JWTPayload, now: number, baseUrl: string): void {
  const { exp, iat, jti, aud } = payload as {
    exp: number;
    iat: number;
    jti: unknown;
    aud?: unknown;
  };
  if (exp - iat > MAX_REQUEST_JWT_LIFETIME_S) {
    throw new Unauthorized("The request token lives too long: exp - iat must be at most 1 hour.");
  }
  if (iat > now / 1000 + CLOCK_TOLERANCE_S) {
    throw new Unauthorized("The request token's iat is in the future.");
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

/**
 * Verifies a request JWT and returns the user, the app token and the device it names.
 * Re-reads the app token from KV each time, so a revocation applies to the next request.
 * @throws {Unauthorized} saying what is wrong (malformed, unknown app, revoked, expired,
 *   bad signature, missing claim…); nothing is written for a refused token.
 */
export async function verifyRequestJwt(deps: AuthDeps, jwt: string): Promise<VerifiedRequest> {
  if (jwt.length > MAX_REQUEST_JWT_BYTES) {
    throw new Unauthorized("The request token is larger than 8 KB.");
  }
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
  // `sub` is usually the user id: then the user and the app token come in one read.
  let { user, token: entry } = await getUserAndAppToken(deps, sub, iss);
  if (!user) {
    user = await findUserBySub(deps, sub);
    entry = user ? await getAppToken(deps, user.id, iss) : null;
  }
  if (!user || !entry?.value) {
    throw new Unauthorized("This app is not authorized for this user.");
  }
  const appToken = entry.value;
  if (appToken.revoked_at !== null) throw new Unauthorized("This app's access was revoked.");
  if (alg !== appToken.alg) {
    throw new Unauthorized(`This app's tokens must be signed with ${appToken.alg}.`);
  }
  return await verifyWithStoredKey(deps, jwt, { user, entry: entry as Deno.KvEntry<AppToken> });
}

async function verifyWithStoredKey(
  deps: AuthDeps,
  jwt: string,
  found: { user: User; entry: Deno.KvEntry<AppToken> },
): Promise<VerifiedRequest> {
  const appToken = found.entry.value;
  const now = deps.clock.now();
  let key: CryptoKey;
  try {
    key = await cachedKey(appToken);
  } catch (err) {
    deps.logger.error("stored app key unusable", { app_id: appToken.app_id, err: String(err) });
    throw new Unauthorized("This app's stored key cannot be used; authorize the app again.");
  }
  const keyId = `${appToken.alg}:${appToken.key_id}`;
  let payload = verifiedPayload(jwt, keyId, now);
  if (!payload) {
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
    rememberVerified(jwt, keyId, payload);
  }
  checkClaims(payload, now, deps.config.baseUrl);
  const device = deviceOf(payload);
  try {
    await touchAppToken(deps, found.entry);
  } catch (err) {
    deps.logger.warn("could not record app token use", { err: String(err) });
  }
  return device ? { user: found.user, appToken, device } : { user: found.user, appToken };
}
