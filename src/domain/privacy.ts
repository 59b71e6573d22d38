/** Privacy resolution (SPEC §4.5): item override, else feed, else user, else default. Pure. */
import type { PrivacyLevel } from "./events.ts";

export const PRIVACY_LEVELS: readonly PrivacyLevel[] = ["public", "anonymous", "private"];

export type PrivacySource = "item" | "feed" | "user" | "default";

/** The effective level and where it came from. */
export function effectivePrivacy(
  levels: { item?: PrivacyLevel; feed?: PrivacyLevel; user?: PrivacyLevel },
  instanceDefault: PrivacyLevel,
): { privacy: PrivacyLevel; source: PrivacySource } {
  if (levels.item) return { privacy: levels.item, source: "item" };
  if (levels.feed) return { privacy: levels.feed, source: "feed" };
  if (levels.user) return { privacy: levels.user, source: "user" };
  return { privacy: instanceDefault, source: "default" };
}
