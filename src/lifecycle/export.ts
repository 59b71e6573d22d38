/**
 * The account export (SPEC §4.7): everything the server holds on the user, as one JSON
 * document — account, state, privacy, playlists, apps, user tokens, then every stored event
 * (the checkpoint first, as a `checkpoint` event), then the devices seen in them. The
 * document is written piece by piece as the client reads it: play statuses a page at a
 * time, the checkpoint as its parts are read, the events page by page from KV, so memory
 * stays flat however large the state and however long the history. `GET /api/v1/export` and the
 * account page serve this same stream.
 */
import { listAppTokens } from "../auth/app_tokens.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { listUserTokens } from "../auth/user_tokens.ts";
import { getUserById } from "../auth/users.ts";
import { isoAt } from "../clock.ts";
import type { StoredEvent } from "../domain/events.ts";
import { orderedItems } from "../domain/playlists.ts";
import type { PlayState, UserState } from "../domain/state.ts";
import { checkpointHead, checkpointJson } from "../store/checkpoints.ts";
import * as keys from "../store/keys.ts";
import {
  describePlays,
  describeSubscriptions,
  listPrivacy,
  listSaved,
  playlistItemOut,
  playlistOut,
} from "../store/queries.ts";
import { playlistRecord } from "../store/read_models.ts";
import type { UserCommands } from "../user_commands.ts";

/** Events read from KV, and play statuses described, per piece of the document. */
const PAGE = 500;

/** The play statuses of a state in the API's shape, a page per piece (JSON, comma-joined). */
async function* playPages(kv: Deno.Kv, state: UserState): AsyncGenerator<string> {
  let page: PlayState[] = [];
  let first = true;
  const out = async () => {
    const text = (await describePlays(kv, page)).map((p) => JSON.stringify(p)).join(",");
    const piece = first ? text : `,${text}`;
    first = false;
    page = [];
    return piece;
  };
  for (const p of state.plays.values()) {
    page.push(p);
    if (page.length === PAGE) yield await out();
  }
  if (page.length > 0) yield await out();
}

/** Every stored event, the checkpoint first, then the devices seen in them. */
async function* eventPieces(kv: Deno.Kv, userId: string): AsyncGenerator<string> {
  const checkpoint = await checkpointHead(kv, userId);
  let first = true;
  if (checkpoint.value) {
    const { seq, created_at } = checkpoint.value;
    yield `{"type":"checkpoint","seq":${seq},"user_id":${JSON.stringify(userId)},` +
      `"recorded_at":${JSON.stringify(created_at)},"data":`;
    yield* checkpointJson(kv, userId, checkpoint.value);
    yield "}";
    first = false;
  }
  const devices = new Map<string, { id: string; name?: string; last_seen: string }>();
  let chunk: string[] = [];
  const events = kv.list<StoredEvent>({ prefix: keys.eventPrefix(userId) }, { batchSize: PAGE });
  for await (const { value: e } of events) {
    if (e.device) {
      devices.set(e.device.id, {
        id: e.device.id,
        ...(e.device.name ? { name: e.device.name } : {}),
        last_seen: e.recorded_at ?? e.ts,
      });
    }
    chunk.push((first ? "" : ",") + JSON.stringify(e));
    first = false;
    if (chunk.length === PAGE) {
      yield chunk.join("");
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk.join("");
  yield `],"devices":${JSON.stringify([...devices.values()])}}`;
}

/** A ready export: the streamed document and the file name to offer. */
export interface AccountExport {
  readonly body: ReadableStream<Uint8Array>;
  readonly filename: string;
}

/** Builds the export of `userId` (named `username` in the file name). */
export async function exportAccount(
  deps: AuthDeps & { readonly registry: UserCommands },
  userId: string,
  username: string,
): Promise<AccountExport> {
  const { kv } = deps;
  const user = await getUserById(deps, userId);
  const state = await deps.registry.state(userId);
  const privacy = await listPrivacy(kv, userId);
  const apps = await listAppTokens(deps, userId);
  const exportedAt = isoAt(deps.clock.now());
  // The document's fields in order; `play_statuses` (as large as the state) is written
  // between the two halves, a page at a time.
  const before = {
    exported_at: exportedAt,
    user: user && {
      user_id: user.id,
      username: user.username,
      email: user.email,
      role: user.role,
      created_at: user.created_at,
    },
    subscriptions: await describeSubscriptions(kv, [...state.subscriptions.values()]),
  };
  const after = {
    playlists: [...state.playlists.values()].map((pl) => ({
      ...playlistOut(playlistRecord(pl)),
      items: orderedItems(pl).map(playlistItemOut),
    })),
    saved_episodes: await listSaved(kv, userId),
    shared_episodes: [...state.shared.values()].map((s) => ({
      rss_source_feed: s.feed,
      rss_source_item: s.item,
      shared_at: s.at,
    })),
    privacy: {
      privacy: privacy.user ?? deps.config.defaultPrivacy,
      feeds: privacy.feeds,
      items: privacy.items,
    },
    apps: apps.map((a) => ({
      app_id: a.app_id,
      app_name: a.app_name,
      scopes: a.scopes,
      created_at: a.created_at,
      last_used_at: a.last_used_at,
      revoked_at: a.revoked_at,
    })),
    user_tokens: await listUserTokens(deps, userId),
    events_total: state.seq,
  };
  async function* document(): AsyncGenerator<string> {
    yield `${JSON.stringify(before).slice(0, -1)},"play_statuses":[`;
    yield* playPages(kv, state);
    yield `],${JSON.stringify(after).slice(1, -1)},"events":[`;
    yield* eventPieces(kv, userId);
  }
  const body = ReadableStream.from(document()).pipeThrough(new TextEncoderStream());
  return { body, filename: `balados-export-${username}-${exportedAt.slice(0, 10)}.json` };
}

/** The response headers of an export download. */
export function exportHeaders(x: AccountExport): Record<string, string> {
  return {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Disposition": `attachment; filename="${x.filename}"`,
    "Cache-Control": "no-store",
  };
}
