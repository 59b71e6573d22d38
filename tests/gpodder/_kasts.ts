/**
 * Kasts' sync, replayed from its source (read, never copied): `GPodder` (`gpodder.cpp`:
 * Basic on every request, Qt's cookie jar keeping the session cookie too), the answer
 * readers (`*request.cpp`: `QJsonValue::toInt()`, timestamps through
 * `QDateTime::fromString(…, "yyyy-MM-dd'T'hh:mm:ss")`), set-up (`Sync::registerNewDevice`,
 * `Sync::linkUpAllDevices`) and `SyncJob` (subscriptions, then episode actions;
 * `aggregated=true` on the first download; every timestamp stored as `timestamp + 1`;
 * uploads of 30 play actions keyed by guid).
 */
import assert from "node:assert/strict";
import { AppHttp, type Send } from "./_http.ts";
import { qt } from "./_readers.ts";

/** `SyncUtils::maxAmountEpisodeUploads`. */
export const KASTS_BATCH = 30;
/** `AudioManager::SKIP_TRACK_END` in seconds. */
const SKIP_TRACK_END_S = 15;

/** `SyncUtils::EpisodeAction` (times in seconds). */
export interface KastsAction {
  podcast: string;
  url: string;
  /** The entry id: the episode's guid. */
  id: string;
  device: string;
  action: string;
  started: number;
  position: number;
  total: number;
  timestamp: number;
}

/** `GPodder`: the requests, for the gpodder.net or the Nextcloud provider. */
export class KastsGPodder {
  readonly http: AppHttp;
  readonly nextcloud: boolean;
  readonly #u: string;

  constructor(send: Send, u: string, password: string, options: { nextcloud?: boolean } = {}) {
    this.http = new AppHttp(send, { username: u, password, userAgent: "Kasts/25.04.0" });
    this.nextcloud = options.nextcloud ?? false;
    this.#u = u;
  }

  /** Every request: Basic, and Qt's default Content-Type for a POST without one. */
  async #request(method: string, path: string, body?: unknown) {
    const r = await this.http.request(method, path, {
      basic: true,
      ...(body === undefined ? {} : {
        body: JSON.stringify(body),
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
      }),
    });
    // QNetworkReply::error() for any non-2xx answer.
    assert.ok(r.status >= 200 && r.status < 300, `Kasts ${method} ${path}: ${r.status} ${r.text}`);
    return r.text === "" ? {} : JSON.parse(r.text);
  }

  /** `DeviceRequest`. */
  async getDevices() {
    const data = await this.#request("GET", `/api/2/devices/${this.#u}.json`);
    return qt.toArray(data).map((d) => ({
      id: qt.toString(d.id),
      caption: qt.toString(d.caption),
      type: qt.toString(d.type),
      subscriptions: qt.toInt(d.subscriptions),
    }));
  }

  async updateDevice(id: string, caption: string, type: string): Promise<void> {
    await this.#request("POST", `/api/2/devices/${this.#u}/${id}.json`, { caption, type });
  }

  /** `SyncRequest`. */
  async getSyncStatus(): Promise<{ synced: string[][]; unsynced: string[] }> {
    const data = await this.#request("GET", `/api/2/sync-devices/${this.#u}.json`);
    return {
      synced: qt.toArray(data.synchronized).map((g) => qt.toArray(g).map(qt.toString)),
      unsynced: qt.toArray(data["not-synchronized"]).map(qt.toString),
    };
  }

  async updateSyncStatus(groups: string[][], stop: string[]): Promise<void> {
    await this.#request("POST", `/api/2/sync-devices/${this.#u}.json`, {
      synchronize: groups,
      "stop-synchronize": stop,
    });
  }

  /** `SubscriptionRequest`. */
  async getSubscriptionChanges(since: number, device: string) {
    const path = this.nextcloud
      ? `/index.php/apps/gpoddersync/subscriptions?since=${since}`
      : `/api/2/subscriptions/${this.#u}/${device}.json?since=${since}`;
    const data = await this.#request("GET", path);
    return {
      add: qt.toArray(data.add).map(qt.toString),
      remove: qt.toArray(data.remove).map(qt.toString),
      timestamp: qt.toInt(data.timestamp),
    };
  }

  /** `UploadSubscriptionRequest`. */
  async uploadSubscriptionChanges(add: string[], remove: string[], device: string) {
    const path = this.nextcloud
      ? "/index.php/apps/gpoddersync/subscription_change/create"
      : `/api/2/subscriptions/${this.#u}/${device}.json`;
    const data = await this.#request("POST", path, { add, remove });
    return { timestamp: qt.toInt(data.timestamp), updateUrls: qt.toArray(data.update_urls) };
  }

  /** `EpisodeActionRequest` (the entry look-ups are the app's, in `KastsApp`). */
  async getEpisodeActions(since: number, aggregated: boolean) {
    const path = this.nextcloud
      ? `/index.php/apps/gpoddersync/episode_action?since=${since}`
      : `/api/2/episodes/${this.#u}.json?since=${since}&aggregated=${aggregated}`;
    const data = await this.#request("GET", path);
    const actions = qt.toArray(data.actions).map((a): KastsAction => {
      const action = qt.toString(a.action).toLowerCase();
      const play = action === "play";
      return {
        id: qt.toString(a.guid),
        url: qt.toString(a.episode),
        podcast: qt.toString(a.podcast),
        device: qt.toString(a.device),
        action,
        started: play ? qt.toInt(a.started) : 0,
        position: play ? qt.toInt(a.position) : 0,
        total: play ? qt.toInt(a.total) : 0,
        timestamp: qt.actionTime(qt.toString(a.timestamp)),
      };
    });
    return { actions, timestamp: qt.toInt(data.timestamp) };
  }

  /** `uploadEpisodeActions`: Kasts' guid as `guid`, the time without its `Z`. */
  async uploadEpisodeActions(actions: KastsAction[]) {
    const path = this.nextcloud
      ? "/index.php/apps/gpoddersync/episode_action/create"
      : `/api/2/episodes/${this.#u}.json`;
    const body = actions.map((a) => ({
      podcast: a.podcast,
      episode: a.url,
      guid: a.id,
      device: a.device,
      action: a.action,
      timestamp: new Date(a.timestamp * 1000).toISOString().slice(0, 19),
      ...(a.action === "play" ? { started: a.started, position: a.position, total: a.total } : {}),
    }));
    const data = await this.#request("POST", path, body);
    return { timestamp: qt.toInt(data.timestamp) };
  }
}

/** An entry in Kasts' database. */
export interface KastsEntry {
  readonly podcast: string;
  readonly url: string;
  readonly id: string;
  /** Seconds. */
  readonly duration: number;
  position: number;
  read: boolean;
}

/** Kasts on one machine: its database and `SyncJob::doRegularSync`. */
export class KastsApp {
  readonly gpodder: KastsGPodder;
  readonly device: string;
  readonly feeds = new Set<string>();
  readonly entries = new Map<string, KastsEntry>();
  feedActions: { url: string; action: "add" | "remove" }[] = [];
  episodeActions: KastsAction[] = [];
  /** `SyncTimestamps`: what the next requests send as `since`. */
  readonly timestamps = new Map<"subscriptions" | "episodes", number>();
  readonly #now: () => number;

  constructor(gpodder: KastsGPodder, device: string, now: () => number) {
    this.gpodder = gpodder;
    this.device = device;
    this.#now = now;
  }

  subscribe(url: string): void {
    this.feeds.add(url);
    this.feedActions.push({ url, action: "add" });
  }

  unsubscribe(url: string): void {
    this.feeds.delete(url);
    this.feedActions.push({ url, action: "remove" });
  }

  knows(e: Omit<KastsEntry, "position" | "read">): KastsEntry {
    const entry = { ...e, position: 0, read: false };
    this.entries.set(e.id, entry);
    return entry;
  }

  play(id: string, started: number, position: number): void {
    const e = this.entries.get(id)!;
    e.position = position;
    this.episodeActions.push({
      podcast: e.podcast,
      url: e.url,
      id: e.id,
      device: this.device,
      action: "play",
      started,
      position,
      total: e.duration,
      timestamp: Math.floor(this.#now() / 1000),
    });
  }

  /** `Sync::registerNewDevice` then `Sync::linkUpAllDevices`. */
  async setUp(caption: string, type: string): Promise<void> {
    await this.gpodder.getDevices();
    await this.gpodder.updateDevice(this.device, caption, type);
    const status = await this.gpodder.getSyncStatus();
    const all = [...new Set([...status.synced.flat(), ...status.unsynced])];
    await this.gpodder.updateSyncStatus([all], []);
    const subs: string[] = [];
    for (const d of all) subs.push(...(await this.gpodder.getSubscriptionChanges(0, d)).add);
    for (const d of all) await this.gpodder.uploadSubscriptionChanges(subs, [], d);
  }

  /** `SyncJob::updateDBTimestamp`: stores `timestamp + 1` when it is above 1. */
  #store(label: "subscriptions" | "episodes", timestamp: number): void {
    if (timestamp > 1) this.timestamps.set(label, timestamp + 1);
  }

  /** `SyncJob::doRegularSync`. */
  async sync(): Promise<void> {
    const since = this.timestamps.get("subscriptions") ?? 0;
    let add = since === 0
      ? [...this.feeds]
      : this.feedActions.filter((a) => a.action === "add").map((a) => a.url);
    let remove = since === 0
      ? []
      : this.feedActions.filter((a) => a.action === "remove").map((a) => a.url);
    [add, remove] = [
      add.filter((u) => !remove.includes(u)),
      remove.filter((u) => !add.includes(u)),
    ];
    const remote = await this.gpodder.getSubscriptionChanges(since, this.device);
    for (const url of remote.remove) this.feeds.delete(url);
    for (const url of remote.add) this.feeds.add(url);
    this.#store("subscriptions", remote.timestamp);
    if (add.length > 0 || remove.length > 0) {
      const up = await this.gpodder.uploadSubscriptionChanges(add, remove, this.device);
      this.#store("subscriptions", up.timestamp);
    }
    this.feedActions = [];

    const remoteLatest = new Map<string, KastsAction>();
    while (true) {
      const epSince = this.timestamps.get("episodes") ?? 0;
      const got = await this.gpodder.getEpisodeActions(epSince, epSince === 0);
      for (const a of got.actions) {
        // The entry by guid, else by enclosure URL; unknown episodes are skipped.
        const entry = this.entries.get(a.id) ??
          [...this.entries.values()].find((e) => e.url === a.url);
        if (!entry || a.action !== "play") continue;
        a.id = entry.id;
        const seen = remoteLatest.get(a.id);
        if (!seen || seen.timestamp <= a.timestamp) remoteLatest.set(a.id, a);
      }
      this.#store("episodes", got.timestamp);
      const current = Math.floor(this.#now() / 1000);
      if (got.timestamp > current - 10 || got.actions.length === 0) break;
    }
    const localLatest = new Map<string, KastsAction>();
    for (const a of this.episodeActions) {
      const seen = localLatest.get(a.id);
      if (!seen || seen.timestamp <= a.timestamp) localLatest.set(a.id, a);
    }
    for (const [id, r] of remoteLatest) {
      const l = localLatest.get(id);
      if (l && l.timestamp < r.timestamp) localLatest.delete(id);
      if (l && r.timestamp < l.timestamp) remoteLatest.delete(id);
    }
    for (const a of remoteLatest.values()) this.#apply(a);
    const upload = [...localLatest.values()];
    for (let i = 0; i < upload.length; i += KASTS_BATCH) {
      const up = await this.gpodder.uploadEpisodeActions(upload.slice(i, i + KASTS_BATCH));
      if (i + KASTS_BATCH >= upload.length) this.#store("episodes", up.timestamp);
    }
    this.episodeActions = [];
  }

  /** `Sync::applyEpisodeActionsLocally` for a play. */
  #apply(a: KastsAction): void {
    const e = this.entries.get(a.id)!;
    const nearEnd = a.position >= a.total - SKIP_TRACK_END_S ||
      a.position >= e.duration - SKIP_TRACK_END_S;
    if (nearEnd && a.total > 0) e.read = true;
    else if (a.position > 0) e.position = a.position;
    else e.position = 0;
  }
}
