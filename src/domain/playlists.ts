/** Decisions on playlists (SPEC §4.6); the sync endpoint uses the same events. Pure. */
import type { CommandMeta, PlaylistCommand } from "./commands.ts";
import { NotFoundError, RuleViolation, ValidationError } from "./errors.ts";
import type { PlaylistReordered, UserEvent } from "./events.ts";
import { isInPlaylist, notBefore, type PlaylistState, type UserState } from "./state.ts";

/** Most episodes one playlist holds (a reorder must fit one KV commit). */
export const MAX_PLAYLIST_ITEMS = 500;
/** Longest playlist name, in characters. */
export const PLAYLIST_NAME_MAX = 200;
/** Longest playlist description, in characters. */
export const PLAYLIST_DESCRIPTION_MAX = 4000;

/** Most characters of item ids one `playlist_reordered` event carries (KV values ≤ 64 KiB). */
const REORDER_CHUNK_CHARS = 32_000;

/**
 * The data of the `playlist_reordered` events that give `order` positions 0, 1, …: one
 * event, or several with offsets when the item ids would not fit one KV value.
 */
export function reorderData(
  playlistId: string,
  order: readonly string[],
): PlaylistReordered["data"][] {
  const out: PlaylistReordered["data"][] = [];
  const chunk = (from: number, to: number) =>
    out.push(
      from === 0
        ? { playlist_id: playlistId, order: order.slice(from, to) }
        : { playlist_id: playlistId, order: order.slice(from, to), offset: from },
    );
  let from = 0, size = 0;
  for (let i = 0; i < order.length; i++) {
    size += order[i].length + 3;
    if (size > REORDER_CHUNK_CHARS && i > from) {
      chunk(from, i);
      from = i;
      size = order[i].length + 3;
    }
  }
  chunk(from, order.length);
  return out;
}

/** Live items of a playlist in playlist order: position, then when they were added. */
export function orderedItems(pl: PlaylistState) {
  return [...pl.items.values()].filter(isInPlaylist).sort((a, b) =>
    (a.position ?? Number.MAX_SAFE_INTEGER) - (b.position ?? Number.MAX_SAFE_INTEGER) ||
    Date.parse(a.added_at) - Date.parse(b.added_at)
  );
}

function live(state: UserState, id: string): PlaylistState {
  const pl = state.playlists.get(id);
  if (!pl || pl.deleted_at !== undefined) {
    throw new NotFoundError("No such playlist.", { playlist_id: id });
  }
  return pl;
}

function base(meta: CommandMeta, ts = meta.now, index = 0) {
  const b = { id: `${meta.idPrefix}-${index.toString(36).padStart(3, "0")}`, ts };
  return meta.device ? { ...b, device: meta.device } : b;
}

/** True when every listed episode already sits at its index. */
function inOrder(pl: PlaylistState, order: readonly string[], moved?: [string, number]) {
  return order.every((item, position) =>
    (moved?.[0] === item ? moved[1] : pl.items.get(item)?.position) === position
  );
}

/**
 * Decides a playlist command; `[]` when it changes nothing.
 * @throws {NotFoundError} for an unknown or deleted playlist, or an item not in it.
 * @throws {RuleViolation} `conflict` when the playlist is full.
 */
export function decidePlaylist(state: UserState, command: PlaylistCommand): UserEvent[] {
  const { meta } = command;
  switch (command.type) {
    case "CreatePlaylist": {
      const { id, name, description = "", is_public = false } = command.data;
      if (state.playlists.has(id)) throw new RuleViolation("conflict", "Playlist id already used.");
      return [{
        ...base(meta),
        type: "playlist_created",
        data: { playlist_id: id, name, description, is_public },
      }];
    }
    case "UpdatePlaylist": {
      const pl = live(state, command.data.id);
      const data = {
        playlist_id: pl.id,
        name: command.data.name ?? pl.name,
        description: command.data.description ?? pl.description,
        is_public: command.data.is_public ?? pl.is_public,
      };
      const same = data.name === pl.name && data.description === pl.description &&
        data.is_public === pl.is_public;
      const ts = notBefore(meta.now, pl.updated_at);
      return same ? [] : [{ ...base(meta, ts), type: "playlist_updated", data }];
    }
    case "DeletePlaylist": {
      const pl = state.playlists.get(command.data.id);
      if (!pl) throw new NotFoundError("No such playlist.", { playlist_id: command.data.id });
      if (pl.deleted_at !== undefined) return [];
      return [{
        ...base(meta, notBefore(meta.now, pl.updated_at)),
        type: "playlist_deleted",
        data: { playlist_id: pl.id },
      }];
    }
    case "AddPlaylistItem": {
      const pl = live(state, command.data.id);
      const { feed, item } = command.data;
      const items = orderedItems(pl);
      const existing = pl.items.get(item);
      const present = existing !== undefined && isInPlaylist(existing);
      if (!present && items.length >= MAX_PLAYLIST_ITEMS) {
        throw new RuleViolation(
          "conflict",
          `A playlist holds at most ${MAX_PLAYLIST_ITEMS} episodes.`,
        );
      }
      const ts = notBefore(meta.now, existing?.removed_at);
      if (command.data.position === undefined) {
        if (present) return [];
        const last = items.reduce((m, i) => Math.max(m, i.position ?? -1), -1);
        return [{
          ...base(meta, ts),
          type: "playlist_item_added",
          feed,
          data: { playlist_id: pl.id, item, position: last + 1 },
        }];
      }
      // A position is an index: the episode is inserted there and the others move down.
      const others = items.map((i) => i.item).filter((i) => i !== item);
      const at = Math.min(command.data.position, others.length);
      const order = [...others.slice(0, at), item, ...others.slice(at)];
      const events: UserEvent[] = [];
      if (!present) {
        events.push({
          ...base(meta, ts),
          type: "playlist_item_added",
          feed,
          data: { playlist_id: pl.id, item, position: at },
        });
      }
      if (!inOrder(pl, order, present ? undefined : [item, at])) {
        for (const data of reorderData(pl.id, order)) {
          events.push({ ...base(meta, ts, events.length), type: "playlist_reordered", data });
        }
      }
      return events;
    }
    case "RemovePlaylistItem": {
      const pl = live(state, command.data.id);
      const existing = pl.items.get(command.data.item);
      if (!existing || !isInPlaylist(existing)) {
        throw new NotFoundError("This episode is not in the playlist.", {
          item: command.data.item,
        });
      }
      return [{
        ...base(meta, notBefore(meta.now, existing.added_at)),
        type: "playlist_item_removed",
        feed: existing.feed,
        data: { playlist_id: pl.id, item: command.data.item },
      }];
    }
    case "ReorderPlaylist": {
      const pl = live(state, command.data.id);
      const current = orderedItems(pl).map((i) => i.item);
      const unknown = command.data.order.filter((i) => !current.includes(i));
      if (unknown.length > 0 || new Set(command.data.order).size !== command.data.order.length) {
        throw new ValidationError(
          "validation_failed",
          "The order must list episodes of this playlist, each once.",
          { items: unknown.length > 0 ? `not in the playlist: ${unknown.length}` : "duplicates" },
        );
      }
      // Episodes the client did not mention keep their relative order after the listed ones.
      const order = [
        ...command.data.order,
        ...current.filter((i) => !command.data.order.includes(i)),
      ];
      if (inOrder(pl, order)) return [];
      return reorderData(pl.id, order).map((data, i) => ({
        ...base(meta, meta.now, i),
        type: "playlist_reordered",
        data,
      }));
    }
  }
}
