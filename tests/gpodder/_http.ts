/**
 * One podcast app's HTTP stack for the gpodder replays: a cookie jar (AntennaPod's OkHttp
 * `JavaNetCookieJar`, Kasts' `QNetworkCookieJar`, mygpoclient's `http.cookiejar`) and the
 * app's own rule for sending HTTP Basic: on chosen requests (AntennaPod, Kasts), or only
 * after a challenge, at most three times in the client's life (mygpoclient's
 * `SimpleHttpPasswordManager.MAX_RETRIES`). Every request is logged so tests can check what
 * the app really sent.
 */

/** Where requests go: the in-process app (`t.app.request`). */
export type Send = (path: string, init: RequestInit) => Response | Promise<Response>;

/** What one request carried, and how it ended. */
export interface Sent {
  readonly method: string;
  readonly path: string;
  readonly basic: boolean;
  readonly cookie: boolean;
  readonly status: number;
}

/** An answer as the app sees it. */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/** Per-request choices. */
export interface RequestOptions {
  /** A body to send as is (apps serialise their own JSON). */
  readonly body?: string | Uint8Array<ArrayBuffer>;
  readonly headers?: Record<string, string>;
  /** Send the Basic credentials with this request (AntennaPod's login, Kasts always). */
  readonly basic?: boolean;
}

/** How the app handles credentials. */
export interface AppHttpOptions {
  readonly username: string;
  readonly password: string;
  /** Answer up to this many `WWW-Authenticate: Basic` challenges in the app's life. */
  readonly challenges?: number;
  /** Sent on every request. */
  readonly userAgent?: string;
}

function basicHeader(username: string, password: string): string {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}

/** A cookie-keeping HTTP client with an app's credential rule. */
export class AppHttp {
  readonly log: Sent[] = [];
  readonly #send: Send;
  readonly #options: AppHttpOptions;
  readonly #cookies = new Map<string, string>();
  #challengesLeft: number;

  constructor(send: Send, options: AppHttpOptions) {
    this.#send = send;
    this.#options = options;
    this.#challengesLeft = options.challenges ?? 0;
  }

  /** The cookie the server set, if any. */
  cookie(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  /** Forgets every cookie (an app restarted with an in-memory jar). */
  clearCookies(): void {
    this.#cookies.clear();
  }

  /** Sends one request; answers a Basic challenge when the app would. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Answer> {
    let answer = await this.#once(method, path, options, options.basic ?? false);
    while (
      answer.status === 401 && this.#challengesLeft > 0 &&
      /^Basic\s+realm=/i.test(answer.headers.get("WWW-Authenticate") ?? "")
    ) {
      this.#challengesLeft--;
      answer = await this.#once(method, path, options, true);
    }
    return answer;
  }

  async #once(
    method: string,
    path: string,
    options: RequestOptions,
    basic: boolean,
  ): Promise<Answer> {
    const headers = new Headers(options.headers);
    if (this.#options.userAgent) headers.set("User-Agent", this.#options.userAgent);
    if (basic) {
      headers.set("Authorization", basicHeader(this.#options.username, this.#options.password));
    }
    if (this.#cookies.size > 0) {
      headers.set("Cookie", [...this.#cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    }
    const res = await this.#send(path, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: options.body }),
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const cut = pair.indexOf("=");
      const name = pair.slice(0, cut).trim();
      const value = pair.slice(cut + 1).trim();
      const expired = value === "" || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (expired) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    const text = await res.text();
    this.log.push({
      method,
      path,
      basic,
      cookie: headers.has("Cookie"),
      status: res.status,
    });
    return { status: res.status, headers: res.headers, text };
  }
}
