/**
 * Changing the account password (SPEC §2.1, §2.5): the new hash, then everything the old
 * password opened ends — the user's other web sessions, gpodder sessions opened with the
 * password, and the Basic checks this process remembers (other processes re-check the hash
 * on every remembered use). The session that made the change stays.
 */
import { endPasswordGpSessions } from "../gpodder/sessions.ts";
import type { AuthDeps } from "./deps.ts";
import { endOtherSessions } from "./sessions.ts";
import { changePassword, type PasswordChange, type User } from "./users.ts";

/** The part of the Basic authenticator a password change needs. */
export interface RememberedChecks {
  forgetUser(userId: string): void;
}

/** What a password change ended. */
export interface PasswordChanged {
  readonly user: User;
  readonly sessionsEnded: number;
}

/**
 * Changes the password and ends what the old one opened, keeping the session whose cookie
 * token is `keepSessionToken`.
 * @throws {ValidationError} `validation_failed` per field (`current`, `next`, `confirmation`).
 */
export async function changeAccountPassword(
  deps: AuthDeps & { readonly basicAuth: RememberedChecks },
  userId: string,
  change: PasswordChange,
  keepSessionToken?: string,
): Promise<PasswordChanged> {
  const user = await changePassword(deps, userId, change);
  deps.basicAuth.forgetUser(userId);
  const web = await endOtherSessions(deps, userId, keepSessionToken);
  const gpodder = await endPasswordGpSessions(deps, userId);
  deps.logger.info("password changed", { user_id: userId, sessions_ended: web + gpodder });
  return { user, sessionsEnded: web + gpodder };
}
