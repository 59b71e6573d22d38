/**
 * Decisions for what gpodder clients send (SPEC §9), onto the same events as the REST API:
 * subscription uploads, episode actions (a `play` sets the position, `played` near the
 * end; `download`, `delete` and `new` are recorded for gpodder clients) and devices. Pure.
 */
import type {
  ChangeSubscriptions,
  Command,
  CommandMeta,
  EpisodeActionInput,
  MarkEpisode,
  RecordEpisodeActions,
  RemoveDevice,
  ReplaceSubscriptions,
  UpdateDevice,
} from "./commands.ts";
import { decideAll } from "./decide.ts";
import type { UserEvent } from "./events.ts";
import { decodeItemId, encodeItemId } from "./ids.ts";
import { isActive, ms, type UserState } from "./state.ts";

/** A play within this many seconds of the end counts as played. */
export const PLAYED_NEAR_END_S = 5;

/** The gpodder commands this file decides. */
export type GpodderCommand =
  | ChangeSubscriptions
  | ReplaceSubscriptions
  | RecordEpisodeActions
  | MarkEpisode
  | UpdateDevice
  | RemoveDevice;

function enclosureOf(item: string): string | undefined {
  try {
    return decodeItemId(item).enclosureUrl;
  } catch {
    return undefined;
  }
}

/** The episodes a user knows, by feed and enclosure URL (for actions without a guid). */
function episodesByUrl(state: UserState): Map<string, string> {
  const out = new Map<string, string>();
  for (const map of [state.plays, state.saved, state.shared, state.marks]) {
    for (const v of map.values()) {
      const url = enclosureOf(v.item);
      if (url !== undefined) out.set(`${v.feed}\n${url}`, v.item);
    }
  }
  return out;
}

/**
 * The item id of an action's episode: from its guid when it has one; otherwise the episode
 * the user already has with that enclosure URL in that feed; otherwise the URL stands in
 * for the guid.
 */
export function itemOfAction(a: EpisodeActionInput, known: ReadonlyMap<string, string>): string {
  if (a.guid) return encodeItemId(a.guid, a.enclosureUrl);
  return known.get(`${a.feed}\n${a.enclosureUrl}`) ?? encodeItemId(a.enclosureUrl, a.enclosureUrl);
}

/** The domain command one action is, its episode resolved. */
function commandOf(a: EpisodeActionInput, item: string, meta: CommandMeta): Command {
  const m: CommandMeta = a.device ? { ...meta, device: a.device } : meta;
  const at = a.at ?? meta.now;
  if (a.action !== "play") {
    return { type: "MarkEpisode", data: { feed: a.feed, item, action: a.action, at }, meta: m };
  }
  // A play without a position (gPodder's "playback started") says nothing about where the
  // listener is: it is a listen, keeping the known position, never a reset to 0.
  if (a.position === undefined) {
    return { type: "RecordListen", data: { feed: a.feed, item, at }, meta: m };
  }
  const total = a.total !== undefined && a.total > 0 ? a.total : undefined;
  const position = a.position >= 0 ? a.position : 0;
  const nearEnd = total !== undefined && position >= total - PLAYED_NEAR_END_S;
  return {
    type: "RecordPlay",
    data: {
      feed: a.feed,
      item,
      position,
      ...(nearEnd ? { played: true } : {}),
      ...(total === undefined ? {} : { duration: total }),
      ...(a.started !== undefined && a.started >= 0 ? { started: a.started } : {}),
      updated_at: at,
    },
    meta: m,
  };
}

/** Creates the devices the batch names that the user does not have yet. */
function newDevices(state: UserState, ids: Iterable<string>, meta: CommandMeta): Command[] {
  const out: Command[] = [];
  for (const id of new Set(ids)) {
    if (!state.devices.has(id)) out.push({ type: "UpdateDevice", data: { id }, meta });
  }
  return out;
}

/** Decides a gpodder command. */
export function decideGpodder(state: UserState, command: GpodderCommand): readonly UserEvent[] {
  const { meta } = command;
  const pathDevice = meta.device ? [meta.device.id] : [];
  switch (command.type) {
    case "ChangeSubscriptions": {
      const commands: Command[] = [
        ...newDevices(state, pathDevice, meta),
        ...command.data.add.map((feed): Command => ({ type: "Subscribe", data: { feed }, meta })),
        ...command.data.remove
          .filter((feed) => isActive(state.subscriptions.get(feed)))
          .map((feed): Command => ({ type: "Unsubscribe", data: { feed }, meta })),
      ];
      return decideAll(state, commands).events;
    }
    case "ReplaceSubscriptions": {
      const wanted = new Set(command.data.feeds);
      const commands: Command[] = [
        ...newDevices(state, pathDevice, meta),
        ...command.data.feeds.map((feed): Command => ({ type: "Subscribe", data: { feed }, meta })),
        ...[...state.subscriptions.values()]
          .filter((s) => isActive(s) && !wanted.has(s.feed))
          .map((s): Command => ({ type: "Unsubscribe", data: { feed: s.feed }, meta })),
      ];
      return decideAll(state, commands).events;
    }
    case "RecordEpisodeActions": {
      const known = episodesByUrl(state);
      const devices = command.data.actions.flatMap((a) => a.device ? [a.device.id] : []);
      const commands = command.data.actions.map((a) => {
        const item = itemOfAction(a, known);
        known.set(`${a.feed}\n${a.enclosureUrl}`, item);
        return commandOf(a, item, meta);
      });
      return decideAll(state, [...newDevices(state, devices, meta), ...commands]).events;
    }
    case "MarkEpisode": {
      const { feed, item, action, at } = command.data;
      const last = state.marks.get(item)?.[action];
      if (last !== undefined && ms(at) <= ms(last)) return [];
      return [{
        type: "episode_action",
        id: `${meta.idPrefix}-000`,
        ts: at,
        ...(meta.device ? { device: meta.device } : {}),
        feed,
        item,
        data: { action },
      }];
    }
    case "RemoveDevice": {
      if (!state.devices.has(command.data.id)) return [];
      return [{
        type: "device_removed",
        id: `${meta.idPrefix}-000`,
        ts: meta.now,
        data: { device_id: command.data.id },
      }];
    }
    case "UpdateDevice": {
      const { id, caption, type } = command.data;
      const prev = state.devices.get(id);
      const same = prev !== undefined && (caption === undefined || caption === prev.caption) &&
        (type === undefined || type === prev.type);
      if (same) return [];
      return [{
        type: "device_updated",
        id: `${meta.idPrefix}-000`,
        ts: meta.now,
        ...(meta.device ? { device: meta.device } : {}),
        data: {
          device_id: id,
          ...(caption === undefined ? {} : { caption }),
          ...(type === undefined ? {} : { type }),
        },
      }];
    }
  }
}
