/**
 * The account export (SPEC §4.7): everything the server holds on the user, as one JSON
 * document — account, state, privacy, playlists, apps, user tokens, then every stored event
 * (the checkpoint first, as a `checkpoint` event), then the devices seen in them. The
 * events are streamed from KV page by page, so memory stays flat however long the history
 * is. `GET /api/v1/export` and the account page serve this same stream.
 */
import { listAppTokens } from "../auth/app_tokens.ts";
import type { AuthDeps } from "../auth/deps.ts";
import { listUserTokens } from "../auth/user_tokens.ts";
import { getUserById } from "../auth/users.ts";
import { isoAt } from "../clock.ts";
import type { StoredEvent } from "../domain/events.ts";
import { checkpointHead, readCheckpoint, stateToJson } from "../store/checkpoints.ts";
import * as keys from "../store/keys.ts";
import { mergedState } from "../store/merged_state.ts";
import { listPrivacy, listSaved } from "../store/queries.ts";
import type { UserCommands } from "../user_commands.ts";

/** Events read from KV per page of the stream. */
const PAGE = 500;

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
  const head = {
    exported_at: exportedAt,
    user: user && {
      user_id: user.id,
      username: user.username,
      email: user.email,
      role: user.role,
      created_at: user.created_at,
    },
    ...(await mergedState(kv, state)),
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
  const checkpoint = await checkpointHead(kv, userId);
  const encoder = new TextEncoder();
  const devices = new Map<string, { id: string; name?: string; last_seen: string }>();
  let events: AsyncIterator<Deno.KvEntry<StoredEvent>> | undefined;
  let first = true;
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      const text = JSON.stringify(head);
      controller.enqueue(encoder.encode(`${text.slice(0, -1)},"events":[`));
      if (checkpoint.value) {
        const ckpt = await readCheckpoint(kv, userId, checkpoint.value);
        if (ckpt) {
          controller.enqueue(encoder.encode(
            `{"type":"checkpoint","seq":${ckpt.seq},"user_id":${JSON.stringify(userId)},` +
              `"recorded_at":${JSON.stringify(checkpoint.value.created_at)},"data":` +
              `${stateToJson(ckpt)}}`,
          ));
          first = false;
        }
      }
      events = kv.list<StoredEvent>({ prefix: keys.eventPrefix(userId) }, {
        batchSize: PAGE,
      })[Symbol.asyncIterator]();
    },
    async pull(controller) {
      const chunk: string[] = [];
      for (let i = 0; i < PAGE; i++) {
        const next = await events!.next();
        if (next.done) {
          if (chunk.length > 0) controller.enqueue(encoder.encode(chunk.join("")));
          const tail = [...devices.values()];
          controller.enqueue(encoder.encode(`],"devices":${JSON.stringify(tail)}}`));
          controller.close();
          return;
        }
        const e = next.value.value;
        if (e.device) {
          devices.set(e.device.id, {
            id: e.device.id,
            ...(e.device.name ? { name: e.device.name } : {}),
            last_seen: e.recorded_at ?? e.ts,
          });
        }
        chunk.push((first ? "" : ",") + JSON.stringify(e));
        first = false;
      }
      controller.enqueue(encoder.encode(chunk.join("")));
    },
  });
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
