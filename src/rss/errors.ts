/**
 * Errors of the feed fetcher and parser. They carry a `code` and no HTTP status:
 * `routes/errors.ts` maps them (invalid_url → 400, forbidden_address → 403,
 * upstream_error / feed_too_large / invalid_feed → 502, upstream_timeout → 504).
 * Messages never contain upstream bodies or resolved addresses, so they are safe to show.
 */

/** Machine-readable codes of every feed error. */
export type FeedErrorCode =
  | "invalid_url"
  | "forbidden_address"
  | "upstream_error"
  | "upstream_timeout"
  | "feed_too_large"
  | "invalid_feed";

/** Base class of the feed fetcher's and parser's errors. */
export class FeedError extends Error {
  override name = "FeedError";
  /** Machine-readable, snake_case. */
  readonly code: FeedErrorCode;
  constructor(code: FeedErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** The URL is not an absolute http(s) URL without credentials. */
export class InvalidUrlError extends FeedError {
  override name = "InvalidUrlError";
  constructor(message: string, options?: ErrorOptions) {
    super("invalid_url", message, options);
  }
}

/**
 * The host is refused by the address rule (loopback, private, metadata, …).
 * `reason` is for logs only: telling a caller which internal range a name resolves to
 * would leak the internal DNS view.
 */
export class ForbiddenAddressError extends FeedError {
  override name = "ForbiddenAddressError";
  /** Why the host was refused (an address kind or `"hostname"`), for logs. */
  readonly reason: string;
  constructor(reason: string) {
    super("forbidden_address", "the feed address is not allowed");
    this.reason = reason;
  }
}

/** The origin failed: connection error, non-2xx answer, bad redirect. */
export class UpstreamError extends FeedError {
  override name = "UpstreamError";
  /** The upstream HTTP status when there was one, for logs. */
  readonly status?: number;
  constructor(message: string, options?: ErrorOptions & { status?: number }) {
    super("upstream_error", message, options);
    this.status = options?.status;
  }
}

/** The origin did not answer in time. */
export class UpstreamTimeoutError extends FeedError {
  override name = "UpstreamTimeoutError";
  constructor(message = "the feed origin did not answer in time") {
    super("upstream_timeout", message);
  }
}

/** The decoded body is larger than allowed. */
export class FeedTooLargeError extends FeedError {
  override name = "FeedTooLargeError";
  constructor(maxBytes: number) {
    super("feed_too_large", `the feed is larger than ${maxBytes} bytes`);
  }
}

/** The body is not a well-formed RSS or Atom document, or uses refused XML features. */
export class InvalidFeedError extends FeedError {
  override name = "InvalidFeedError";
  constructor(message: string, options?: ErrorOptions) {
    super("invalid_feed", message, options);
  }
}
