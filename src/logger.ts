/** Structured JSON logs, one object per line, never holding secrets. */
import type { LogLevel } from "./config.ts";

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/**
 * Replaces user tokens in paths (`/rss/<token>/…`, `/play/<token>/…`,
 * `/api/v1/rss/user/<token>/…`) with `[redacted]`. The path is percent-decoded and its
 * repeated slashes collapsed first, as the router sees it, so `/%72ss/<token>` or
 * `//rss/<token>` are caught too.
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
    .replace(/^\/api\/v1\/rss\/user\/[^/]+/i, "/api/v1/rss/user/[redacted]");
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
  };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = createLogger("silent");
