/** `decide(state, command) → events`: the user's business rules. Pure. */
import type { Command, CommandMeta } from "./commands.ts";
import { NotFoundError, ValidationError } from "./errors.ts";
import { decidePlaylist } from "./playlists.ts";
import { decideSync } from "./sync.ts";
import { decideGpodder } from "./gpodder.ts";
import type { StoredEvent, UserEvent } from "./events.ts";
import { isActive, ms, notBefore, StateBuilder, type UserState } from "./state.ts";

/** Builds event ids from the command's prefix: `<prefix>-<index>`. */
export function eventId(meta: CommandMeta, index: number): string {
  return `${meta.idPrefix}-${index.toString(36).padStart(3, "0")}`;
}

function wholeSeconds(field: string, value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError(
      "validation_failed",
      `${field} must be a whole number of seconds ≥ 0.`,
      { [field]: "expected an integer ≥ 0" },
    );
  }
}

function base(meta: CommandMeta, index: number, ts: string) {
  return meta.device
    ? { id: eventId(meta, index), ts, device: meta.device }
    : { id: eventId(meta, index), ts };
}

/**
 * Decides which events a command produces in the given state; `[]` when it changes nothing.
 * @throws {ValidationError} for values out of range.
 * @throws {NotFoundError} when the command is about something the user never had.
 */
export function decide(state: UserState, command: Command): readonly UserEvent[] {
  const { meta } = command;
  switch (command.type) {
    case "Subscribe": {
      const { feed, rss_source_id } = command.data;
      const sub = state.subscriptions.get(feed);
      const at = command.data.subscribed_at ?? notBefore(meta.now, sub?.unsubscribed_at);
      if (isActive(sub)) {
        const sameSource = rss_source_id === undefined || rss_source_id === sub!.rss_source_id;
        if (sameSource) return [];
        // Only the client's source id changes: the subscription keeps its date.
        return [{
          ...base(meta, 0, meta.now),
          type: "subscribed",
          feed,
          data: { rss_source_id: rss_source_id!, subscribed_at: sub!.subscribed_at },
        }];
      } else if (sub?.unsubscribed_at !== undefined && ms(at) <= ms(sub.unsubscribed_at)) {
        return []; // an older subscribe than the unsubscribe we hold
      }
      const data = rss_source_id === undefined
        ? { subscribed_at: at }
        : { rss_source_id, subscribed_at: at };
      return [{ ...base(meta, 0, at), type: "subscribed", feed, data }];
    }
    case "Unsubscribe": {
      const { feed } = command.data;
      const sub = state.subscriptions.get(feed);
      const at = command.data.unsubscribed_at ?? notBefore(meta.now, sub?.subscribed_at);
      if (!sub) throw new NotFoundError("Not subscribed to this feed.", { rss_source_feed: feed });
      if (!isActive(sub) || ms(at) <= ms(sub.subscribed_at)) return [];
      return [{ ...base(meta, 0, at), type: "unsubscribed", feed, data: { unsubscribed_at: at } }];
    }
    case "RecordPlay": {
      const { feed, item, position, duration } = command.data;
      wholeSeconds("position", position);
      wholeSeconds("duration", duration);
      const prev = state.plays.get(item);
      const at = command.data.updated_at ?? notBefore(meta.now, prev?.updated_at);
      const played = command.data.played ?? prev?.played ?? false;
      if (prev) {
        if (ms(at) <= ms(prev.updated_at) && command.data.updated_at !== undefined) return [];
        const same = prev.position === position && prev.played === played &&
          (duration === undefined || duration === prev.duration) && prev.feed === feed;
        if (same) return [];
      }
      const started = command.data.started;
      const data = {
        position,
        played,
        ...(duration === undefined ? {} : { duration }),
        ...(started === undefined ? {} : { started }),
      };
      return [{ ...base(meta, 0, at), type: "played", feed, item, data }];
    }
    case "RecordListen": {
      const { feed, item, at } = command.data;
      const prev = state.plays.get(item);
      if (prev && ms(at) <= ms(prev.updated_at)) return [];
      const data = prev?.duration === undefined
        ? { position: prev?.position ?? 0, played: prev?.played ?? false }
        : { position: prev.position, played: prev.played, duration: prev.duration };
      return [{ ...base(meta, 0, at), type: "played", feed, item, data }];
    }
    case "UpdatePosition": {
      const { item, position } = command.data;
      wholeSeconds("position", position);
      const prev = state.plays.get(item);
      if (!prev) throw new NotFoundError("This episode has no play status yet.", { item });
      const at = command.data.updated_at ?? notBefore(meta.now, prev.updated_at);
      if (prev.position === position) return [];
      if (command.data.updated_at !== undefined && ms(at) <= ms(prev.updated_at)) return [];
      return [{
        ...base(meta, 0, at),
        type: "position_updated",
        feed: prev.feed,
        item,
        data: { position },
      }];
    }
    case "SaveEpisode":
    case "UnsaveEpisode":
    case "ShareEpisode": {
      const { feed, item } = command.data;
      const saved = state.saved.has(item);
      if (command.type === "SaveEpisode" && saved) return [];
      if (command.type === "UnsaveEpisode" && !saved) return [];
      if (command.type === "ShareEpisode" && state.shared.has(item)) return [];
      const type = command.type === "SaveEpisode"
        ? "saved"
        : command.type === "UnsaveEpisode"
        ? "unsaved"
        : "shared";
      return [{ ...base(meta, 0, meta.now), type, feed, item, data: {} }];
    }
    case "ChangePrivacy": {
      const { scope, privacy, feed, item } = command.data;
      if (scope !== "user" && !feed) {
        throw new ValidationError("validation_failed", "A feed is required for this scope.", {
          feed: "required",
        });
      }
      if (scope === "item" && !item) {
        throw new ValidationError("validation_failed", "An item is required for item scope.", {
          item: "required",
        });
      }
      const current = scope === "user"
        ? state.privacy.user
        : scope === "feed"
        ? state.privacy.feeds.get(feed!)
        : state.privacy.items.get(item!)?.privacy;
      if ((current ?? null) === privacy) return [];
      const target = scope === "user" ? {} : scope === "feed" ? { feed } : { feed, item };
      return [{
        ...base(meta, 0, meta.now),
        type: "privacy_changed",
        ...target,
        data: { scope, privacy },
      }];
    }
    case "RemoveHistory": {
      const { feed, item } = command.data;
      const scope = item !== undefined ? "item" : feed !== undefined ? "feed" : "user";
      const onFeed = feed ?? (item === undefined ? undefined : state.plays.get(item)?.feed ??
        state.saved.get(item)?.feed ?? state.shared.get(item)?.feed);
      const target = scope === "user"
        ? {}
        : scope === "feed"
        ? { feed }
        : onFeed === undefined
        ? { item }
        : { feed: onFeed, item };
      return [{ ...base(meta, 0, meta.now), type: "events_removed", ...target, data: { scope } }];
    }
    case "SyncState":
      return decideSync(state, command.data, meta);
    case "ChangeSubscriptions":
    case "ReplaceSubscriptions":
    case "RecordEpisodeActions":
    case "MarkEpisode":
    case "UpdateDevice":
    case "RemoveDevice":
      return decideGpodder(state, command);
    case "SubscribeMany":
      return decideAll(
        state,
        command.data.feeds.map((feed): Command => ({ type: "Subscribe", data: { feed }, meta })),
      ).events;
    case "CreatePlaylist":
    case "UpdatePlaylist":
    case "DeletePlaylist":
    case "AddPlaylistItem":
    case "RemovePlaylistItem":
    case "ReorderPlaylist":
      return decidePlaylist(state, command);
    default: {
      const never: never = command;
      throw new ValidationError("unknown_command", `Unknown command ${JSON.stringify(never)}.`);
    }
  }
}

/**
 * Decides several commands in order, each on the state the previous ones left (an OPML
 * import, a batch of gpodder actions). Commands the domain refuses are reported, not thrown.
 */
export function decideAll(
  state: UserState,
  commands: readonly Command[],
): { events: UserEvent[]; outcomes: ("changed" | "unchanged" | Error)[] } {
  const builder = new StateBuilder(state);
  const events: UserEvent[] = [];
  const outcomes: ("changed" | "unchanged" | Error)[] = [];
  let seq = state.seq;
  for (const [index, command] of commands.entries()) {
    try {
      // Commands of one batch may share an id prefix: the command's index keeps ids unique.
      const produced = decide(builder.view, command).map((e) => ({ ...e, id: `${e.id}.${index}` }));
      for (const e of produced) builder.apply({ ...e, seq: ++seq, user_id: "" } as StoredEvent);
      events.push(...produced);
      outcomes.push(produced.length > 0 ? "changed" : "unchanged");
    } catch (err) {
      outcomes.push(err as Error);
    }
  }
  return { events, outcomes };
}
