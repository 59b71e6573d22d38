/** The "Erase listening history" forms of the privacy page (SPEC §7.3), each confirmed. */
import type { EpisodeLabel, FeedLabel } from "../../src/store/episode_labels.ts";
import { Confirm } from "./components.tsx";

/** What an erase form erases. */
export type EraseKind = "episode" | "podcast" | "all";

function ConfirmBox(props: { kind: EraseKind; error?: string }) {
  const id = `erase-${props.kind}-confirm`;
  return (
    <div>
      <label class="check" for={id}>
        <input
          type="checkbox"
          id={id}
          name="confirm"
          value="yes"
          required
          autofocus={props.error ? true : undefined}
          aria-invalid={props.error ? "true" : undefined}
          aria-describedby={props.error ? `${id}-error` : undefined}
        />{" "}
        I understand that an erased history cannot come back.
      </label>
      {props.error && <p class="error" id={`${id}-error`}>{props.error}</p>}
    </div>
  );
}

/** The three erase forms: one episode, one podcast, everything. */
export function EraseForms(
  props: {
    csrf: string;
    feeds: readonly FeedLabel[];
    episodes: readonly EpisodeLabel[];
    errors: Partial<Record<EraseKind, string>>;
  },
) {
  const { csrf, errors } = props;
  return (
    <section aria-labelledby="erase-heading">
      <h2 id="erase-heading">Erase listening history</h2>
      <p>
        Erasing deletes the plays, positions, saves and shares — and past subscriptions — of what
        you choose, here and in the public timeline and trending counts. Current subscriptions,
        playlists and privacy levels stay.
      </p>
      <div class="stack">
        {props.episodes.length > 0 && (
          <div>
            <Confirm
              action="/privacy/erase"
              csrf={csrf}
              label="Erase one episode…"
              question="Which episode's history should be erased?"
              confirm="Erase this episode's history"
              fields={{ scope: "episode" }}
              open={Boolean(errors.episode)}
            >
              <label for="erase-episode">Episode</label>
              <select id="erase-episode" name="episode">
                {props.episodes.map((e) => (
                  <option value={`${e.feed} ${e.item}`}>{`${e.title} — ${e.feedTitle}`}</option>
                ))}
              </select>
              <ConfirmBox kind="episode" error={errors.episode} />
            </Confirm>
          </div>
        )}
        {props.feeds.length > 0 && (
          <div>
            <Confirm
              action="/privacy/erase"
              csrf={csrf}
              label="Erase one podcast…"
              question="Which podcast's history should be erased?"
              confirm="Erase this podcast's history"
              fields={{ scope: "podcast" }}
              open={Boolean(errors.podcast)}
            >
              <label for="erase-podcast">Podcast</label>
              <select id="erase-podcast" name="feed">
                {props.feeds.map((f) => (
                  <option value={f.feed}>
                    {f.title}
                  </option>
                ))}
              </select>
              <ConfirmBox kind="podcast" error={errors.podcast} />
            </Confirm>
          </div>
        )}
        <div>
          <Confirm
            action="/privacy/erase"
            csrf={csrf}
            label="Erase all my history…"
            question="Erase your whole listening history?"
            confirm="Erase everything"
            fields={{ scope: "all" }}
            open={Boolean(errors.all)}
          >
            <ConfirmBox kind="all" error={errors.all} />
          </Confirm>
        </div>
      </div>
    </section>
  );
}
