/**
 * AntennaPod's sync, replayed from its source (read, never copied): `SyncService.doWork`
 * (log in, subscriptions, then episode actions, with the first-sync uploads),
 * `EpisodeActionFilter` and `processEpisodeActions` for applying remote plays, over either
 * `GpodnetService` (gpodder.net API v2: Basic only on login.json, then only the cookie;
 * uploads of 30 actions with the device id) or `NextcloudSyncService` (Basic on every
 * request to `/index.php/apps/gpoddersync/…`, uploads of 30 actions without a device, the
 * "since" of the next sync taken from the phone's own clock after an upload).
 */
import assert from "node:assert/strict";
import { AppHttp, type Send } from "./_http.ts";
import {
  type AntennaPodAction,
  antennaPodAction,
  antennaPodGuidValid,
  orgJson,
} from "./_readers.ts";

/** `UPLOAD_BULK_SIZE` in both services. */
export const ANTENNAPOD_BATCH = 30;
/** `UserPreferences.getSmartMarkAsPlayedSecs()` default. */
const SMART_MARK_S = 30;

interface Changes {
  added: string[];
  removed: string[];
  timestamp: number;
}

/** What AntennaPod's `ISyncService` does; both implementations below. */
interface SyncServiceApi {
  login(): Promise<void>;
  getSubscriptionChanges(since: number): Promise<Changes>;
  uploadSubscriptionChanges(added: string[], removed: string[]): Promise<number>;
  getEpisodeActionChanges(
    since: number,
  ): Promise<{ actions: AntennaPodAction[]; timestamp: number }>;
  uploadEpisodeActions(actions: AntennaPodAction[]): Promise<number>;
}

/** `checkStatusCode` / `performRequest`: anything but 200 is an error. */
function ok200(status: number, text: string, what: string): void {
  assert.equal(status, 200, `AntennaPod ${what}: HTTP ${status} ${text.slice(0, 200)}`);
}

/** `EpisodeAction.writeToJsonObject`. */
function writeAction(a: AntennaPodAction): Record<string, unknown> {
  return {
    podcast: a.podcast,
    episode: a.episode,
    ...(a.guid === undefined ? {} : { guid: a.guid }),
    action: a.action.toLowerCase(),
    timestamp: new Date(a.timestamp!).toISOString().slice(0, 19),
    ...(a.action === "PLAY" ? { started: a.started, position: a.position, total: a.total } : {}),
  };
}

function readChanges(text: string): Changes {
  const o = orgJson.object(text);
  // JSONArray.getString, and "gpodder escapes colons unnecessarily".
  const strings = (key: string) =>
    orgJson.getArray(o, key).map((v) => orgJson.getString({ v }, "v").replaceAll("%3A", ":"));
  return {
    added: strings("add"),
    removed: strings("remove"),
    timestamp: orgJson.getLong(o, "timestamp"),
  };
}

function readActions(text: string): { actions: AntennaPodAction[]; timestamp: number } {
  const o = orgJson.object(text);
  const timestamp = orgJson.getLong(o, "timestamp");
  const actions = orgJson.getArray(o, "actions").flatMap((a) => {
    const read = antennaPodAction(a);
    return read ? [read] : [];
  });
  return { actions, timestamp };
}

/** `GpodnetService`: the gpodder.net API v2. */
export class GpodnetService implements SyncServiceApi {
  readonly http: AppHttp;
  readonly #u: string;
  readonly #device: string;

  constructor(send: Send, username: string, password: string, deviceId: string) {
    this.http = new AppHttp(send, { username, password, userAgent: "AntennaPod/3.7.0" });
    this.#u = username;
    this.#device = deviceId;
  }

  async login(): Promise<void> {
    const r = await this.http.request("POST", `/api/2/auth/${this.#u}/login.json`, {
      body: "",
      headers: { "Content-Type": "plain/text; charset=utf-8" },
      basic: true,
    });
    ok200(r.status, r.text, "login");
  }

  async #json(method: string, path: string, body?: unknown): Promise<string> {
    const r = await this.http.request(method, path, {
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      headers: { "Content-Type": "application/json; charset=utf-8" },
    });
    ok200(r.status, r.text, `${method} ${path}`);
    return r.text;
  }

  /** `configureDevice`: an empty body when there is no caption and no type. */
  async configureDevice(caption?: string, type?: string): Promise<void> {
    const body = caption === undefined && type === undefined ? "" : JSON.stringify({
      ...(caption === undefined ? {} : { caption }),
      ...(type === undefined ? {} : { type }),
    });
    const r = await this.http.request("POST", `/api/2/devices/${this.#u}/${this.#device}.json`, {
      body,
      headers: { "Content-Type": "application/json; charset=utf-8" },
    });
    ok200(r.status, r.text, "configureDevice");
  }

  /** `getDevices` with `readDeviceFromJsonObject`. */
  async getDevices(): Promise<
    { id: string; caption: string; type: string; subscriptions: number }[]
  > {
    const text = await this.#json("GET", `/api/2/devices/${this.#u}.json`);
    return orgJson.array(text).map((d) => ({
      id: orgJson.getString(d, "id"),
      caption: orgJson.getString(d, "caption"),
      type: orgJson.getString(d, "type"),
      subscriptions: orgJson.getInt(d, "subscriptions"),
    }));
  }

  /** `getSynchronizedDevices`. */
  async getSynchronizedDevices(): Promise<string[][]> {
    const o = orgJson.object(await this.#json("GET", `/api/2/sync-devices/${this.#u}.json`));
    const groups = orgJson.getArray(o, "synchronized").map((g) => (g as string[]).map(String));
    const alone = orgJson.getArray(o, "not-synchronized").map((d) => [String(d)]);
    return [...groups, ...alone];
  }

  async getSubscriptionChanges(since: number): Promise<Changes> {
    const path = `/api/2/subscriptions/${this.#u}/${this.#device}.json?since=${since}`;
    return readChanges(await this.#json("GET", path));
  }

  /** `GpodnetUploadChangesResponse.fromJSONObject`. */
  async uploadSubscriptionChanges(added: string[], removed: string[]): Promise<number> {
    const path = `/api/2/subscriptions/${this.#u}/${this.#device}.json`;
    const o = orgJson.object(await this.#json("POST", path, { add: added, remove: removed }));
    for (const pair of orgJson.getArray(o, "update_urls")) {
      orgJson.getString({ a: pair[0] }, "a");
      orgJson.getString({ b: pair[1] }, "b");
    }
    return orgJson.getLong(o, "timestamp");
  }

  async getEpisodeActionChanges(since: number) {
    return readActions(await this.#json("GET", `/api/2/episodes/${this.#u}.json?since=${since}`));
  }

  /** Batches of 30, each action with `device` added; the last answer's timestamp. */
  async uploadEpisodeActions(actions: AntennaPodAction[]): Promise<number> {
    let timestamp = 0;
    for (let i = 0; i < actions.length; i += ANTENNAPOD_BATCH) {
      const list = actions.slice(i, i + ANTENNAPOD_BATCH).map((a) => ({
        ...writeAction(a),
        device: this.#device,
      }));
      const o = orgJson.object(await this.#json("POST", `/api/2/episodes/${this.#u}.json`, list));
      orgJson.getArray(o, "update_urls");
      timestamp = orgJson.getLong(o, "timestamp");
    }
    return timestamp;
  }
}

/** `NextcloudSyncService`: Basic on every request; uploads answer with the phone's clock. */
export class NextcloudSyncService implements SyncServiceApi {
  readonly http: AppHttp;
  readonly #now: () => number;

  constructor(send: Send, loginName: string, appPassword: string, now: () => number) {
    this.http = new AppHttp(send, {
      username: loginName,
      password: appPassword,
      userAgent: "AntennaPod/3.7.0",
    });
    this.#now = now;
  }

  login(): Promise<void> {
    return Promise.resolve();
  }

  async #perform(method: string, path: string, body?: unknown): Promise<string> {
    const r = await this.http.request(method, path, {
      basic: true,
      headers: { Accept: "application/json", "Content-Type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    ok200(r.status, r.text, `${method} ${path}`);
    return r.text;
  }

  async getSubscriptionChanges(since: number): Promise<Changes> {
    return readChanges(
      await this.#perform("GET", `/index.php/apps/gpoddersync/subscriptions?since=${since}`),
    );
  }

  async uploadSubscriptionChanges(added: string[], removed: string[]): Promise<number> {
    await this.#perform("POST", "/index.php/apps/gpoddersync/subscription_change/create", {
      add: added,
      remove: removed,
    });
    return Math.floor(this.#now() / 1000);
  }

  async getEpisodeActionChanges(since: number) {
    return readActions(
      await this.#perform("GET", `/index.php/apps/gpoddersync/episode_action?since=${since}`),
    );
  }

  async uploadEpisodeActions(actions: AntennaPodAction[]): Promise<number> {
    for (let i = 0; i < actions.length; i += ANTENNAPOD_BATCH) {
      const list = actions.slice(i, i + ANTENNAPOD_BATCH).map(writeAction);
      await this.#perform("POST", "/index.php/apps/gpoddersync/episode_action/create", list);
    }
    return Math.floor(this.#now() / 1000);
  }
}

/** An episode in the phone's database. */
export interface LocalEpisode {
  readonly podcast: string;
  readonly url: string;
  readonly guid?: string;
  /** Seconds (0 when unknown). */
  readonly duration: number;
  position: number;
  played: boolean;
}

/** A phone running AntennaPod: its database, its sync queue and `SyncService.doWork`. */
export class AntennaPodPhone {
  readonly service: SyncServiceApi;
  readonly subscriptions = new Set<string>();
  readonly episodes = new Map<string, LocalEpisode>();
  queuedAdded: string[] = [];
  queuedRemoved: string[] = [];
  queuedActions: AntennaPodAction[] = [];
  lastSubscriptionSync = 0;
  lastActionSync = 0;
  readonly #now: () => number;

  constructor(service: SyncServiceApi, now: () => number) {
    this.service = service;
    this.#now = now;
  }

  /** The user subscribes in the app (`SynchronizationQueueSink.enqueueFeedAdded`). */
  subscribe(url: string): void {
    this.subscriptions.add(url);
    this.queuedRemoved = this.queuedRemoved.filter((u) => u !== url);
    this.queuedAdded.push(url);
  }

  unsubscribe(url: string): void {
    this.subscriptions.delete(url);
    this.queuedAdded = this.queuedAdded.filter((u) => u !== url);
    this.queuedRemoved.push(url);
  }

  /** A feed refresh put this episode in the database. */
  knows(e: Omit<LocalEpisode, "position" | "played">): LocalEpisode {
    const local = { ...e, position: 0, played: false };
    this.episodes.set(e.url, local);
    return local;
  }

  /** The user listened from `started` to `position` (seconds): a queued play action. */
  play(url: string, started: number, position: number): void {
    const e = this.episodes.get(url)!;
    e.position = position;
    this.queuedActions.push({
      podcast: e.podcast,
      episode: e.url,
      ...(e.guid === undefined ? {} : { guid: e.guid }),
      action: "PLAY",
      timestamp: Math.floor(this.#now() / 1000) * 1000,
      started,
      position,
      total: e.duration,
    });
  }

  /** `SyncService.doWork`. */
  async sync(): Promise<void> {
    await this.service.login();
    await this.#syncSubscriptions();
    await this.#syncEpisodeActions();
  }

  async #syncSubscriptions(): Promise<void> {
    const lastSync = this.lastSubscriptionSync;
    const local = [...this.subscriptions];
    const changes = await this.service.getSubscriptionChanges(lastSync);
    let newTimestamp = changes.timestamp;
    let added = this.queuedAdded;
    let removed = this.queuedRemoved;
    for (const url of changes.added) {
      if (!url.startsWith("http")) continue;
      if (!this.subscriptions.has(url) && !removed.includes(url)) this.subscriptions.add(url);
    }
    for (const url of changes.removed) if (!added.includes(url)) this.subscriptions.delete(url);
    if (lastSync === 0) {
      added = local.filter((u) => !changes.added.includes(u));
      removed = removed.filter((u) => !changes.removed.includes(u));
    }
    if (added.length > 0 || removed.length > 0) {
      newTimestamp = await this.service.uploadSubscriptionChanges(added, removed);
      this.queuedAdded = [];
      this.queuedRemoved = [];
    }
    this.lastSubscriptionSync = newTimestamp;
  }

  async #syncEpisodeActions(): Promise<void> {
    const lastSync = this.lastActionSync;
    const got = await this.service.getEpisodeActionChanges(lastSync);
    let newTimestamp = got.timestamp;
    this.#process(got.actions);
    const queued = [...this.queuedActions];
    if (lastSync === 0) {
      for (const e of this.episodes.values()) {
        if (!e.played) continue;
        queued.push({
          podcast: e.podcast,
          episode: e.url,
          ...(e.guid === undefined ? {} : { guid: e.guid }),
          action: "PLAY",
          timestamp: Math.floor(this.#now() / 1000) * 1000,
          started: e.duration,
          position: e.duration,
          total: e.duration,
        });
      }
    }
    if (queued.length > 0) {
      newTimestamp = await this.service.uploadEpisodeActions(queued);
      this.queuedActions = [];
    }
    this.lastActionSync = newTimestamp;
  }

  /** `EpisodeActionFilter` then `processEpisodeActions`. */
  #process(remote: AntennaPodAction[]): void {
    const newer = (a?: AntennaPodAction, b?: AntennaPodAction) =>
      b !== undefined && b.timestamp !== undefined &&
      (a?.timestamp === undefined || b.timestamp > a.timestamp);
    const localLatest = new Map<string, AntennaPodAction>();
    for (const a of this.queuedActions) {
      const k = `${a.podcast}\n${a.episode}`;
      const seen = localLatest.get(k);
      if (!seen || seen.timestamp === undefined || newer(seen, a)) localLatest.set(k, a);
    }
    const chosen = new Map<string, AntennaPodAction>();
    for (const a of remote) {
      if (a.action !== "PLAY") continue;
      const k = `${a.podcast}\n${a.episode}`;
      if (newer(a, localLatest.get(k)) || newer(a, chosen.get(k))) continue;
      chosen.set(k, a);
    }
    for (const a of chosen.values()) {
      const byGuid = antennaPodGuidValid(a.guid)
        ? [...this.episodes.values()].find((e) => e.guid === a.guid)
        : undefined;
      const e = byGuid ?? this.episodes.get(a.episode);
      if (!e) continue;
      e.position = a.position;
      if (e.duration > 0 && e.position >= e.duration - SMART_MARK_S) {
        e.played = true;
        e.position = 0;
      }
    }
  }
}
