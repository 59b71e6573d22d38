/**
 * `GET/POST /playlists`, `GET /playlists/{id}` and its forms (SPEC §10, §4.6): create,
 * rename, public toggle, delete, add / remove / reorder episodes. Every change is the same
 * playlist command as `routes/api_v1/playlists.ts`, run through the user's actor.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { NotFoundError, ValidationError } from "../../src/domain/errors.ts";
import {
  MAX_PLAYLIST_ITEMS,
  PLAYLIST_DESCRIPTION_MAX,
  PLAYLIST_NAME_MAX,
} from "../../src/domain/playlists.ts";
import type { AppDeps } from "../../src/services.ts";
import { labelEpisodes } from "../../src/store/episode_labels.ts";
import { getPlaylist, listPlaylists, listSaved } from "../../src/store/queries.ts";
import type { CommandInput, DecisionResult } from "../../src/user_commands.ts";
import type { AppEnv } from "../context.ts";
import { HttpError } from "../errors.ts";
import { feedAt, itemAt } from "../input.ts";
import { flash, flashed } from "./_flash.ts";
import {
  backTo,
  checkCsrf,
  navOf,
  readForm,
  requireUser,
  WEB_DEVICE,
  type WebUser,
} from "./_web.ts";
import { Flash } from "./components.tsx";
import { Field, Layout, render } from "./layout.tsx";
import { PlaylistPage, type PlaylistView } from "./playlist_page.tsx";

type WebContext = Context<AppEnv>;

const ID = /^[A-Za-z0-9_.-]{1,64}$/;
const SLOT = "playlist";

/** A playlist a form can add to. */
export interface PlaylistChoice {
  readonly id: string;
  readonly name: string;
}

/**
 * "Add to playlist": a picker of the user's playlists for one episode, posting to
 * `/playlists/add` and coming back to `returnTo`. Without playlists, a link to create one.
 */
export function AddToPlaylistForm(
  props: {
    playlists: readonly PlaylistChoice[];
    feed: string;
    item: string;
    csrf: string;
    returnTo: string;
    /** Unique element id when the page shows several of these. */
    id?: string;
    /** Names the episode for screen readers when several share a page. */
    episodeTitle?: string;
  },
) {
  const id = props.id ?? "add-to-playlist";
  if (props.playlists.length === 0) {
    return (
      <p class="small">
        <a href="/playlists">Create a playlist</a> to add episodes to it.
      </p>
    );
  }
  return (
    <form method="post" action="/playlists/add" class="row">
      <input type="hidden" name="csrf" value={props.csrf} />
      <input type="hidden" name="feed" value={props.feed} />
      <input type="hidden" name="item" value={props.item} />
      <input type="hidden" name="return_to" value={props.returnTo} />
      <label for={id} class="inline-label">Add to playlist</label>
      <select id={id} name="playlist">
        {props.playlists.map((p) => (
          <option value={p.id}>
            {p.name}
          </option>
        ))}
      </select>
      <button
        type="submit"
        class="small secondary"
        aria-label={props.episodeTitle ? `Add ${props.episodeTitle} to the playlist` : undefined}
      >
        Add
      </button>
    </form>
  );
}

/** The id in the path, or a 404 for anything that cannot be a playlist id. */
function pathId(c: WebContext): string {
  const id = c.req.param("id") ?? "";
  if (!ID.test(id)) throw new NotFoundError("No such playlist.");
  return id;
}

function hrefOf(id: string): string {
  return `/playlists/${encodeURIComponent(id)}`;
}

/** A name and description as typed, or what is wrong with them. */
function readDetails(form: Record<string, string>) {
  const name = (form.name ?? "").trim();
  const description = (form.description ?? "").trim();
  const errors: { name?: string; description?: string } = {};
  if (name === "") errors.name = "Give the playlist a name.";
  else if (name.length > PLAYLIST_NAME_MAX) {
    errors.name = `The name is too long: use at most ${PLAYLIST_NAME_MAX} characters.`;
  }
  if (description.length > PLAYLIST_DESCRIPTION_MAX) {
    errors.description =
      `The description is too long: use at most ${PLAYLIST_DESCRIPTION_MAX} characters.`;
  }
  // What is echoed back on the form is bounded whatever was sent.
  const values = {
    name: name.slice(0, PLAYLIST_NAME_MAX * 2),
    description: description.slice(0, PLAYLIST_DESCRIPTION_MAX * 2),
  };
  return { name, description, errors, values };
}

/** `/playlists…` pages and forms. */
export function playlistPageRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  /** The logged-in user after a form's CSRF check, or the redirect to log in. */
  async function formUser(c: WebContext, form: Record<string, string>, back: string) {
    const me = await requireUser(c, deps, back);
    if (me instanceof Response) return me;
    checkCsrf(me.session.csrf, form.csrf);
    return me;
  }

  function run(me: WebUser, command: CommandInput): Promise<DecisionResult> {
    return deps.registry.execute(me.user.id, command, WEB_DEVICE);
  }

  async function listPage(
    c: WebContext,
    me: WebUser,
    extra: { ok?: string | null; error?: string; values?: Record<string, string> } = {},
    status: 200 | 422 = 200,
  ) {
    const playlists = await listPlaylists(deps.kv, me.user.id);
    return render(
      c,
      <Layout title="Playlists" nav={navOf(me)}>
        <Flash ok={extra.ok} />
        {playlists.length === 0
          ? <p>No playlists yet: create your first one below.</p>
          : (
            <ul class="list">
              {playlists.map((p) => (
                <li>
                  <div class="grow">
                    <p class="item-title">
                      <a href={hrefOf(p.id)}>{p.name}</a>
                    </p>
                    {p.description && <p class="muted small">{p.description}</p>}
                  </div>
                  <span class={p.is_public ? "badge public" : "badge"}>
                    {p.is_public ? "Public" : "Private"}
                  </span>
                </li>
              ))}
            </ul>
          )}
        <h2>New playlist</h2>
        <form method="post" action="/playlists">
          <input type="hidden" name="csrf" value={me.session.csrf} />
          <Field
            name="name"
            label="Name"
            value={extra.values?.name}
            error={extra.error}
            maxlength={PLAYLIST_NAME_MAX}
            required
          />
          <label class="check">
            <input type="checkbox" name="is_public" value="true" />{" "}
            Public (shown on your public profile)
          </label>
          <button type="submit">Create playlist</button>
        </form>
      </Layout>,
      status,
    );
  }

  async function playlistPage(
    c: WebContext,
    me: WebUser,
    id: string,
    extra: Partial<Pick<PlaylistView, "ok" | "errors" | "values">> = {},
    status: 200 | 409 | 422 = 200,
  ) {
    const playlist = await getPlaylist(deps.kv, me.user.id, id);
    if (!playlist || playlist.deleted_at) throw new NotFoundError("No such playlist.");
    const inList = new Set(playlist.items.map((i) => i.rss_source_item));
    const saved = (await listSaved(deps.kv, me.user.id))
      .filter((s) => !inList.has(s.rss_source_item));
    const view: PlaylistView = {
      me,
      playlist,
      items: await labelEpisodes(
        deps.kv,
        playlist.items.map((i) => ({ feed: i.rss_source_feed, item: i.rss_source_item })),
      ),
      saved: await labelEpisodes(
        deps.kv,
        saved.map((s) => ({ feed: s.rss_source_feed, item: s.rss_source_item })),
      ),
      baseUrl: deps.config.baseUrl,
      ...extra,
    };
    return render(c, <PlaylistPage view={view} />, status);
  }

  app.get("/playlists", async (c) => {
    const me = await requireUser(c, deps);
    if (me instanceof Response) return me;
    return await listPage(c, me, { ok: await flashed<string>(c, deps, me, SLOT) });
  });

  app.post("/playlists", async (c) => {
    const form = await readForm(c);
    const me = await formUser(c, form, "/playlists");
    if (me instanceof Response) return me;
    const { name, errors, values } = readDetails(form);
    if (errors.name) return await listPage(c, me, { error: errors.name, values }, 422);
    const id = deps.newId();
    await run(me, {
      type: "CreatePlaylist",
      data: { id, name, is_public: form.is_public === "true" },
    });
    await flash(c, deps, me, SLOT, `Playlist “${name}” created.`);
    return c.redirect(hrefOf(id), 303);
  });

  // Before "/playlists/:id/…": a fixed path, for the episode page and the saved list.
  app.post("/playlists/add", async (c) => {
    const form = await readForm(c);
    const me = await formUser(c, form, "/playlists");
    if (me instanceof Response) return me;
    const id = form.playlist ?? "";
    if (!ID.test(id)) throw new NotFoundError("No such playlist.");
    const [rawFeed, rawItem] = form.episode ? form.episode.split(" ") : [form.feed, form.item];
    const { feed } = feedAt(rawFeed, "feed");
    const { item } = itemAt(rawItem, "item");
    const r = await run(me, { type: "AddPlaylistItem", data: { id, feed, item } });
    const back = backTo(form, hrefOf(id));
    if (back === hrefOf(id)) {
      const [label] = await labelEpisodes(deps.kv, [{ feed, item }]);
      await flash(
        c,
        deps,
        me,
        SLOT,
        r.events.length > 0
          ? `“${label.title}” added.`
          : `“${label.title}” is already in this playlist.`,
      );
    }
    return c.redirect(back, 303);
  });

  app.get("/playlists/:id", async (c) => {
    const me = await requireUser(c, deps);
    if (me instanceof Response) return me;
    const id = pathId(c);
    return await playlistPage(c, me, id, { ok: await flashed<string>(c, deps, me, SLOT) });
  });

  app.post("/playlists/:id/edit", async (c) => {
    const id = pathId(c);
    const form = await readForm(c);
    const me = await formUser(c, form, hrefOf(id));
    if (me instanceof Response) return me;
    const { name, description, errors, values } = readDetails(form);
    if (errors.name || errors.description) {
      return await playlistPage(c, me, id, { errors, values }, 422);
    }
    await run(me, { type: "UpdatePlaylist", data: { id, name, description } });
    await flash(c, deps, me, SLOT, "Name and description saved.");
    return c.redirect(hrefOf(id), 303);
  });

  app.post("/playlists/:id/visibility", async (c) => {
    const id = pathId(c);
    const form = await readForm(c);
    const me = await formUser(c, form, hrefOf(id));
    if (me instanceof Response) return me;
    if (form.is_public !== "true" && form.is_public !== "false") {
      throw new HttpError(400, "invalid_form", "Choose public or private.");
    }
    const is_public = form.is_public === "true";
    await run(me, { type: "UpdatePlaylist", data: { id, is_public } });
    await flash(
      c,
      deps,
      me,
      SLOT,
      is_public ? "The playlist is public." : "The playlist is private.",
    );
    return c.redirect(hrefOf(id), 303);
  });

  app.post("/playlists/:id/delete", async (c) => {
    const id = pathId(c);
    const form = await readForm(c);
    const me = await formUser(c, form, hrefOf(id));
    if (me instanceof Response) return me;
    const pl = await getPlaylist(deps.kv, me.user.id, id);
    if (!pl || pl.deleted_at) throw new NotFoundError("No such playlist.");
    await run(me, { type: "DeletePlaylist", data: { id } });
    await flash(c, deps, me, SLOT, `Playlist “${pl.name}” deleted.`);
    return c.redirect("/playlists", 303);
  });

  app.post("/playlists/:id/remove", async (c) => {
    const id = pathId(c);
    const form = await readForm(c);
    const me = await formUser(c, form, hrefOf(id));
    if (me instanceof Response) return me;
    const { item } = itemAt(form.item, "item");
    const pl = await getPlaylist(deps.kv, me.user.id, id);
    const feed = pl?.items.find((i) => i.rss_source_item === item)?.rss_source_feed;
    await run(me, { type: "RemovePlaylistItem", data: { id, item } });
    const [label] = await labelEpisodes(deps.kv, [{ feed, item }]);
    await flash(c, deps, me, SLOT, `“${label.title}” removed from the playlist.`);
    return c.redirect(hrefOf(id), 303);
  });

  app.post("/playlists/:id/move", async (c) => {
    const id = pathId(c);
    const form = await readForm(c);
    const me = await formUser(c, form, hrefOf(id));
    if (me instanceof Response) return me;
    const { item } = itemAt(form.item, "item");
    if (form.direction !== "up" && form.direction !== "down") {
      throw new HttpError(400, "invalid_form", "Move up or down.");
    }
    const pl = await getPlaylist(deps.kv, me.user.id, id);
    if (!pl || pl.deleted_at) throw new NotFoundError("No such playlist.");
    const order = pl.items.map((i) => i.rss_source_item);
    const at = order.indexOf(item);
    if (at < 0) throw new NotFoundError("This episode is not in the playlist.");
    const to = form.direction === "up" ? at - 1 : at + 1;
    if (to >= 0 && to < order.length) {
      [order[at], order[to]] = [order[to], order[at]];
      await run(me, { type: "ReorderPlaylist", data: { id, order } });
    }
    return c.redirect(hrefOf(id), 303);
  });

  // The drag-and-drop script posts the whole new order here (a form body with the CSRF token).
  app.post("/playlists/:id/order", async (c) => {
    const id = pathId(c);
    const form = await readForm(c);
    const me = await formUser(c, form, hrefOf(id));
    if (me instanceof Response) return me;
    const raw = (form.order ?? "").split(/[\s,]+/).filter(Boolean);
    if (raw.length === 0 || raw.length > MAX_PLAYLIST_ITEMS) {
      throw new ValidationError(
        "validation_failed",
        `The order must list 1 to ${MAX_PLAYLIST_ITEMS} episodes.`,
        { order: "expected item ids separated by spaces" },
      );
    }
    const order = raw.map((v, i) => itemAt(v, `order[${i}]`).item);
    await run(me, { type: "ReorderPlaylist", data: { id, order } });
    if (/\bapplication\/json\b/.test(c.req.header("Accept") ?? "")) {
      const pl = await getPlaylist(deps.kv, me.user.id, id);
      return c.json({ ok: true, order: pl?.items.map((i) => i.rss_source_item) ?? [] });
    }
    return c.redirect(hrefOf(id), 303);
  });

  return app;
}
