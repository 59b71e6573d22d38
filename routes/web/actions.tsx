/**
 * Form endpoints shared by several pages (SPEC §10): an episode's save / unsave / share /
 * played buttons and a privacy level picker. Each runs the same command as the REST API
 * through the user's actor, then goes back to the page the form was on (POST-redirect-GET).
 */
import { Hono } from "hono";
import type { PrivacyLevel } from "../../src/domain/events.ts";
import { PRIVACY_LEVELS } from "../../src/domain/privacy.ts";
import type { AppDeps } from "../../src/services.ts";
import type { CommandInput } from "../../src/user_commands.ts";
import type { AppEnv } from "../context.ts";
import { HttpError } from "../errors.ts";
import { feedAt, itemAt } from "../input.ts";
import { backTo, checkCsrf, readForm, requireUser, WEB_DEVICE } from "./_web.ts";

/** What an episode button does. */
export type EpisodeAction = "save" | "unsave" | "share" | "played" | "unplayed";
const EPISODE_ACTIONS: readonly EpisodeAction[] = ["save", "unsave", "share", "played", "unplayed"];

const LEVEL_LABELS: Record<PrivacyLevel, string> = {
  public: "Public — shown with my name",
  anonymous: "Anonymous — counted, never named",
  private: "Private — never leaves my data",
};

/** A button that saves, unsaves, shares or marks an episode, then returns to `returnTo`. */
export function EpisodeButton(
  props: {
    csrf: string;
    feed: string;
    item: string;
    action: EpisodeAction;
    label: string;
    /** Names the episode for screen readers when several buttons share a page. */
    accessibleLabel?: string;
    returnTo: string;
    secondary?: boolean;
  },
) {
  return (
    <form method="post" action="/web/episodes" class="inline">
      <input type="hidden" name="csrf" value={props.csrf} />
      <input type="hidden" name="feed" value={props.feed} />
      <input type="hidden" name="item" value={props.item} />
      <input type="hidden" name="action" value={props.action} />
      <input type="hidden" name="return_to" value={props.returnTo} />
      <button
        type="submit"
        class={props.secondary === false ? "small" : "small secondary"}
        aria-label={props.accessibleLabel}
      >
        {props.label}
      </button>
    </form>
  );
}

/**
 * A privacy picker for the user's default (no feed), a podcast (`feed`) or an episode
 * (`feed` and `item`). `current` is the override at that scope; "Inherit" removes it.
 */
export function PrivacyForm(
  props: {
    csrf: string;
    feed?: string;
    item?: string;
    current?: PrivacyLevel | null;
    /** The level in force when the override is removed, for the "Inherit" label. */
    inherited?: PrivacyLevel;
    returnTo: string;
    /** Visible label of the picker, e.g. "Privacy of The Daily". */
    label: string;
    /** Unique element id on pages that show many pickers. */
    id: string;
  },
) {
  const scoped = Boolean(props.feed);
  return (
    <form method="post" action="/web/privacy" class="row">
      <input type="hidden" name="csrf" value={props.csrf} />
      {props.feed && <input type="hidden" name="feed" value={props.feed} />}
      {props.item && <input type="hidden" name="item" value={props.item} />}
      <input type="hidden" name="return_to" value={props.returnTo} />
      <label for={props.id} class="inline-label">{props.label}</label>
      <select id={props.id} name="level">
        {scoped && (
          <option value="inherit" selected={!props.current}>
            {props.inherited ? `Inherit (${props.inherited})` : "Inherit"}
          </option>
        )}
        {PRIVACY_LEVELS.map((l) => (
          <option value={l} selected={props.current === l}>{LEVEL_LABELS[l]}</option>
        ))}
      </select>
      <button type="submit" class="small secondary" aria-label={`Save ${props.label}`}>
        Save
      </button>
    </form>
  );
}

/** `POST /web/episodes` and `POST /web/privacy`. */
export function webActionRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/web/episodes", async (c) => {
    const form = await readForm(c);
    const me = await requireUser(c, deps, "/");
    if (me instanceof Response) return me;
    checkCsrf(me.session.csrf, form.csrf);
    const { feed } = feedAt(form.feed, "feed");
    const { item } = itemAt(form.item, "item");
    const action = form.action as EpisodeAction;
    if (!EPISODE_ACTIONS.includes(action)) {
      throw new HttpError(400, "invalid_form", "Unknown episode action.");
    }
    let command: CommandInput;
    if (action === "save") command = { type: "SaveEpisode", data: { feed, item } };
    else if (action === "unsave") command = { type: "UnsaveEpisode", data: { feed, item } };
    else if (action === "share") command = { type: "ShareEpisode", data: { feed, item } };
    else {
      const play = (await deps.registry.state(me.user.id)).plays.get(item);
      command = {
        type: "RecordPlay",
        data: { feed, item, position: play?.position ?? 0, played: action === "played" },
      };
    }
    await deps.registry.execute(me.user.id, command, WEB_DEVICE);
    return c.redirect(backTo(form, `/episodes/${encodeURIComponent(item)}?feed=${feed}`), 303);
  });

  app.post("/web/privacy", async (c) => {
    const form = await readForm(c);
    const me = await requireUser(c, deps, "/privacy");
    if (me instanceof Response) return me;
    checkCsrf(me.session.csrf, form.csrf);
    const level = form.level;
    if (level !== "inherit" && !PRIVACY_LEVELS.includes(level as PrivacyLevel)) {
      throw new HttpError(400, "invalid_form", "Choose public, anonymous or private.");
    }
    const feed = form.feed ? feedAt(form.feed, "feed").feed : undefined;
    const item = form.item ? itemAt(form.item, "item").item : undefined;
    if (item && !feed) throw new HttpError(400, "invalid_form", "An episode needs its podcast.");
    if (level === "inherit" && !feed) {
      throw new HttpError(400, "invalid_form", "Your default level cannot be removed.");
    }
    const scope = item ? "item" : feed ? "feed" : "user";
    await deps.registry.execute(me.user.id, {
      type: "ChangePrivacy",
      data: {
        scope,
        feed,
        item,
        privacy: level === "inherit" ? null : level as PrivacyLevel,
      },
    }, WEB_DEVICE);
    return c.redirect(backTo(form, "/privacy"), 303);
  });

  return app;
}
