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

/** The overrides `visibilityOf` looks at (a user's `PrivacyState`, or part of it). */
export interface PrivacyOverrides {
  readonly user?: PrivacyLevel;
  readonly feeds: ReadonlyMap<string, PrivacyLevel>;
  readonly items: ReadonlyMap<string, { readonly privacy: PrivacyLevel }>;
}

/**
 * The effective privacy of a user's activity on a feed (and episode): item override ›
 * feed override › user default › the instance default.
 * @example
 * ```ts
 * visibilityOf({ feeds: new Map([[feed, "private"]]), items: new Map() }, { feed }, "public");
 * // → "private"
 * ```
 */
export function visibilityOf(
  overrides: PrivacyOverrides,
  target: { readonly feed: string; readonly item?: string },
  instanceDefault: PrivacyLevel,
): PrivacyLevel {
  return effectivePrivacy({
    item: target.item === undefined ? undefined : overrides.items.get(target.item)?.privacy,
    feed: overrides.feeds.get(target.feed),
    user: overrides.user,
  }, instanceDefault).privacy;
}
