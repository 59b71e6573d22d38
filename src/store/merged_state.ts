/** A user's whole state in the REST API's item shapes (the sync answer, the export). */
import { orderedItems } from "../domain/playlists.ts";
import type { UserState } from "../domain/state.ts";
import { describePlays, describeSubscriptions, playlistItemOut, playlistOut } from "./queries.ts";
import { playlistRecord } from "./read_models.ts";

/** Subscriptions (unsubscribed ones too), play statuses and playlists of `state`. */
export async function mergedState(kv: Deno.Kv, state: UserState) {
  return {
    subscriptions: await describeSubscriptions(kv, [...state.subscriptions.values()]),
    play_statuses: await describePlays(kv, [...state.plays.values()]),
    playlists: [...state.playlists.values()].map((pl) => ({
      ...playlistOut(playlistRecord(pl)),
      items: orderedItems(pl).map(playlistItemOut),
    })),
  };
}
