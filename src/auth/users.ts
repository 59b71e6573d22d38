/** Users as system data in KV (SPEC §2.1): creation, look-up and password checks. */
import { isoAt } from "../clock.ts";
import { NotFoundError, RuleViolation, ValidationError } from "../domain/errors.ts";
import { firstUserKey, userKey, usernameKey } from "../store/keys.ts";
import { authChangedMutation, forgetAuth } from "./auth_cache.ts";
import type { AuthDeps } from "./deps.ts";
import {
  DEFAULT_PASSWORD_ITERATIONS,
  hashPassword,
  needsRehash,
  verifyPassword,
} from "./passwords.ts";

/** A stored user. `username` is always lower case. */
export interface User {
  readonly id: string;
  readonly username: string;
  readonly email: string | null;
  readonly password_hash: string;
  readonly role: "user" | "admin";
  readonly created_at: string;
}

/** What a person fills in to register. */
export interface NewUser {
  readonly username: string;
  readonly password: string;
  readonly email?: string | null;
}

const USERNAME = /^[a-z0-9_.-]{3,32}$/;
const USER_ID = /^[0-9a-f-]{36}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Minimum password length; the maximum only bounds the work one request can ask for. */
export const PASSWORD_MIN = 8;
const PASSWORD_MAX = 1024;
const CREATE_ATTEMPTS = 5;

/** Lower-cases and trims a username as typed; usernames are case-insensitive. */
export function normalizeUsername(name: string): string {
  return name.trim().toLowerCase();
}

/** Whether a (normalized) username follows the rules: 3–32 chars of `[a-z0-9_.-]`. */
export function isValidUsername(name: string): boolean {
  return USERNAME.test(name);
}

/** What is wrong with a new password, or null when it follows the rules. */
export function passwordProblem(password: string): string | null {
  if (password.length < PASSWORD_MIN) return `Use at least ${PASSWORD_MIN} characters.`;
  if (password.length > PASSWORD_MAX) return `Use at most ${PASSWORD_MAX} characters.`;
  return null;
}

/** Per-field problems with a registration, empty when it is acceptable. */
export function checkNewUser(input: NewUser): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!isValidUsername(normalizeUsername(input.username))) {
    errors.username = "Use 3 to 32 characters: letters, digits, '_', '.' or '-'.";
  }
  const password = passwordProblem(input.password);
  if (password) errors.password = password;
  const email = input.email?.trim() ?? "";
  if (email !== "" && (email.length > 254 || !EMAIL.test(email))) {
    errors.email = "Enter a valid email address, or leave it empty.";
  }
  return errors;
}

/**
 * Creates a user. The first user of an empty instance becomes `admin`: the claim is an
 * atomic check on a marker key, so two simultaneous first registrations cannot both win.
 * @throws {ValidationError} `validation_failed` with per-field details.
 * @throws {RuleViolation} `conflict` when the username is taken; `forbidden` when
 * `onlyFirst` is set (closed registration) and the instance already has its admin.
 */
export async function createUser(
  deps: AuthDeps,
  input: NewUser,
  options: { onlyFirst?: boolean } = {},
): Promise<User> {
  const errors = checkNewUser(input);
  if (Object.keys(errors).length > 0) {
    throw new ValidationError("validation_failed", "The registration is not valid.", errors);
  }
  const username = normalizeUsername(input.username);
  const email = input.email?.trim() || null;
  const password_hash = await hashPassword(input.password, {
    iterations: deps.passwordIterations,
  });
  const id = crypto.randomUUID();
  for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
    const [first, taken] = await deps.kv.getMany([firstUserKey(), usernameKey(username)]);
    if (taken.value !== null) throw new RuleViolation("conflict", "That username is taken.");
    const role = first.value === null ? "admin" : "user";
    if (options.onlyFirst && role !== "admin") {
      throw new RuleViolation("forbidden", "Registration is closed on this server.");
    }
    const user: User = {
      id,
      username,
      email,
      password_hash,
      role,
      created_at: isoAt(deps.clock.now()),
    };
    const op = deps.kv.atomic()
      .check({ key: usernameKey(username), versionstamp: null })
      .check(first)
      .set(userKey(id), user)
      .set(usernameKey(username), id);
    if (role === "admin") op.set(firstUserKey(), { user_id: id, at: user.created_at });
    if ((await op.commit()).ok) return user;
  }
  throw new RuleViolation("conflict", "Could not create the user; try again.");
}

/** True once the instance has its first user (its admin). */
export async function hasAdmin(deps: AuthDeps): Promise<boolean> {
  return (await deps.kv.get(firstUserKey())).value !== null;
}

/** True when the string has the shape of a user id (so it may go into a key). */
export function isUserId(id: string): boolean {
  return USER_ID.test(id);
}

/** The user with this id, or null (also for strings that cannot be an id). */
export async function getUserById(deps: AuthDeps, id: string): Promise<User | null> {
  if (!USER_ID.test(id)) return null;
  return (await deps.kv.get<User>(userKey(id))).value;
}

/** The user with this username (any case), or null. */
export async function getUserByUsername(deps: AuthDeps, name: string): Promise<User | null> {
  const username = normalizeUsername(name);
  if (!isValidUsername(username)) return null;
  const id = (await deps.kv.get<string>(usernameKey(username))).value;
  return id === null ? null : await getUserById(deps, id);
}

/** The user a request JWT's `sub` names: a user id or a username. */
export async function findUserBySub(deps: AuthDeps, sub: string): Promise<User | null> {
  return await getUserById(deps, sub) ?? await getUserByUsername(deps, sub);
}

const dummyHashes = new Map<number, Promise<string>>();

/** A hash to verify against when the user does not exist, so timing does not tell. */
function dummyHash(iterations: number): Promise<string> {
  let hash = dummyHashes.get(iterations);
  if (!hash) {
    hash = hashPassword("not a real password", { iterations });
    dummyHashes.set(iterations, hash);
  }
  return hash;
}

/**
 * The user whose username and password match, or null. Takes as long for an unknown user
 * as for a wrong password, and upgrades a hash made with fewer iterations than configured.
 */
export async function authenticate(
  deps: AuthDeps,
  username: string,
  password: string,
): Promise<User | null> {
  const iterations = deps.passwordIterations;
  const user = password.length <= PASSWORD_MAX ? await getUserByUsername(deps, username) : null;
  if (!user) {
    await verifyPassword(
      password.slice(0, PASSWORD_MAX),
      await dummyHash(iterations ?? DEFAULT_PASSWORD_ITERATIONS),
    );
    return null;
  }
  if (!await verifyPassword(password, user.password_hash)) return null;
  if (needsRehash(user.password_hash, { iterations })) {
    const upgraded = { ...user, password_hash: await hashPassword(password, { iterations }) };
    const current = await deps.kv.get<User>(userKey(user.id));
    // Best effort: a concurrent change (new password, deletion) wins over the upgrade.
    if (current.value?.password_hash === user.password_hash) {
      await deps.kv.atomic().check(current).set(userKey(user.id), upgraded).commit();
    }
    return upgraded;
  }
  return user;
}

/**
 * Whether `password` is the user's account password (never an app password). Bounded
 * like `authenticate`, so an oversized guess costs no hashing.
 */
export async function isAccountPassword(user: User, password: string): Promise<boolean> {
  if (password.length > PASSWORD_MAX) return false;
  return await verifyPassword(password, user.password_hash);
}

/** What a person fills in to change their password. */
export interface PasswordChange {
  readonly current: string;
  readonly next: string;
  /** The new password typed a second time. */
  readonly confirmation: string;
}

/**
 * Replaces a user's password after checking the current one and the rules of a new one.
 * Only the stored hash changes; ending sessions is the caller's (see password_change.ts).
 * @throws {ValidationError} `validation_failed` with per-field details (`current`, `next`,
 * `confirmation`).
 * @throws {NotFoundError} `not_found` when the user no longer exists.
 * @throws {RuleViolation} `conflict` when the password changed meanwhile.
 */
export async function changePassword(
  deps: AuthDeps,
  userId: string,
  change: PasswordChange,
): Promise<User> {
  const entry = await deps.kv.get<User>(userKey(userId));
  const user = entry.value;
  if (!user) throw new NotFoundError("This account does not exist any more.");
  const errors: Record<string, string> = {};
  const problem = passwordProblem(change.next);
  if (problem) errors.next = problem;
  else if (change.confirmation !== change.next) {
    errors.confirmation = "The two new passwords differ.";
  } else if (change.next === change.current) {
    errors.next = "Choose a password different from the current one.";
  }
  if (!await isAccountPassword(user, change.current)) {
    errors.current = "This is not your current password.";
  }
  if (Object.keys(errors).length > 0) {
    throw new ValidationError("validation_failed", "The password was not changed.", errors);
  }
  const updated: User = {
    ...user,
    password_hash: await hashPassword(change.next, { iterations: deps.passwordIterations }),
  };
  const res = await deps.kv.atomic().check(entry).set(userKey(userId), updated)
    .mutate(authChangedMutation()).commit();
  if (!res.ok) throw new RuleViolation("conflict", "Your account changed meanwhile; try again.");
  forgetAuth(deps.kv, userId);
  return updated;
}
