/**
 * User tokens (SPEC §2.4): capability secrets for RSS readers and the play gateway. Only a
 * SHA-256 hash of a token is stored; the token itself is shown once, at creation.
 */
import { isoAt } from "../clock.ts";
import { RuleViolation, ValidationError } from "../domain/errors.ts";
import { secretHash } from "../store/hash.ts";
import { userKey, userTokenByUserKey, userTokenByUserPrefix, userTokenKey } from "../store/keys.ts";
import type { AuthDeps } from "./deps.ts";
import { looksLikeToken, randomToken } from "./random.ts";

/** The user's own record of a token (listed, never holding the token). */
export interface UserTokenRecord {
  readonly id: string;
  readonly name: string;
  /** First characters of the token, enough for a person to recognise it. */
  readonly prefix: string;
  readonly hash: string;
  readonly created_at: string;
  readonly last_used_at: string | null;
}

/** What `["utoken", hash]` holds: enough to resolve a token in one read. */
interface TokenLookup {
  readonly user_id: string;
  readonly token_id: string;
  readonly last_used_at: number | null;
}

/** A token as listed: name, dates and prefix. */
export type UserTokenView = Omit<UserTokenRecord, "hash">;

/** A freshly created token; `token` is never available again. */
export interface CreatedUserToken extends UserTokenView {
  readonly token: string;
  readonly user_id: string;
}

/** Characters of a token shown in lists. */
export const TOKEN_PREFIX_LENGTH = 8;
/** Upper bound on tokens per user, so a runaway client cannot fill the store. */
export const MAX_TOKENS_PER_USER = 100;
const NAME_MAX = 100;

/**
 * Creates a user token named `name` and returns it (the only time it is shown).
 * @throws {ValidationError} `validation_failed` when the name is empty or too long.
 * @throws {RuleViolation} `conflict` when the name is taken or the user already has the
 * maximum number of tokens.
 */
export async function createUserToken(
  deps: AuthDeps,
  userId: string,
  name: string,
): Promise<CreatedUserToken> {
  const clean = name.trim();
  if (clean === "") {
    throw new ValidationError("validation_failed", "The token needs a name.", {
      name: `Use 1 to ${NAME_MAX} characters.`,
    });
  }
  if (clean.length > NAME_MAX) {
    throw new ValidationError(
      "validation_failed",
      `The name is too long: use at most ${NAME_MAX} characters.`,
      { name: `at most ${NAME_MAX} characters` },
    );
  }
  const existing = await listUserTokens(deps, userId);
  if (existing.length >= MAX_TOKENS_PER_USER) {
    throw new RuleViolation(
      "conflict",
      `You already have ${MAX_TOKENS_PER_USER} tokens; revoke one first.`,
    );
  }
  // One name per token, so a list (and a revocation) is never ambiguous to the person.
  if (existing.some((t) => t.name.toLowerCase() === clean.toLowerCase())) {
    throw new RuleViolation("conflict", "You already have a token with this name.", {
      name: "already used",
    });
  }
  const token = randomToken();
  const hash = await secretHash(token);
  const record: UserTokenRecord = {
    id: crypto.randomUUID(),
    name: clean,
    prefix: token.slice(0, TOKEN_PREFIX_LENGTH),
    hash,
    created_at: isoAt(deps.clock.now()),
    last_used_at: null,
  };
  const lookup: TokenLookup = { user_id: userId, token_id: record.id, last_used_at: null };
  const res = await deps.kv.atomic()
    .check({ key: userTokenKey(hash), versionstamp: null })
    .set(userTokenKey(hash), lookup)
    .set(userTokenByUserKey(userId, record.id), record)
    .commit();
  if (!res.ok) throw new Error("createUserToken: token collision"); // 2^-256: never in practice
  const { hash: _, ...view } = record;
  return { ...view, token, user_id: userId };
}

/** The user's tokens, oldest first, without the tokens themselves. */
export async function listUserTokens(deps: AuthDeps, userId: string): Promise<UserTokenView[]> {
  const views: UserTokenView[] = [];
  const prefix = userTokenByUserPrefix(userId);
  for await (const entry of deps.kv.list<UserTokenRecord>({ prefix })) {
    const { hash: _, ...view } = entry.value;
    views.push(view);
  }
  return views.sort((a, b) => a.created_at.localeCompare(b.created_at));
}

/**
 * Revokes a token by its id or its listed prefix; effective at once. Returns false when
 * nothing matches.
 * @throws {RuleViolation} `conflict` when a prefix matches more than one token.
 */
export async function revokeUserToken(
  deps: AuthDeps,
  userId: string,
  idOrPrefix: string,
): Promise<boolean> {
  if (idOrPrefix === "" || idOrPrefix.length > 64) return false;
  const matches: UserTokenRecord[] = [];
  const prefix = userTokenByUserPrefix(userId);
  for await (const entry of deps.kv.list<UserTokenRecord>({ prefix })) {
    const r = entry.value;
    if (r.id === idOrPrefix) {
      matches.splice(0, matches.length, r);
      break;
    }
    if (idOrPrefix.length >= 4 && r.prefix.startsWith(idOrPrefix)) matches.push(r);
  }
  if (matches.length === 0) return false;
  if (matches.length > 1) {
    throw new RuleViolation("conflict", "That prefix matches several tokens; use the token id.");
  }
  const [record] = matches;
  await deps.kv.atomic()
    .delete(userTokenKey(record.hash))
    .delete(userTokenByUserKey(userId, record.id))
    .commit();
  return true;
}

/**
 * The id of the user a token belongs to, or null for an unknown or revoked token. Notes the
 * use at most once a minute.
 */
export async function resolveUserToken(deps: AuthDeps, token: string): Promise<string | null> {
  if (!looksLikeToken(token)) return null;
  const entry = await deps.kv.get<TokenLookup>(userTokenKey(await secretHash(token)));
  if (!entry.value) return null;
  const now = deps.clock.now();
  const { user_id, token_id, last_used_at } = entry.value;
  // A deleted account's tokens stop at once, before the erasure reaches them.
  if (!(await deps.kv.get(userKey(user_id))).value) return null;
  if (last_used_at === null || now - last_used_at >= 60_000) {
    const ownKey = userTokenByUserKey(user_id, token_id);
    const own = await deps.kv.get<UserTokenRecord>(ownKey);
    if (own.value) {
      // Both checked so that a revocation racing with this write is never undone.
      await deps.kv.atomic().check(entry).check(own)
        .set(entry.key, { ...entry.value, last_used_at: now })
        .set(ownKey, { ...own.value, last_used_at: isoAt(now) })
        .commit();
    }
  }
  return user_id;
}
