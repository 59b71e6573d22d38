/** Playlists (SPEC §4.6): the same events the sync endpoint uses. */
import { Hono } from "hono";
import type { Context } from "hono";
import { feedAt, Fields, itemAt } from "../input.ts";
import {
  MAX_PLAYLIST_ITEMS,
  PLAYLIST_DESCRIPTION_MAX,
  PLAYLIST_NAME_MAX,
} from "../../src/domain/playlists.ts";
import { NotFoundError } from "../../src/domain/errors.ts";
import type { AppDeps } from "../../src/services.ts";
import { getPlaylist, listPlaylists } from "../../src/store/queries.ts";
import { requireScope } from "../auth_middleware.ts";
import { readJsonObject } from "../body.ts";
import type { AppEnv } from "../context.ts";
import { execute } from "./_helpers.ts";

const ID = /^[A-Za-z0-9_.-]{1,64}$/;

function playlistId(c: Context<AppEnv>): string {
  const id = c.req.param("id") ?? "";
  if (!ID.test(id)) throw new NotFoundError("No such playlist.", { playlist_id: id.slice(0, 64) });
  return id;
}

/** `/playlists…`, scopes `user.playlists.read|write`. */
export function playlistRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const read = requireScope("user.playlists.read");
  const write = requireScope("user.playlists.write");

  async function respond(c: Context<AppEnv>, id: string, status: 200 | 201 = 200) {
    const pl = await getPlaylist(deps.kv, c.get("auth").userId, id);
    if (!pl) throw new NotFoundError("No such playlist.", { playlist_id: id });
    return c.json(pl, status);
  }

  app.get("/playlists", read, async (c) => {
    const includeDeleted = c.req.query("include") === "all";
    return c.json({
      playlists: await listPlaylists(deps.kv, c.get("auth").userId, { includeDeleted }),
    });
  });

  app.post("/playlists", write, async (c) => {
    const body = await readJsonObject(c);
    const f = new Fields();
    const name = f.str(body, "name", { min: 1, max: PLAYLIST_NAME_MAX });
    const description = f.str(body, "description", {
      optional: true,
      max: PLAYLIST_DESCRIPTION_MAX,
    });
    const is_public = f.bool(body, "is_public", { optional: true });
    f.done();
    const id = deps.newId();
    await execute(deps, c, {
      type: "CreatePlaylist",
      data: { id, name: name!, description, is_public },
    });
    return respond(c, id, 201);
  });

  app.get("/playlists/:id", read, async (c) => {
    const id = playlistId(c);
    const pl = await getPlaylist(deps.kv, c.get("auth").userId, id);
    if (!pl || pl.deleted_at) throw new NotFoundError("No such playlist.", { playlist_id: id });
    return c.json(pl);
  });

  app.patch("/playlists/:id", write, async (c) => {
    const id = playlistId(c);
    const body = await readJsonObject(c);
    const f = new Fields();
    const name = f.str(body, "name", { optional: true, min: 1, max: PLAYLIST_NAME_MAX });
    const description = f.str(body, "description", {
      optional: true,
      max: PLAYLIST_DESCRIPTION_MAX,
    });
    const is_public = f.bool(body, "is_public", { optional: true });
    f.done();
    await execute(deps, c, { type: "UpdatePlaylist", data: { id, name, description, is_public } });
    return respond(c, id);
  });

  app.delete("/playlists/:id", write, async (c) => {
    const id = playlistId(c);
    await execute(deps, c, { type: "DeletePlaylist", data: { id } });
    return respond(c, id);
  });

  app.post("/playlists/:id/items", write, async (c) => {
    const id = playlistId(c);
    const body = await readJsonObject(c);
    const { feed } = feedAt(body.rss_source_feed, "rss_source_feed");
    const { item } = itemAt(body.rss_source_item, "rss_source_item");
    const f = new Fields();
    const position = f.int(body, "position", { optional: true, max: MAX_PLAYLIST_ITEMS * 10 });
    f.done();
    const r = await execute(deps, c, {
      type: "AddPlaylistItem",
      data: { id, feed, item, position },
    });
    const added = r.events.some((e) => e.type === "playlist_item_added");
    return respond(c, id, added ? 201 : 200);
  });

  app.delete("/playlists/:id/items/:item", write, async (c) => {
    const id = playlistId(c);
    const { item } = itemAt(c.req.param("item"), "item");
    await execute(deps, c, { type: "RemovePlaylistItem", data: { id, item } });
    return respond(c, id);
  });

  app.put("/playlists/:id/order", write, async (c) => {
    const id = playlistId(c);
    const body = await readJsonObject(c);
    const raw = body.items;
    if (!Array.isArray(raw) || raw.length > MAX_PLAYLIST_ITEMS) {
      const f = new Fields();
      f.add("items", `expected an array of at most ${MAX_PLAYLIST_ITEMS} item ids`);
      f.done();
    }
    const order = (raw as unknown[]).map((v, i) => itemAt(v, `items[${i}]`).item);
    await execute(deps, c, { type: "ReorderPlaylist", data: { id, order } });
    return respond(c, id);
  });

  return app;
}
