/** What the account, session and token code needs from the outside world. */
import type { Config } from "../config.ts";
import type { Clock } from "../clock.ts";
import type { Logger } from "../logger.ts";

/** Dependencies of `src/auth` and its routes; the app's full deps object is a superset. */
export interface AuthDeps {
  readonly kv: Deno.Kv;
  readonly config: Config;
  readonly clock: Clock;
  readonly logger: Logger;
  /** PBKDF2 iterations for new password hashes (default 600,000; tests use fewer). */
  readonly passwordIterations?: number;
}
