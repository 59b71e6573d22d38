/**
 * The page of one playlist (SPEC §10): its episodes in order with Move up / Move down and
 * Remove buttons (drag-and-drop with `/assets/playlist.js`), adding a saved episode,
 * rename, the public toggle, the personal RSS link, and delete behind a confirmation.
 */
import { PLAYLIST_DESCRIPTION_MAX, PLAYLIST_NAME_MAX } from "../../src/domain/playlists.ts";
import type { EpisodeLabel } from "../../src/store/episode_labels.ts";
import type { PlaylistOut } from "../../src/store/queries.ts";
import { EpisodeSummary } from "./_episodes.tsx";
import type { WebUser } from "./_web.ts";
import { navOf } from "./_web.ts";
import { Confirm, Flash } from "./components.tsx";
import { Field, Layout } from "./layout.tsx";

/** What the playlist page shows. */
export interface PlaylistView {
  readonly me: WebUser;
  readonly playlist: PlaylistOut;
  /** The playlist's episodes, in order. */
  readonly items: readonly EpisodeLabel[];
  /** Saved episodes not yet in the playlist. */
  readonly saved: readonly EpisodeLabel[];
  readonly baseUrl: string;
  readonly ok?: string | null;
  /** A form's error: `name` / `description` of the rename form, or the whole page's. */
  readonly errors?: { name?: string; description?: string; form?: string };
  readonly values?: { name?: string; description?: string };
}

function MoveButton(
  props: {
    action: string;
    csrf: string;
    item: string;
    dir: "up" | "down";
    title: string;
    /** The first episode's "up" and the last one's "down" (the script shows them as they move). */
    hidden: boolean;
  },
) {
  const word = props.dir === "up" ? "Move up" : "Move down";
  return (
    <form method="post" action={props.action} class="inline" hidden={props.hidden}>
      <input type="hidden" name="csrf" value={props.csrf} />
      <input type="hidden" name="item" value={props.item} />
      <input type="hidden" name="direction" value={props.dir} />
      <button
        type="submit"
        class="small secondary"
        data-move={props.dir}
        aria-label={`${word}: ${props.title}`}
      >
        {word}
      </button>
    </form>
  );
}

function Items(props: { view: PlaylistView; path: string }) {
  const { view, path } = props;
  const csrf = view.me.session.csrf;
  if (view.items.length === 0) {
    return <p>No episodes yet. Add one of your saved episodes below.</p>;
  }
  return (
    <>
      <p class="hint" id="reorder-hint">
        Reorder with the Move buttons, or drag an episode by its handle.
      </p>
      <ol
        class="list playlist-items"
        id="playlist-items"
        data-order-url={`${path}/order`}
        data-csrf={csrf}
        aria-describedby="reorder-hint"
      >
        {view.items.map((it, i) => (
          <li data-item={it.item}>
            <span class="drag-handle" aria-hidden="true">⠿</span>
            <EpisodeSummary label={it}>
              <div class="actions">
                <MoveButton
                  action={`${path}/move`}
                  csrf={csrf}
                  item={it.item}
                  dir="up"
                  title={it.title}
                  hidden={i === 0}
                />
                <MoveButton
                  action={`${path}/move`}
                  csrf={csrf}
                  item={it.item}
                  dir="down"
                  title={it.title}
                  hidden={i === view.items.length - 1}
                />
                <form method="post" action={`${path}/remove`} class="inline">
                  <input type="hidden" name="csrf" value={csrf} />
                  <input type="hidden" name="item" value={it.item} />
                  <button
                    type="submit"
                    class="small secondary"
                    aria-label={`Remove from playlist: ${it.title}`}
                  >
                    Remove
                  </button>
                </form>
              </div>
            </EpisodeSummary>
          </li>
        ))}
      </ol>
      <p id="order-status" class="muted small" role="status"></p>
    </>
  );
}

function AddSaved(props: { view: PlaylistView; path: string }) {
  const { view } = props;
  if (view.saved.length === 0) {
    return (
      <p>
        Episodes you <a href="/saved">save</a>{" "}
        can be added here. On an episode's page, “Add to playlist” adds it directly.
      </p>
    );
  }
  return (
    <form method="post" action="/playlists/add" class="row">
      <input type="hidden" name="csrf" value={view.me.session.csrf} />
      <input type="hidden" name="playlist" value={view.playlist.id} />
      <input type="hidden" name="return_to" value={props.path} />
      <label for="add-saved" class="inline-label">Saved episode</label>
      <select id="add-saved" name="episode">
        {view.saved.map((s) => (
          <option value={`${s.feed} ${s.item}`}>{`${s.title} — ${s.feedTitle}`}</option>
        ))}
      </select>
      <button type="submit" class="small">Add to this playlist</button>
    </form>
  );
}

/** The whole page of one playlist. */
export function PlaylistPage(props: { view: PlaylistView }) {
  const { view } = props;
  const pl = view.playlist;
  const csrf = view.me.session.csrf;
  const path = `/playlists/${encodeURIComponent(pl.id)}`;
  const errors = view.errors ?? {};
  return (
    <Layout title={pl.name} nav={navOf(view.me)} scripts={["playlist.js"]}>
      <p class="row">
        <span class={pl.is_public ? "badge public" : "badge"}>
          {pl.is_public ? "Public" : "Private"}
        </span>
        <span class="muted">
          {view.items.length} episode{view.items.length === 1 ? "" : "s"}
        </span>
        <a href="/playlists">All playlists</a>
      </p>
      {pl.description && <p class="description">{pl.description}</p>}
      <Flash ok={view.ok} error={errors.form} />
      <h2>Episodes</h2>
      <Items view={view} path={path} />
      <h2>Add an episode</h2>
      <AddSaved view={view} path={path} />
      <h2>Settings</h2>
      <form method="post" action={`${path}/edit`}>
        <input type="hidden" name="csrf" value={csrf} />
        <Field
          name="name"
          label="Name"
          value={view.values?.name ?? pl.name}
          error={errors.name}
          maxlength={PLAYLIST_NAME_MAX}
          required
        />
        <label for="description">Description (optional)</label>
        <textarea
          id="description"
          name="description"
          rows={3}
          maxlength={PLAYLIST_DESCRIPTION_MAX}
          autofocus={errors.description ? true : undefined}
          aria-invalid={errors.description ? "true" : undefined}
          aria-describedby={errors.description ? "description-error" : undefined}
        >
          {view.values?.description ?? pl.description}
        </textarea>
        {errors.description && <p class="error" id="description-error">{errors.description}</p>}
        <button type="submit">Save name and description</button>
      </form>
      <h3>Visibility</h3>
      <p>
        {pl.is_public
          ? (
            <>
              Public: anyone can see it on your{" "}
              <a href={`/u/${encodeURIComponent(view.me.user.username)}`}>public profile</a>.
            </>
          )
          : "Private: only you can see it."}
      </p>
      <form method="post" action={`${path}/visibility`}>
        <input type="hidden" name="csrf" value={csrf} />
        <input type="hidden" name="is_public" value={pl.is_public ? "false" : "true"} />
        <button type="submit" class="secondary">
          {pl.is_public ? "Make private" : "Make public"}
        </button>
      </form>
      <h3>RSS feed</h3>
      <p>
        Any podcast app or RSS reader can follow this playlist at its personal feed address:
      </p>
      <code class="token">{`${view.baseUrl}/rss/<your user token>/playlists/${pl.id}`}</code>
      <p>
        Replace <code>&lt;your user token&gt;</code>{" "}
        with one of your user tokens. A token is shown only once, when you create it: make one for
        this reader on the <a href="/users/tokens">user tokens page</a>.
      </p>
      <h3>Delete</h3>
      <Confirm
        action={`${path}/delete`}
        csrf={csrf}
        label="Delete playlist"
        accessibleLabel={`Delete playlist ${pl.name}`}
        question={`Delete “${pl.name}” and its list of episodes? The episodes themselves stay.`}
        confirm="Yes, delete this playlist"
      />
    </Layout>
  );
}
