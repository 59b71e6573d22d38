/**
 * Reading what gpodder clients upload into domain input (SPEC §9): subscription changes and
 * episode actions. Every value is checked before anything is written, so a bad action makes
 * the whole request a clear 400 and nothing is half-written.
 */
import type { EpisodeActionInput } from "../../src/domain/commands.ts";
import { encodeFeedId } from "../../src/domain/ids.ts";
import { isoAt } from "../../src/clock.ts";
import { parseActionTime, sanitizeUrl } from "../../src/gpodder/format.ts";
import { HttpError } from "../errors.ts";

/** Most actions one upload may carry (real clients send 30 or 100 at a time). */
export const MAX_ACTIONS = 2_000;
/** Most URLs one subscription upload may carry. */
export const MAX_SUBSCRIPTION_URLS = 10_000;
/** A client clock may run this far ahead; later action times are taken as now. */
const AHEAD_MS = 24 * 3_600_000;

const ACTIONS = new Set(["download", "play", "delete", "new"]);

function bad(message: string): HttpError {
  return new HttpError(400, "invalid_request", message);
}

/** `[[old, new], …]` for URLs the sanitising changed (`new` is "" when dropped). */
export type UpdateUrls = [string, string][];

/** Sanitises a URL, noting the change; returns the canonical feed id or null when dropped. */
function feedOf(raw: string, updates: UpdateUrls, seen: Set<string>): string | null {
  const clean = sanitizeUrl(raw);
  if (clean !== raw && !seen.has(raw)) {
    seen.add(raw);
    updates.push([raw, clean]);
  }
  return clean === "" ? null : encodeFeedId(clean);
}

function urlList(value: unknown, name: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw bad(`"${name}" must be a list of URLs.`);
  if (value.length > MAX_SUBSCRIPTION_URLS) throw bad(`Too many URLs in "${name}".`);
  return value.map((v) => {
    if (typeof v !== "string") throw bad(`"${name}" must hold URL strings.`);
    return v;
  });
}

/**
 * A `{add, remove}` subscription upload: canonical feed ids, the URL updates, and a 400
 * when one URL is both added and removed.
 */
export function parseSubscriptionChanges(body: unknown): {
  add: string[];
  remove: string[];
  updateUrls: UpdateUrls;
} {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw bad('Expected {"add": [...], "remove": [...]}.');
  }
  const o = body as Record<string, unknown>;
  const addRaw = urlList(o.add, "add");
  const removeRaw = urlList(o.remove, "remove");
  const inAdd = new Set(addRaw.map((u) => u.trim()));
  for (const u of removeRaw) {
    if (inAdd.has(u.trim())) throw bad(`${u} cannot be added and removed at once.`);
  }
  const updateUrls: UpdateUrls = [];
  const seen = new Set<string>();
  const add = [
    ...new Set(addRaw.map((u) => feedOf(u, updateUrls, seen)).filter((f) => f !== null)),
  ];
  const addSet = new Set(add);
  // Two spellings sanitised to one feed, added and removed: the removal is ignored (mygpo).
  const remove = [
    ...new Set(
      removeRaw.map((u) => feedOf(u, updateUrls, seen)).filter((f) => f !== null && !addSet.has(f)),
    ),
  ] as string[];
  return { add: add as string[], remove, updateUrls };
}

/** A list of feed URLs (the simple API's PUT, any format), as canonical feed ids. */
export function feedIdsOf(urls: readonly string[]): string[] {
  const ids = urls.map((u) => sanitizeUrl(u)).filter((u) => u !== "").map(encodeFeedId);
  return [...new Set(ids)];
}

function intField(o: Record<string, unknown>, name: string): number | undefined {
  const v = o[name];
  if (v === undefined || v === null) return undefined;
  const n = typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isFinite(n)) throw bad(`"${name}" must be a number.`);
  const whole = Math.floor(n);
  // The domain refuses unsafe integers: found here, the upload is refused whole (a 400)
  // instead of the action being dropped from an answer that says 200.
  if (!Number.isSafeInteger(whole)) throw bad(`"${name}" is out of range.`);
  return whole < 0 ? undefined : whole; // -1 is how clients say "unknown"
}

/**
 * An episode-action upload: the actions in domain terms plus the URL updates.
 * `pathDevice` is the device of Nextcloud uploads, which carry none per action.
 * @throws {HttpError} 400 for anything malformed (nothing is written then).
 */
export function parseEpisodeActions(
  body: unknown,
  now: number,
  options: { fallbackDevice?: string } = {},
): { actions: EpisodeActionInput[]; updateUrls: UpdateUrls } {
  if (!Array.isArray(body)) throw bad("Expected a list of episode actions.");
  if (body.length > MAX_ACTIONS) {
    throw new HttpError(413, "too_many_actions", `At most ${MAX_ACTIONS} actions per upload.`);
  }
  const updateUrls: UpdateUrls = [];
  const seen = new Set<string>();
  const actions: EpisodeActionInput[] = [];
  body.forEach((raw, i) => {
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
      throw bad(`Action ${i} is not an object.`);
    }
    const o = raw as Record<string, unknown>;
    if (typeof o.podcast !== "string" || typeof o.episode !== "string") {
      throw bad(`Action ${i} needs "podcast" and "episode" URLs.`);
    }
    const action = typeof o.action === "string" ? o.action.toLowerCase() : "";
    if (!ACTIONS.has(action)) throw bad(`Action ${i}: unknown action ${JSON.stringify(o.action)}.`);
    let at: number | undefined;
    if (o.timestamp !== undefined && o.timestamp !== null && o.timestamp !== "") {
      const t = parseActionTime(o.timestamp);
      if (t === null) throw bad(`Action ${i}: unreadable timestamp.`);
      at = t > now + AHEAD_MS ? now : t;
    }
    const device = o.device === undefined || o.device === null || o.device === ""
      ? options.fallbackDevice
      : o.device;
    if (device !== undefined && (typeof device !== "string" || !/^[\w.-]{1,64}$/.test(device))) {
      throw bad(`Action ${i}: bad device id.`);
    }
    const guid = typeof o.guid === "string" && o.guid !== "" && o.guid !== "null"
      ? o.guid.slice(0, 2048)
      : undefined;
    const started = intField(o, "started");
    const position = intField(o, "position");
    const total = intField(o, "total");
    const feed = feedOf(o.podcast, updateUrls, seen);
    const enclosure = sanitizeUrl(o.episode);
    if (enclosure !== o.episode && !seen.has(o.episode)) {
      seen.add(o.episode);
      updateUrls.push([o.episode, enclosure]);
    }
    if (feed === null || enclosure === "") return; // dropped, as mygpo does
    actions.push({
      feed,
      enclosureUrl: enclosure,
      ...(guid ? { guid } : {}),
      action: action as EpisodeActionInput["action"],
      ...(at === undefined ? {} : { at: isoAt(at) }),
      ...(action === "play" && started !== undefined ? { started } : {}),
      ...(action === "play" && position !== undefined ? { position } : {}),
      ...(action === "play" && total !== undefined ? { total } : {}),
      ...(device ? { device: { id: device } } : {}),
    });
  });
  return { actions, updateUrls };
}
