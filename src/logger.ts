/** Structured JSON logs, one object per line, never holding secrets. */
import type { LogLevel } from "./config.ts";

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /**
   * Whether a line at `level` would be written, so that a caller builds nothing for one
   * that would not (a logger without it writes every level).
   */
  enabled?(level: LogLevel): boolean;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/**
 * Replaces secrets in paths with `[redacted]`: the user-token segment of `/rss/<token>/…`,
 * `/play/<token>/…`, `/api/v1/rss/user/<token>/…`, and — whatever the route, however the
 * path is spelled (`/rss;<token>/…`) — any token-shaped run of 32 or more URL-safe
 * characters (tokens, app passwords and flow tokens are 43; long feed and item ids go too,
 * which keeps what people listen to out of the logs). The path is percent-decoded and its
 * repeated slashes collapsed first, as the router sees it.
 */
export function redactPath(path: string): string {
  let p = path;
  try {
    p = decodeURIComponent(path);
  } catch {
    // keep it encoded: a token cannot hide behind a malformed escape the router refuses
  }
  p = p.replace(/\/{2,}/g, "/");
  return p
    .replace(/^\/(rss|play)\/[^/]+/i, "/$1/[redacted]")
    .replace(/^\/api\/v1\/rss\/user\/[^/]+/i, "/api/v1/rss/user/[redacted]")
    .replace(/[A-Za-z0-9_\-+=%]{32,}/g, "[redacted]");
}

/** A logger writing JSON lines through `write` (default: console.log). */
export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (l) => console.log(l),
): Logger {
  const min = RANK[level];
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[lvl] < min) return;
    write(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...fields }));
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    enabled: (lvl) => RANK[lvl] >= min,
  };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = createLogger("silent");
