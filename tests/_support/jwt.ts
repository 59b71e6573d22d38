/** App key pairs and the two kinds of JWT an app signs (SPEC §2.2), for tests. */
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from "jose";
import type { JWK, JWTPayload } from "jose";

/** The algorithms apps may use. */
export type TestAlg = "RS256" | "ES256" | "EdDSA";

/** An app's key pair with its public key in both accepted forms. */
export interface AppKeys {
  readonly alg: TestAlg;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicPem: string;
  readonly publicJwk: JWK;
}

/** Generates a key pair for `alg` (RSA keys are 2048 bits). */
export async function generateAppKeys(alg: TestAlg): Promise<AppKeys> {
  const { privateKey, publicKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === "RS256" ? { modulusLength: 2048 } : {}),
  });
  return {
    alg,
    privateKey,
    publicKey,
    publicPem: await exportSPKI(publicKey),
    publicJwk: await exportJWK(publicKey),
  };
}

/** Options of an authorization JWT; `claims` overrides or adds raw claims. */
export interface AuthorizationJwtOptions {
  readonly appId: string;
  readonly nowMs: number;
  readonly name?: string;
  readonly url?: string;
  readonly image?: string;
  readonly scopes?: readonly string[];
  readonly redirectUri?: string;
  readonly state?: string;
  readonly ttlS?: number;
  /** Send the public key as a JWK object instead of PEM. */
  readonly asJwk?: boolean;
  readonly claims?: Record<string, unknown>;
}

/** Builds an authorization JWT signed by the app's private key. */
export async function authorizationJwt(keys: AppKeys, o: AuthorizationJwtOptions): Promise<string> {
  const iat = Math.floor(o.nowMs / 1000);
  const payload: JWTPayload = {
    iss: o.appId,
    iat,
    exp: iat + (o.ttlS ?? 600),
    app: {
      name: o.name ?? `App ${o.appId}`,
      ...(o.url ? { url: o.url } : {}),
      ...(o.image ? { image: o.image } : {}),
      public_key: o.asJwk ? keys.publicJwk : keys.publicPem,
    },
    scopes: o.scopes ?? ["user.sync"],
    ...(o.redirectUri ? { redirect_uri: o.redirectUri } : {}),
    ...(o.state ? { state: o.state } : {}),
    ...o.claims,
  };
  return await new SignJWT(payload).setProtectedHeader({ alg: keys.alg }).sign(keys.privateKey);
}

/** Options of a request JWT; a claim set to `undefined` in `claims` is left out. */
export interface RequestJwtOptions {
  readonly appId: string;
  readonly sub: string;
  readonly nowMs: number;
  readonly ttlS?: number;
  readonly deviceId?: string;
  readonly deviceName?: string;
  readonly claims?: Record<string, unknown>;
  readonly header?: Record<string, unknown>;
}

/** Builds a request JWT (the Bearer token of an API call) signed by `keys`. */
export async function requestJwt(keys: AppKeys, o: RequestJwtOptions): Promise<string> {
  const iat = Math.floor(o.nowMs / 1000);
  const payload: Record<string, unknown> = {
    iss: o.appId,
    sub: o.sub,
    jti: crypto.randomUUID(),
    iat,
    exp: iat + (o.ttlS ?? 300),
    ...(o.deviceId ? { device_id: o.deviceId } : {}),
    ...(o.deviceName ? { device_name: o.deviceName } : {}),
    ...o.claims,
  };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  return await new SignJWT(payload as JWTPayload)
    .setProtectedHeader({ ...o.header, alg: keys.alg })
    .sign(keys.privateKey);
}

/** base64url of a string or bytes, for hand-made tokens. */
export function b64url(data: string | Uint8Array): string {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** An unsigned JWT (`alg: none`) with the given payload. */
export function unsignedJwt(payload: Record<string, unknown>): string {
  return `${b64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${
    b64url(JSON.stringify(payload))
  }.`;
}

/** An HS256 JWT whose HMAC secret is `secret` (e.g. the app's public PEM bytes). */
export async function hs256Jwt(payload: Record<string, unknown>, secret: string): Promise<string> {
  const input = `${b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${
    b64url(JSON.stringify(payload))
  }`;
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const sig = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(input));
  return `${input}.${b64url(new Uint8Array(sig))}`;
}
