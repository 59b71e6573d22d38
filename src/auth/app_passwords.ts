/**
 * App passwords (SPEC §2.5): random passwords for apps that only speak HTTP Basic (gpodder
 * clients, Nextcloud mode). Only a SHA-256 hash is stored (they are random, 256 bits: a
 * slow hash adds nothing); each is revocable at once and notes when it was last used.
 */
import { isoAt } from "../clock.ts";
import { RuleViolation, ValidationError } from "../domain/errors.ts";
import { secretHash } from "../store/hash.ts";
import { appPasswordKey, appPasswordPrefix } from "../store/keys.ts";
import type { AuthDeps } from "./deps.ts";
import { randomToken, sameSecret } from "./random.ts";

/** What `["apppw", user, id]` holds. */
export interface AppPasswordRecord {
  readonly id: string;
  readonly name: string;
  readonly hash: string;
  readonly created_at: string;
  readonly last_used_at: string | null;
}

/** An app password as listed (never the password or its hash). */
export type AppPasswordView = Omit<AppPasswordRecord, "hash">;

/** A new app password: the only time the password itself is shown. */
export interface CreatedAppPassword extends AppPasswordView {
  readonly password: string;
}

/** Most app passwords one user may have (Basic checks compare against each). */
export const MAX_APP_PASSWORDS = 50;
const NAME_MAX = 100;
/** `last_used_at` moves at most this often. */
const TOUCH_MS = 60_000;

function view(r: AppPasswordRecord): AppPasswordView {
  const { hash: _hash, ...rest } = r;
  return rest;
}

/**
 * Creates an app password named `name`.
 * @throws {ValidationError} for an empty or too long name.
 * @throws {RuleViolation} `conflict` when the name is taken or the user has too many.
 */
export async function createAppPassword(
  deps: AuthDeps,
  userId: string,
  name: string,
  newId: () => string,
): Promise<CreatedAppPassword> {
  const clean = name.trim();
  if (clean === "" || clean.length > NAME_MAX) {
    throw new ValidationError(
      "validation_failed",
      clean === "" ? "The app password needs a name." : `Use at most ${NAME_MAX} characters.`,
      { name: clean === "" ? "required" : `at most ${NAME_MAX} characters` },
    );
  }
  const existing = await listAppPasswords(deps, userId);
  if (existing.length >= MAX_APP_PASSWORDS) {
    throw new RuleViolation("conflict", `At most ${MAX_APP_PASSWORDS} app passwords; revoke one.`);
  }
  if (existing.some((p) => p.name.toLowerCase() === clean.toLowerCase())) {
    throw new RuleViolation("conflict", "An app password with this name exists.", {
      name: "already used",
    });
  }
  const password = randomToken();
  const record: AppPasswordRecord = {
    id: newId(),
    name: clean,
    hash: await secretHash(password),
    created_at: isoAt(deps.clock.now()),
    last_used_at: null,
  };
  const key = appPasswordKey(userId, record.id);
  const res = await deps.kv.atomic().check({ key, versionstamp: null }).set(key, record).commit();
  if (!res.ok) throw new RuleViolation("conflict", "Try again.");
  return { ...view(record), password };
}

/** The user's app passwords, oldest first. */
export async function listAppPasswords(
  deps: AuthDeps,
  userId: string,
): Promise<AppPasswordView[]> {
  const out: AppPasswordView[] = [];
  for await (const e of deps.kv.list<AppPasswordRecord>({ prefix: appPasswordPrefix(userId) })) {
    out.push(view(e.value));
  }
  return out.sort((a, b) => a.created_at.localeCompare(b.created_at));
}

/** Revokes one app password at once; false when there is no such id. */
export async function revokeAppPassword(
  deps: AuthDeps,
  userId: string,
  id: string,
): Promise<boolean> {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) return false;
  const entry = await deps.kv.get(appPasswordKey(userId, id));
  if (!entry.value) return false;
  await deps.kv.delete(entry.key);
  return true;
}

/** The app password of this user that `password` is, or null (compared in constant time). */
export async function matchAppPassword(
  deps: AuthDeps,
  userId: string,
  password: string,
): Promise<AppPasswordRecord | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(password)) return null;
  const hash = await secretHash(password);
  let found: AppPasswordRecord | null = null;
  for await (const e of deps.kv.list<AppPasswordRecord>({ prefix: appPasswordPrefix(userId) })) {
    if (sameSecret(e.value.hash, hash)) found = e.value;
  }
  return found;
}

/** True while the app password still exists (a memoised Basic check re-asks this). */
export async function appPasswordExists(
  deps: AuthDeps,
  userId: string,
  id: string,
): Promise<boolean> {
  return (await deps.kv.get(appPasswordKey(userId, id))).value !== null;
}

/** Notes a use, at most once a minute (a revocation racing with it wins). */
export async function touchAppPassword(deps: AuthDeps, userId: string, id: string): Promise<void> {
  const entry = await deps.kv.get<AppPasswordRecord>(appPasswordKey(userId, id));
  const now = deps.clock.now();
  const last = entry.value?.last_used_at;
  if (!entry.value || (last && now - Date.parse(last) < TOUCH_MS)) return;
  await deps.kv.atomic().check(entry).set(entry.key, { ...entry.value, last_used_at: isoAt(now) })
    .commit();
}
