/**
 * HTTP Basic checks for the APIs that only speak Basic (SPEC §2.5, §9): the account
 * password or an app password. A slow password hash on every request would be a denial of
 * service, so a successful check is remembered in memory for at most 10 minutes, keyed by a
 * keyed hash of the credentials (the key is random per process). A remembered check is
 * re-validated against KV on every use — the account password must be unchanged, the app
 * password must still exist — so a password change or a revocation in any process applies
 * at once. Failed checks count against the same limits as web log-ins.
 */
import type { AuthDeps } from "./deps.ts";
import { appPasswordExists, matchAppPassword, touchAppPassword } from "./app_passwords.ts";
import { releaseLoginAttempt, reserveLoginAttempt, slowDown } from "./login_limits.ts";
import { authenticate, getUserById, getUserByUsername, type User } from "./users.ts";

/** How long a successful check is remembered. */
export const BASIC_MEMO_MS = 10 * 60_000;
const MEMO_MAX = 10_000;

interface Memo {
  readonly userId: string;
  /** The app password's id, or the account password hash it matched. */
  readonly via: { appPassword: string } | { passwordHash: string };
  readonly until: number;
}

/** The outcome of a Basic check. */
export type BasicResult =
  | { readonly ok: true; readonly user: User; readonly appPasswordId?: string }
  | { readonly ok: false; readonly retryAfter?: number };

/** Parses an `Authorization: Basic …` header; null when it is not one. */
export function parseBasic(
  header: string | undefined | null,
): { username: string; password: string } | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  if (!m) return null;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(atob(m[1]), (ch) => ch.charCodeAt(0)),
    );
  } catch {
    return null;
  }
  const cut = text.indexOf(":");
  if (cut <= 0 || text.length > 2048) return null;
  return { username: text.slice(0, cut), password: text.slice(cut + 1) };
}

/** Checks Basic credentials, remembering successes (see the module comment). */
export class BasicAuthenticator {
  readonly #deps: AuthDeps;
  readonly #memo = new Map<string, Memo>();
  #key: Promise<CryptoKey> | undefined;

  constructor(deps: AuthDeps) {
    this.#deps = deps;
  }

  async #memoKey(username: string, password: string): Promise<string> {
    this.#key ??= crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const data = new TextEncoder().encode(`${username.trim().toLowerCase()}\0${password}`);
    const mac = await crypto.subtle.sign("HMAC", await this.#key, data);
    return Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  /** Checks a username and password from a client address. */
  async check(username: string, password: string, ip: string): Promise<BasicResult> {
    const deps = this.#deps;
    const key = await this.#memoKey(username, password);
    const memo = this.#memo.get(key);
    const now = deps.clock.now();
    if (memo && memo.until > now) {
      const user = await getUserById(deps, memo.userId);
      const valid = user !== null &&
        ("appPassword" in memo.via
          ? await appPasswordExists(deps, user.id, memo.via.appPassword)
          : user.password_hash === memo.via.passwordHash);
      if (valid) {
        if ("appPassword" in memo.via) {
          await touchAppPassword(deps, user!.id, memo.via.appPassword);
          return { ok: true, user: user!, appPasswordId: memo.via.appPassword };
        }
        return { ok: true, user: user! };
      }
      this.#memo.delete(key);
    } else if (memo) this.#memo.delete(key);

    const attempt = { username, ip };
    const reserved = await reserveLoginAttempt(deps, attempt);
    if (reserved.wait > 0) return { ok: false, retryAfter: reserved.wait };
    await slowDown(reserved);
    const byName = await getUserByUsername(deps, username);
    const app = byName ? await matchAppPassword(deps, byName.id, password) : null;
    if (byName && app) {
      await releaseLoginAttempt(deps, attempt);
      this.#remember(key, {
        userId: byName.id,
        via: { appPassword: app.id },
        until: now + BASIC_MEMO_MS,
      });
      await touchAppPassword(deps, byName.id, app.id);
      return { ok: true, user: byName, appPasswordId: app.id };
    }
    const user = await authenticate(deps, username, password);
    if (!user) return { ok: false };
    await releaseLoginAttempt(deps, attempt);
    this.#remember(key, {
      userId: user.id,
      via: { passwordHash: user.password_hash },
      until: now + BASIC_MEMO_MS,
    });
    return { ok: true, user };
  }

  /** Forgets every remembered check of a user (password change, revocation). */
  forgetUser(userId: string): void {
    for (const [k, m] of this.#memo) if (m.userId === userId) this.#memo.delete(k);
  }

  #remember(key: string, memo: Memo): void {
    this.#memo.delete(key);
    if (this.#memo.size >= MEMO_MAX) this.#memo.delete(this.#memo.keys().next().value!);
    this.#memo.set(key, memo);
  }
}
