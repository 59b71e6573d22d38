/**
 * App public keys and the authorization JWT of SPEC §2.2 (steps 1–2): the app proves it
 * holds the private key matching the public key it asks the user to trust.
 */
import {
  decodeJwt,
  decodeProtectedHeader,
  exportSPKI,
  importJWK,
  importSPKI,
  jwtVerify,
} from "jose";
import type { JWK } from "jose";
import { ValidationError } from "../domain/errors.ts";
import { validateRequestedScopes } from "../domain/scopes.ts";

/** The only signature algorithms apps may use; each is bound to one key type. */
export type AppAlg = "RS256" | "ES256" | "EdDSA";
/** {@link AppAlg} as a list, for jose's `algorithms` option and for messages. */
export const APP_ALGS: readonly AppAlg[] = ["RS256", "ES256", "EdDSA"];

/** What a verified authorization JWT asks for. */
export interface AuthorizationRequest {
  readonly app_id: string;
  readonly app_name: string;
  readonly app_url: string | null;
  readonly app_image: string | null;
  /** The app's public key, normalized to PEM SPKI. */
  readonly public_key: string;
  readonly alg: AppAlg;
  readonly scopes: readonly string[];
  readonly redirect_uri: string | null;
  readonly state: string | null;
}

/** Authorization JWTs carry a public key, so they may be larger than request JWTs. */
const MAX_AUTHORIZATION_JWT = 16 * 1024;
const MAX_PEM = 8 * 1024;
/** Visible ASCII: app ids end up in KV keys and URL paths. */
const APP_ID = /^[\x21-\x7e]{1,128}$/;
const BLOCKED_SCHEMES = new Set([
  "http:",
  "javascript:",
  "data:",
  "vbscript:",
  "file:",
  "blob:",
  "about:",
  "filesystem:",
  "ftp:",
  "ws:",
  "wss:",
  "view-source:",
]);

function invalid(message: string, details?: Record<string, unknown>): ValidationError {
  return new ValidationError("invalid_authorization", message, details);
}

/** Whether `alg` names one of the accepted algorithms. */
export function isAppAlg(alg: unknown): alg is AppAlg {
  return typeof alg === "string" && (APP_ALGS as readonly string[]).includes(alg);
}

/**
 * Imports a stored PEM SPKI key for `alg` (fails when the key type does not match `alg`).
 * @throws {Error} from WebCrypto/jose when the key cannot be used with `alg`.
 */
export async function importStoredKey(pem: string, alg: AppAlg): Promise<CryptoKey> {
  return await importSPKI(pem, alg);
}

/**
 * Imports the `public_key` of an authorization JWT (PEM SPKI string or public JWK) for
 * `alg`, checks the key type matches the algorithm, and returns it normalized to PEM.
 * @throws {ValidationError} `invalid_authorization` naming what is wrong with the key.
 */
export async function importAppPublicKey(
  publicKey: unknown,
  alg: AppAlg,
): Promise<{ key: CryptoKey; pem: string }> {
  let key: CryptoKey | Uint8Array;
  try {
    if (typeof publicKey === "string") {
      if (publicKey.length > MAX_PEM || !publicKey.includes("-----BEGIN PUBLIC KEY-----")) {
        throw invalid("app.public_key must be a PEM SPKI public key (BEGIN PUBLIC KEY)");
      }
      key = await importSPKI(publicKey.trim(), alg, { extractable: true });
    } else if (publicKey !== null && typeof publicKey === "object" && !Array.isArray(publicKey)) {
      const jwk = publicKey as JWK;
      if ("d" in jwk || "p" in jwk || "k" in jwk) {
        throw invalid("app.public_key must be a public key; it contains private key material");
      }
      key = await importJWK({ ...jwk, alg: undefined }, alg, { extractable: true });
    } else {
      throw invalid("app.public_key is required (a PEM SPKI string or a JWK object)");
    }
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    throw invalid(`app.public_key is not a usable ${alg} public key`);
  }
  if (!(key instanceof CryptoKey) || key.type !== "public") {
    throw invalid("app.public_key must be an RSA, P-256 or Ed25519 public key");
  }
  const bits = (key.algorithm as RsaHashedKeyAlgorithm).modulusLength;
  if (alg === "RS256" && (bits < 2048 || bits > 8192)) {
    throw invalid("RSA keys must have 2048 to 8192 bits");
  }
  return { key, pem: await exportSPKI(key) };
}

/** Whether a redirect_uri is allowed: https, or an app's custom scheme (never http, js, data…). */
export function isAllowedRedirectUri(uri: string): boolean {
  if (uri.length > 2048 || /[\s\p{Cc}]/u.test(uri)) return false;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return false;
  }
  if (BLOCKED_SCHEMES.has(url.protocol)) return false;
  if (url.protocol === "https:") return url.hostname !== "" && url.username === "";
  return /^[a-z][a-z0-9+.-]*:$/.test(url.protocol);
}

function optionalHttpUrl(value: unknown, field: string): string | null {
  if (value === undefined || value === null || value === "") return null;
  if (typeof value === "string" && value.length <= 2048) {
    try {
      const url = new URL(value);
      if (url.protocol === "https:" || url.protocol === "http:") return url.href;
    } catch {
      // reported below
    }
  }
  throw invalid(`${field} must be an http(s) URL`);
}

function optionalString(value: unknown, field: string, max: number): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string" || value.length > max) {
    throw invalid(`${field} must be a string of at most ${max} characters`);
  }
  return value;
}

/**
 * Verifies an authorization JWT with the public key it carries and checks its claims.
 * @throws {ValidationError} `invalid_authorization` (bad token, key or claims) or
 *   `invalid_scope` (unknown scopes), with a message saying what is wrong.
 */
export async function verifyAuthorizationJwt(
  token: string,
  options: { now: number },
): Promise<AuthorizationRequest> {
  if (token.length > MAX_AUTHORIZATION_JWT) throw invalid("The authorization token is too large");
  let alg: unknown;
  let app: unknown;
  try {
    alg = decodeProtectedHeader(token).alg;
    app = decodeJwt(token).app;
  } catch {
    throw invalid("The authorization token is not a valid JWT");
  }
  if (!isAppAlg(alg)) {
    throw invalid("The authorization token must be signed with RS256, ES256 or EdDSA");
  }
  if (app === null || typeof app !== "object" || Array.isArray(app)) {
    throw invalid("The authorization token has no app claim");
  }
  const claims = app as Record<string, unknown>;
  const { key, pem } = await importAppPublicKey(claims.public_key, alg);
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: [alg],
      currentDate: new Date(options.now),
      clockTolerance: 60,
      requiredClaims: ["iss", "iat", "exp"],
    }));
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ERR_JWT_EXPIRED") throw invalid("The authorization token has expired");
    if (code === "ERR_JWS_SIGNATURE_VERIFICATION_FAILED") {
      throw invalid("The authorization token's signature does not match app.public_key");
    }
    throw invalid(`The authorization token is invalid: ${(err as Error).message}`);
  }
  if (typeof payload.iss !== "string" || !APP_ID.test(payload.iss)) {
    throw invalid("iss (the app id) must be 1 to 128 visible ASCII characters");
  }
  const name = typeof claims.name === "string" ? claims.name.trim() : "";
  if (name === "" || name.length > 100) throw invalid("app.name must be 1 to 100 characters");
  const redirect = optionalString(payload.redirect_uri, "redirect_uri", 2048);
  if (redirect !== null && !isAllowedRedirectUri(redirect)) {
    throw invalid("redirect_uri must be an https URL or an app's custom scheme (never http)");
  }
  return {
    app_id: payload.iss,
    app_name: name,
    app_url: optionalHttpUrl(claims.url, "app.url"),
    app_image: optionalHttpUrl(claims.image, "app.image"),
    public_key: pem,
    alg,
    scopes: validateRequestedScopes(payload.scopes),
    redirect_uri: redirect,
    state: optionalString(payload.state, "state", 1024),
  };
}
