/**
 * How three real clients read gpodder answers, rewritten from their source (read, never
 * copied) so the replays fail where the app would:
 * - AntennaPod parses with Android's `org.json` (`getLong`, `getString`, `optInt`…) in
 *   `GpodnetService.java`, `ResponseMapper.java` and `EpisodeAction.readFromJsonObject`;
 * - Kasts reads `QJsonValue`s (`toInt()` is 0 for anything but a JSON integer, timestamps
 *   go through `QDateTime::fromString(…, "yyyy-MM-dd'T'hh:mm:ss")`) in
 *   `src/sync/gpodder/*request.cpp`;
 * - gPodder goes through mygpoclient 1.9 (`api.py`), whose `from_dictionary` checks raise
 *   and fail the whole download on a single bad value.
 */

// deno-lint-ignore no-explicit-any
type Json = any;

/** A JSON object as the client sees it. */
type Obj = Record<string, Json>;

function isObject(v: Json): v is Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Android `org.json` (what AntennaPod uses): coercing getters that throw when they cannot. */
export const orgJson = {
  object(text: string): Obj {
    const v = JSON.parse(text);
    if (!isObject(v)) throw new Error(`org.json: not a JSONObject: ${text.slice(0, 80)}`);
    return v;
  },
  array(text: string): Json[] {
    const v = JSON.parse(text);
    if (!Array.isArray(v)) throw new Error(`org.json: not a JSONArray: ${text.slice(0, 80)}`);
    return v;
  },
  getArray(o: Obj, key: string): Json[] {
    if (!Array.isArray(o[key])) throw new Error(`org.json: ${key} is not a JSONArray`);
    return o[key];
  },
  /** `getLong`: a number (truncated) or a numeric string; anything else throws. */
  getLong(o: Obj, key: string): number {
    const v = o[key];
    if (typeof v === "number" && Number.isFinite(v)) return Math.trunc(v);
    if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) {
      return Math.trunc(Number(v));
    }
    throw new Error(`org.json: ${key} is not a long: ${JSON.stringify(v)}`);
  },
  getInt(o: Obj, key: string): number {
    const n = orgJson.getLong(o, key);
    if (n > 2 ** 31 - 1 || n < -(2 ** 31)) throw new Error(`org.json: ${key} is not an int`);
    return n;
  },
  /** `getString`: coerces numbers and booleans; a missing key or `null` throws. */
  getString(o: Obj, key: string): string {
    const v = o[key];
    if (v === undefined || v === null) throw new Error(`org.json: no value for ${key}`);
    if (typeof v === "object") return JSON.stringify(v);
    return String(v);
  },
  /** `optString(name, fallback)`: `null` reads as the string "null". */
  optString(o: Obj, key: string, fallback: string | null): string | null {
    const v = o[key];
    if (v === undefined) return fallback;
    if (v === null) return "null";
    return typeof v === "object" ? JSON.stringify(v) : String(v);
  },
  /** `optInt(name, fallback)`: numbers and numeric strings, else the fallback. */
  optInt(o: Obj, key: string, fallback: number): number {
    try {
      return orgJson.getInt(o, key);
    } catch {
      return fallback;
    }
  },
};

/** An episode action as AntennaPod keeps it (`EpisodeAction.readFromJsonObject`). */
export interface AntennaPodAction {
  podcast: string;
  episode: string;
  guid?: string;
  action: "NEW" | "DOWNLOAD" | "PLAY" | "DELETE";
  /** ms, or undefined when the timestamp did not parse. */
  timestamp?: number;
  /** -1 unless started ≥ 0, position > 0 and total > 0 all hold. */
  started: number;
  position: number;
  total: number;
}

/** `SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ss")` in UTC: parses a prefix, ignores the rest. */
function javaUtcPrefix(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/.exec(text);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : undefined;
}

/** AntennaPod's reading of one action; null when it skips it. */
export function antennaPodAction(o: Obj): AntennaPodAction | null {
  const podcast = orgJson.optString(o, "podcast", null);
  const episode = orgJson.optString(o, "episode", null);
  const actionText = orgJson.optString(o, "action", null);
  if (!podcast || !episode || !actionText) return null;
  const action = actionText.toUpperCase();
  if (!["NEW", "DOWNLOAD", "PLAY", "DELETE"].includes(action)) return null;
  const ts = orgJson.optString(o, "timestamp", null);
  const guid = orgJson.optString(o, "guid", null);
  const out: AntennaPodAction = {
    podcast,
    episode,
    action: action as AntennaPodAction["action"],
    ...(ts ? { timestamp: javaUtcPrefix(ts) } : {}),
    ...(guid ? { guid } : {}),
    started: -1,
    position: -1,
    total: -1,
  };
  if (action === "PLAY") {
    const started = orgJson.optInt(o, "started", -1);
    const position = orgJson.optInt(o, "position", -1);
    const total = orgJson.optInt(o, "total", -1);
    if (started >= 0 && position > 0 && total > 0) Object.assign(out, { started, position, total });
  }
  return out;
}

/** `GuidValidator.isValidGuid`: what AntennaPod looks an episode up by. */
export function antennaPodGuidValid(guid: string | undefined): boolean {
  return guid !== undefined && guid.trim() !== "" && guid !== "null";
}

/** Qt's `QJsonValue`, as Kasts reads gpodder answers. */
export const qt = {
  /** `toInt()`: a JSON number that is a whole int32, else 0. */
  toInt(v: Json): number {
    return typeof v === "number" && Number.isInteger(v) && Math.abs(v) <= 2 ** 31 - 1 ? v : 0;
  },
  /** `toString()`: a JSON string, else "". */
  toString(v: Json): string {
    return typeof v === "string" ? v : "";
  },
  /** `toArray()`: an array, else empty. */
  toArray(v: Json): Json[] {
    return Array.isArray(v) ? v : [];
  },
  /**
   * Kasts' action time: the text before the first "." through
   * `QDateTime::fromString(…, "yyyy-MM-dd'T'hh:mm:ss")`, which must match whole (a trailing
   * `Z` or offset makes it invalid). Seconds, or NaN when invalid.
   */
  actionTime(text: string): number {
    const head = text.split(".")[0];
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(head);
    return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) / 1000 : NaN;
  },
};

/** Python's `int()` as mygpoclient applies it (`int(None)` is a TypeError). */
function pyInt(v: Json, what: string): number {
  if (typeof v === "number" && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === "string" && /^\s*[-+]?\d+\s*$/.test(v)) return Number(v);
  throw new Error(`mygpoclient: ${what} is not an int: ${JSON.stringify(v)}`);
}

/** mygpoclient's `util.iso8601_to_datetime` formats (no offsets). */
function pyIsoOk(text: Json): boolean {
  return typeof text === "string" &&
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6}|Z)?$/.test(text);
}

/** mygpoclient's checks on one downloaded action (`EpisodeAction.from_dictionary`). */
export function mygpoAction(d: Obj): Obj {
  for (const k of ["podcast", "episode", "action"]) {
    if (!(k in d)) throw new Error(`mygpoclient: InvalidResponse (missing ${k})`);
  }
  if (!["download", "play", "delete", "new", "flattr"].includes(d.action)) {
    throw new Error(`mygpoclient: invalid action ${d.action}`);
  }
  const opt = (k: string) => d[k] ?? null;
  if (d.action !== "play") {
    for (const k of ["started", "position", "total"]) {
      if (opt(k) !== null) throw new Error(`mygpoclient: ${k} on a ${d.action} action`);
    }
  }
  if (opt("timestamp") !== null && !pyIsoOk(d.timestamp)) {
    throw new Error(`mygpoclient: bad timestamp ${d.timestamp}`);
  }
  if (opt("position") === null && (opt("started") !== null || opt("total") !== null)) {
    throw new Error("mygpoclient: started or total without position");
  }
  const out: Obj = { podcast: d.podcast, episode: d.episode, action: d.action };
  for (const k of ["device", "timestamp"]) if (opt(k) !== null) out[k] = d[k];
  for (const k of ["started", "position", "total"]) if (opt(k) !== null) out[k] = pyInt(d[k], k);
  return out;
}

/** mygpoclient's `PodcastDevice.from_dictionary`. */
export function mygpoDevice(d: Obj): Obj {
  for (const k of ["id", "caption", "type", "subscriptions"]) {
    if (!(k in d)) throw new Error(`mygpoclient: InvalidResponse (device without ${k})`);
  }
  if (!["desktop", "laptop", "mobile", "server", "other"].includes(d.type)) {
    throw new Error(`mygpoclient: invalid device type ${d.type}`);
  }
  return { ...d, subscriptions: pyInt(d.subscriptions, "subscriptions") };
}

/** mygpoclient's reading of `{timestamp, update_urls}` (`update_subscriptions`). */
export function mygpoUpdateResult(d: Obj): { since: number; updateUrls: [string, string][] } {
  if (!isObject(d) || !("timestamp" in d) || !("update_urls" in d)) {
    throw new Error("mygpoclient: InvalidResponse");
  }
  const pairs = (d.update_urls as Json[]).map((p) => {
    if (!Array.isArray(p) || p.length !== 2) throw new Error("mygpoclient: bad update_urls");
    if (typeof p[0] !== "string" || typeof p[1] !== "string") {
      throw new Error("mygpoclient: bad update_urls");
    }
    return [p[0], p[1]] as [string, string];
  });
  return { since: pyInt(d.timestamp, "timestamp"), updateUrls: pairs };
}
