/**
 * A listener's data rights as one service each surface calls (REST API, web pages): erase
 * listening history, delete the account. The rules live in the domain and erase.ts; this
 * is their sequence.
 */
import type { Device } from "../domain/events.ts";
import type { ErasureMarker } from "../store/event_store.ts";
import type { UserCommands } from "../user_commands.ts";
import {
  completeHistoryErasure,
  eraseAccount,
  type EraseDeps,
  requestAccountDeletion,
} from "./erase.ts";

/** What erasing history did. */
export interface HistoryErased {
  readonly scope: "user" | "feed" | "item";
  readonly feed?: string;
  readonly item?: string;
  readonly eventsDeleted: number;
}

/**
 * Erases the user's listening history of everything, a feed or an episode (SPEC §7.3): the
 * actor records `events_removed`, then the erased events, their traces and read models go.
 */
export async function eraseHistory(
  deps: EraseDeps & { registry: UserCommands },
  userId: string,
  target: { feed?: string; item?: string },
  device?: Device,
): Promise<HistoryErased> {
  const r = await deps.registry.execute(userId, { type: "RemoveHistory", data: target }, device);
  const removal = r.events.find((e) => e.type === "events_removed");
  if (!removal || removal.type !== "events_removed") {
    throw new Error("The erasure was not recorded.");
  }
  const marker: Extract<ErasureMarker, { kind: "history" }> = {
    kind: "history",
    seq: removal.seq,
    scope: removal.data.scope,
    ...(removal.feed === undefined ? {} : { feed: removal.feed }),
    ...(removal.item === undefined ? {} : { item: removal.item }),
  };
  const eventsDeleted = await completeHistoryErasure(deps, userId, marker);
  return {
    scope: marker.scope,
    ...(marker.feed === undefined ? {} : { feed: marker.feed }),
    ...(marker.item === undefined ? {} : { item: marker.item }),
    eventsDeleted,
  };
}

/**
 * Deletes an account: from this moment nothing authenticates as the user; the erasure runs
 * and is waited for up to `waitMs` (it goes on, and the erase sweep finishes it, if longer).
 * Returns null for an account that is already gone.
 */
export async function deleteAccount(
  deps: EraseDeps,
  userId: string,
  waitMs = 10_000,
): Promise<"deleted" | "deleting" | null> {
  const marker = await requestAccountDeletion(deps, userId);
  if (!marker) return null;
  let done = false;
  const erasure = eraseAccount(deps, userId, marker).then(() => (done = true), (err) => {
    deps.logger.error("account erasure failed", { error: String(err) });
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([erasure, new Promise((r) => (timer = setTimeout(r, waitMs)))]);
  clearTimeout(timer);
  return done ? "deleted" : "deleting";
}
