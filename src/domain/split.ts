/**
 * Commands too large for one decision, cut into consecutive commands that give the same
 * events when decided one after the other, each on the state the previous ones left (SPEC
 * §4.1: a sync is processed in batches that each commit whole). The actor runs the parts
 * as separate decisions, so one listener's big upload never holds the process for long.
 * Pure.
 */
import type { SyncInput } from "./sync.ts";

/** Most items (subscriptions, play statuses, playlists and their episodes) in one part. */
export const PART_ITEMS = 500;

/** The size of a sync body in items. */
export function syncItems(input: SyncInput): number {
  let n = input.subscriptions.length + input.play_statuses.length;
  for (const p of input.playlists) n += 1 + p.items.length;
  return n;
}

/**
 * A sync body as consecutive bodies of at most `max` items, in the order the rules take
 * them (subscriptions, play statuses, playlists; a playlist is never cut). A body within
 * `max` comes back whole, as the only part.
 */
export function splitSync(input: SyncInput, max: number = PART_ITEMS): SyncInput[] {
  if (syncItems(input) <= max) return [input];
  const none = { subscriptions: [], play_statuses: [], playlists: [] };
  const parts: SyncInput[] = [];
  for (let i = 0; i < input.subscriptions.length; i += max) {
    parts.push({ ...input, ...none, subscriptions: input.subscriptions.slice(i, i + max) });
  }
  for (let i = 0; i < input.play_statuses.length; i += max) {
    parts.push({ ...input, ...none, play_statuses: input.play_statuses.slice(i, i + max) });
  }
  let playlists: SyncInput["playlists"][number][] = [];
  let n = 0;
  for (const p of input.playlists) {
    const size = 1 + p.items.length;
    if (n + size > max && playlists.length > 0) {
      parts.push({ ...input, ...none, playlists });
      playlists = [];
      n = 0;
    }
    playlists.push(p);
    n += size;
  }
  if (playlists.length > 0) parts.push({ ...input, ...none, playlists });
  return parts;
}

/** A list (of feeds to subscribe to, say) in slices of at most `max`. */
export function slices<T>(list: readonly T[], max: number = PART_ITEMS): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += max) out.push(list.slice(i, i + max));
  return out.length > 0 ? out : [[]];
}
