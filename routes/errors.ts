/** The one table from errors to HTTP status and JSON body (SPEC §2.5). */
import { DomainError } from "../src/domain/errors.ts";
import { isTransientKvError } from "../src/store/resilient_kv.ts";
import { Overloaded, ShuttingDown } from "../src/overload.ts";
import { ConcurrencyError } from "../src/store/event_store.ts";

/** An error raised by the HTTP layer itself (auth, limits, content type). */
export class HttpError extends Error {
  override name = "HttpError";
  readonly status: number;
  readonly code: string;
  readonly details?: Record<string, unknown>;
  readonly headers?: Record<string, string>;
  constructor(
    status: number,
    code: string,
    message: string,
    options: { details?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = options.details;
    this.headers = options.headers;
  }
}

/** Status of each domain/store/actor error code; anything unknown is a 400 if domain. */
const STATUS_BY_CODE: Record<string, number> = {
  unauthorized: 401,
  insufficient_scope: 403,
  forbidden: 403,
  forbidden_address: 403,
  invalid_url: 400,
  not_found: 404,
  conflict: 409,
  request_timeout: 408,
  payload_too_large: 413,
  unsupported_media_type: 415,
  validation_failed: 422,
  rate_limited: 429,
  overloaded: 503,
  upstream_error: 502,
  invalid_feed: 502,
  feed_too_large: 502,
  upstream_timeout: 504,
};

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/** Turns any thrown value into a status, headers and SPEC §2.5 body. */
export function errorResponse(err: unknown): {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
} {
  if (err instanceof HttpError) {
    return {
      status: err.status,
      body: { error: { code: err.code, message: err.message, details: err.details } },
      headers: err.headers ?? {},
    };
  }
  const named = err as {
    name?: string;
    code?: string;
    message?: string;
    retryAfterSeconds?: number;
  };
  if (err instanceof DomainError) {
    return {
      status: STATUS_BY_CODE[err.code] ?? 400,
      body: { error: { code: err.code, message: err.message, details: err.details } },
      headers: {},
    };
  }
  if (err instanceof Overloaded || err instanceof ShuttingDown) {
    return {
      status: 503,
      body: { error: { code: "overloaded", message: err.message } },
      headers: { "Retry-After": String(err.retryAfterSeconds) },
    };
  }
  if (err instanceof ConcurrencyError) {
    return {
      status: 409,
      body: { error: { code: "conflict", message: "Concurrent update; retry the request." } },
      headers: {},
    };
  }
  if (typeof named?.code === "string" && STATUS_BY_CODE[named.code]) {
    return {
      status: STATUS_BY_CODE[named.code],
      body: { error: { code: named.code, message: named.message ?? named.code } },
      headers: {},
    };
  }
  if (isTransientKvError(err)) {
    // Retried already (resilient_kv.ts): the database is busy, the client may come back.
    return {
      status: 503,
      body: { error: { code: "overloaded", message: "The database is busy; try again shortly." } },
      headers: { "Retry-After": "1" },
    };
  }
  return {
    status: 500,
    body: { error: { code: "internal_error", message: "Internal server error." } },
    headers: {},
  };
}
