/**
 * Server-side fetch of a feed under the SPEC §6.1 safety rules: http(s) only, no
 * credentials, the address rule checked before every hop, redirects followed by hand,
 * total and header timeouts, a cap on decoded bytes, a per-host concurrency cap.
 *
 * DNS rebinding: the addresses are checked before connecting, but `fetch` resolves the
 * name again. For `http:` hops with the real fetch, the connection is pinned to the checked
 * address (a `Deno.createHttpClient` TCP transport), so a second answer cannot move it.
 * `https:` hops cannot be pinned that way (that transport speaks plain HTTP); there a
 * rebinding name could make us open a TCP connection and a TLS handshake to an internal
 * address, but no request is sent, since the internal host cannot present a certificate
 * for the public name. `Deno.resolveDns` also skips `/etc/hosts`, which `fetch` reads.
 */
import { checkUrlAddresses, type Resolver, resolveWithDns } from "./address.ts";
import { nextHop, readCapped } from "./_http.ts";
import { FeedError, InvalidUrlError, UpstreamError, UpstreamTimeoutError } from "./errors.ts";
import { HostLimiter } from "./host_limiter.ts";

/** `fetch` init as Deno accepts it (with an optional custom client). */
export type FetchInit = RequestInit & { client?: Deno.HttpClient };
/** The shape of `fetch` that `safeFetch` needs, so tests can inject a fake. */
export type FetchLike = (input: string, init: FetchInit) => Promise<Response>;
/** Builds a client whose connections go to `address` (canonical IP text) whatever DNS says. */
export type ConnectTo = (address: string, port: number) => Deno.HttpClient;

/** Options of {@linkcode safeFetch}; every field has a default. */
export interface SafeFetchOptions {
  /** Default: `globalThis.fetch`. */
  fetch?: FetchLike;
  /** Default: A + AAAA lookups with `Deno.resolveDns`. */
  resolve?: Resolver;
  /** Lifts the address rule only (tests, private networks). Default false. */
  allowPrivate?: boolean;
  /** Whole operation, redirects and body included. Default 10 s. */
  timeoutMs?: number;
  /** Per hop, until the response headers arrive. Default: `timeoutMs`. */
  connectTimeoutMs?: number;
  /** Cap on the decoded body. Default 10 MiB. */
  maxBytes?: number;
  /** Redirects followed at most. Default 5. */
  maxRedirects?: number;
  /** Validators of a copy we hold: a matching origin answers 304. */
  etag?: string;
  lastModified?: string;
  /** Caller's cancellation; its reason is rethrown as is. */
  signal?: AbortSignal;
  /** Default: one limiter shared by the process, 4 per host. */
  hostLimiter?: HostLimiter;
  /** Pins `http:` hops to the checked address. Default: on with the real fetch, off with an
   * injected one; `null` turns it off. */
  connectTo?: ConnectTo | null;
  userAgent?: string;
}

/** A fetched feed body, or a 304 confirming the caller's copy. */
export interface FetchResult {
  readonly status: 200 | 304;
  /** Decoded body; empty on 304. */
  readonly body: Uint8Array;
  readonly etag?: string;
  readonly lastModified?: string;
  readonly contentType?: string;
  /** The URL of the last hop. */
  readonly finalUrl: string;
}

/** User-Agent sent to origins. */
export const USER_AGENT = "BaladosSync/1.0 (+feed fetcher)";
const ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, " +
  "text/xml;q=0.9, */*;q=0.5";
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const sharedLimiter = new HostLimiter(4);

/**
 * Parses a feed URL: absolute, http or https, without userinfo; the fragment is dropped.
 * @throws {InvalidUrlError} otherwise.
 */
export function parseFeedUrl(input: string | URL): URL {
  let url: URL;
  try {
    url = new URL(String(input));
  } catch {
    throw new InvalidUrlError("the feed URL is not a valid absolute URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InvalidUrlError("only http and https feed URLs are allowed");
  }
  if (url.username || url.password) {
    throw new InvalidUrlError("feed URLs must not carry credentials");
  }
  url.hash = "";
  return url;
}

/**
 * A client whose every connection goes to `address:port`, whatever the URL's host resolves
 * to (plain TCP: only for `http:` URLs). Close it when done.
 */
export function connectToAddress(address: string, port: number): Deno.HttpClient {
  const hostname = address.includes(":") ? `[${address}]` : address;
  return Deno.createHttpClient({ proxy: { transport: "tcp", hostname, port } });
}

interface Run {
  readonly fetch: FetchLike;
  readonly resolve: Resolver;
  readonly allowPrivate: boolean;
  readonly connectTimeoutMs: number;
  readonly maxBytes: number;
  readonly maxRedirects: number;
  readonly limiter: HostLimiter;
  readonly connectTo: ConnectTo | null;
  readonly headers: Headers;
  readonly signal: AbortSignal;
  readonly expire: () => void;
}

function header(res: Response, name: string): string | undefined {
  return res.headers.get(name) ?? undefined;
}

/** One request; resolves to a result, or to the next URL when the origin redirects. */
async function hop(url: URL, run: Run, prior: SafeFetchOptions): Promise<FetchResult | URL> {
  const addresses = run.allowPrivate ? [] : await checkUrlAddresses(url, run.resolve, run.signal);
  const release = await run.limiter.acquire(url.hostname, run.signal);
  const pin = url.protocol === "http:" && addresses.length > 0 ? run.connectTo : null;
  let client: Deno.HttpClient | undefined;
  try {
    client = pin?.(addresses[0], Number(url.port || 80));
    const headerTimer = setTimeout(run.expire, run.connectTimeoutMs);
    let res: Response;
    try {
      res = await run.fetch(url.href, {
        method: "GET",
        headers: run.headers,
        redirect: "manual",
        credentials: "omit",
        signal: run.signal,
        ...(client ? { client } : {}),
      });
    } finally {
      clearTimeout(headerTimer);
    }
    if (REDIRECTS.has(res.status)) {
      await res.body?.cancel().catch(() => {});
      return nextHop(url, res.headers.get("location"));
    }
    if (res.status === 304) {
      await res.body?.cancel().catch(() => {});
      return {
        status: 304,
        body: new Uint8Array(),
        etag: header(res, "etag") ?? prior.etag,
        lastModified: header(res, "last-modified") ?? prior.lastModified,
        contentType: header(res, "content-type"),
        finalUrl: url.href,
      };
    }
    if (res.status < 200 || res.status > 299) {
      // The upstream body is never kept nor echoed.
      await res.body?.cancel().catch(() => {});
      throw new UpstreamError(`the feed origin answered ${res.status}`, { status: res.status });
    }
    const body = await readCapped(res, run.maxBytes);
    return {
      status: 200,
      body,
      etag: header(res, "etag"),
      lastModified: header(res, "last-modified"),
      contentType: header(res, "content-type"),
      finalUrl: url.href,
    };
  } finally {
    release();
    client?.close();
  }
}

/**
 * Fetches a feed under the safety rules of SPEC §6.1.
 * @throws {InvalidUrlError} for a non-http(s) URL or one with credentials.
 * @throws {ForbiddenAddressError} when the host or a redirect hop is refused (no connection
 * is made to it).
 * @throws {UpstreamError} for connection errors, non-2xx answers and bad redirects.
 * @throws {UpstreamTimeoutError} past `timeoutMs` or `connectTimeoutMs`.
 * @throws {FeedTooLargeError} when the decoded body passes `maxBytes`.
 */
export async function safeFetch(
  input: string | URL,
  opts: SafeFetchOptions = {},
): Promise<FetchResult> {
  let url = parseFeedUrl(input);
  const controller = new AbortController();
  let timedOut = false;
  const expire = () => {
    timedOut = true;
    controller.abort(new UpstreamTimeoutError());
  };
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const timer = setTimeout(expire, timeoutMs);
  const outer = opts.signal;
  const forward = () => controller.abort(outer?.reason);
  outer?.addEventListener("abort", forward, { once: true });
  const headers = new Headers({ "user-agent": opts.userAgent ?? USER_AGENT, accept: ACCEPT });
  if (opts.etag) headers.set("if-none-match", opts.etag);
  if (opts.lastModified) headers.set("if-modified-since", opts.lastModified);
  const canPin = opts.fetch === undefined && typeof Deno.createHttpClient === "function";
  const run: Run = {
    fetch: opts.fetch ?? fetch,
    resolve: opts.resolve ?? resolveWithDns,
    allowPrivate: opts.allowPrivate ?? false,
    connectTimeoutMs: opts.connectTimeoutMs ?? timeoutMs,
    maxBytes: opts.maxBytes ?? 10 * 1024 * 1024,
    maxRedirects: opts.maxRedirects ?? 5,
    limiter: opts.hostLimiter ?? sharedLimiter,
    connectTo: opts.connectTo !== undefined ? opts.connectTo : canPin ? connectToAddress : null,
    headers,
    signal: controller.signal,
    expire,
  };
  try {
    outer?.throwIfAborted();
    for (let redirects = 0;; redirects++) {
      const result = await hop(url, run, opts);
      if (!(result instanceof URL)) return result;
      if (redirects >= run.maxRedirects) {
        throw new UpstreamError(`the feed origin redirected more than ${run.maxRedirects} times`);
      }
      url = result;
    }
  } catch (err) {
    if (timedOut) throw new UpstreamTimeoutError();
    if (outer?.aborted) throw outer.reason;
    if (err instanceof FeedError) throw err;
    throw new UpstreamError("the feed origin could not be reached", { cause: err });
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener("abort", forward);
  }
}
