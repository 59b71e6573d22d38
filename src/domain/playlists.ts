/** Decisions on playlists (SPEC §4.6); the sync endpoint uses the same events. Pure. */
import type { CommandMeta, PlaylistCommand } from "./commands.ts";
import { NotFoundError, RuleViolation, ValidationError } from "./errors.ts";
import type { UserEvent } from "./events.ts";
import { isInPlaylist, type PlaylistState, type UserState } from "./state.ts";

/** Most episodes one playlist holds (a reorder must fit one KV commit). */
export const MAX_PLAYLIST_ITEMS = 500;

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

function base(meta: CommandMeta) {
  const b = { id: `${meta.idPrefix}-000`, ts: meta.now };
  return meta.device ? { ...b, device: meta.device } : b;
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
      return same ? [] : [{ ...base(meta), type: "playlist_updated", data }];
    }
    case "DeletePlaylist": {
      const pl = state.playlists.get(command.data.id);
      if (!pl) throw new NotFoundError("No such playlist.", { playlist_id: command.data.id });
      if (pl.deleted_at !== undefined) return [];
      return [{ ...base(meta), type: "playlist_deleted", data: { playlist_id: pl.id } }];
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
      const last = items.reduce((m, i) => Math.max(m, i.position ?? -1), -1);
      const position = command.data.position ?? (present ? existing.position : last + 1);
      if (present && existing.position === position) return [];
      const data = position === undefined
        ? { playlist_id: pl.id, item }
        : { playlist_id: pl.id, item, position };
      return [{ ...base(meta), type: "playlist_item_added", feed, data }];
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
        ...base(meta),
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
      const same = order.every((item, position) => pl.items.get(item)!.position === position);
      if (same) return [];
      return [{ ...base(meta), type: "playlist_reordered", data: { playlist_id: pl.id, order } }];
    }
  }
}
