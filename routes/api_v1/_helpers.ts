/** Small helpers shared by the authenticated API route files. */
import type { Context } from "hono";
import type { CommandInput, DecisionResult } from "../../src/user_commands.ts";
import type { AppDeps } from "../../src/services.ts";
import type { AppEnv } from "../context.ts";

/** Runs a domain command through the calling user's actor. */
export function execute(
  deps: AppDeps,
  c: Context<AppEnv>,
  command: CommandInput,
): Promise<DecisionResult> {
  const auth = c.get("auth");
  return deps.registry.execute(auth.userId, command, auth.device);
}
