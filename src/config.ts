/** Typed configuration read from an environment record (SPEC §8), with defaults. */

export type Privacy = "public" | "anonymous" | "private";
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

export interface Config {
  readonly port: number;
  /** Local file path, `:memory:`, a KV Connect URL, or "" for the platform's KV (Deploy). */
  readonly kvPath: string;
  readonly baseUrl: string;
  /** Host prefix of the short play-gateway form, or "" when unused. */
  readonly playHost: string;
  readonly registration: "open" | "closed";
  readonly defaultPrivacy: Privacy;
  readonly allowPrivateFeeds: boolean;
  /** Popularity period in milliseconds. */
  readonly popularityPeriodMs: number;
  readonly logLevel: LogLevel;
  /** Peers whose `X-Forwarded-For` is trusted (exact addresses). */
  readonly trustedProxies: readonly string[];
  /** Put the connection guard (header and idle timeouts, per-address caps) in front. */
  readonly connGuard: boolean;
  readonly connHeaderTimeoutMs: number;
  readonly connIdleTimeoutMs: number;
  readonly connMaxPerAddress: number;
  readonly connMax: number;
  /** A request body must arrive within this time. */
  readonly bodyTimeoutMs: number;
  /** Bearer token that unlocks `/metrics` from anywhere ("" = loopback clients only). */
  readonly metricsToken: string;
  /** Idle time after which a user actor is passivated, in milliseconds. */
  readonly actorIdleMs: number;
  readonly maxResidentActors: number;
  /** Memory budget of the resident actors' cached states, in bytes. */
  readonly maxActorMemoryBytes: number;
  readonly mailboxCapacity: number;
  /** Use KV queues to wake the projector ("auto": only on a local KV). */
  readonly kvQueues: boolean;
  /** Checks one atomic commit may carry (100 on Deno Deploy and SQLite, 10 on denokv). */
  readonly maxChecksPerCommit: number;
  /** Token bucket sizes: requests per minute per client IP / per user. */
  readonly rateLimitAnonPerMin: number;
  readonly rateLimitUserPerMin: number;
}

/** A configuration value that cannot be used; the message names the variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
  readonly code = "invalid_config";
}

type Env = Readonly<Record<string, string | undefined>>;

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Parses a duration such as `7d`, `12h`, `90m`, `30s`, `500ms` or a bare number of seconds.
 * @throws {ConfigError} when the text is not a positive duration.
 */
export function parseDuration(name: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(text.trim());
  const ms = m ? Math.round(Number(m[1]) * DURATION_UNITS[m[2] ?? "s"]) : NaN;
  if (!Number.isFinite(ms) || ms < 1) {
    throw new ConfigError(`${name}: expected a duration like 7d, 12h, 30m or 45s, got "${text}"`);
  }
  return ms;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n < min || n > max) {
    throw new ConfigError(`${name}: expected an integer from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const v = raw.trim().toLowerCase() as T;
  if (!allowed.includes(v)) {
    throw new ConfigError(`${name}: expected one of ${allowed.join(", ")}, got "${raw}"`);
  }
  return v;
}

function flag(env: Env, name: string): boolean {
  return oneOf(env, name, ["1", "0", "true", "false", "yes", "no", "on", "off"], "0")
    .match(/^(1|true|yes|on)$/) !== null;
}

function url(name: string, raw: string): string {
  try {
    const u = new URL(raw);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
    return u.href.replace(/\/$/, "");
  } catch {
    throw new ConfigError(`${name}: expected an absolute http(s) URL, got "${raw}"`);
  }
}

/**
 * Reads the configuration from an environment record.
 * @throws {ConfigError} naming the first variable whose value is unusable.
 */
export function loadConfig(env: Env): Config {
  const port = int(env, "PORT", 8000, 0, 65535);
  // On Deno Deploy the platform's own KV is opened with no path.
  const onDeploy = Boolean(env.DENO_DEPLOYMENT_ID);
  const kvPath = env.KV_PATH?.trim() || (onDeploy ? "" : "./data/balados.kv");
  const remote = onDeploy || /^https?:\/\//.test(kvPath);
  const kvQueues = oneOf(env, "KV_QUEUES", ["auto", "on", "off"], "auto");
  return {
    port,
    kvPath,
    baseUrl: env.BASE_URL ? url("BASE_URL", env.BASE_URL) : `http://localhost:${port}`,
    playHost: (env.PLAY_HOST ?? "").trim().toLowerCase(),
    registration: oneOf(env, "REGISTRATION", ["open", "closed"], "open"),
    defaultPrivacy: oneOf(env, "DEFAULT_PRIVACY", ["public", "anonymous", "private"], "public"),
    allowPrivateFeeds: flag(env, "ALLOW_PRIVATE_FEEDS"),
    popularityPeriodMs: env.POPULARITY_PERIOD
      ? parseDuration("POPULARITY_PERIOD", env.POPULARITY_PERIOD)
      : 7 * DURATION_UNITS.d,
    logLevel: oneOf(env, "LOG_LEVEL", ["debug", "info", "warn", "error", "silent"], "info"),
    trustedProxies: (env.TRUSTED_PROXIES ?? "").split(",").map((s) => s.trim()).filter(Boolean),
    metricsToken: (env.METRICS_TOKEN ?? "").trim(),
    // On Deno Deploy the platform owns the sockets.
    connGuard: oneOf(env, "CONN_GUARD", ["on", "off"], onDeploy ? "off" : "on") === "on",
    connHeaderTimeoutMs: env.CONN_HEADER_TIMEOUT
      ? parseDuration("CONN_HEADER_TIMEOUT", env.CONN_HEADER_TIMEOUT)
      : 10_000,
    connIdleTimeoutMs: env.CONN_IDLE_TIMEOUT
      ? parseDuration("CONN_IDLE_TIMEOUT", env.CONN_IDLE_TIMEOUT)
      : 75_000,
    connMaxPerAddress: int(env, "CONN_MAX_PER_ADDRESS", 64, 1, 100_000),
    connMax: int(env, "CONN_MAX", 4_096, 1, 1_000_000),
    bodyTimeoutMs: env.BODY_TIMEOUT ? parseDuration("BODY_TIMEOUT", env.BODY_TIMEOUT) : 30_000,
    actorIdleMs: env.ACTOR_IDLE_TIMEOUT
      ? parseDuration("ACTOR_IDLE_TIMEOUT", env.ACTOR_IDLE_TIMEOUT)
      : 10 * DURATION_UNITS.m,
    maxResidentActors: int(env, "MAX_RESIDENT_ACTORS", 10_000, 1, 10_000_000),
    maxActorMemoryBytes: int(env, "MAX_ACTOR_MEMORY_MB", 512, 1, 1_000_000) * 1024 * 1024,
    mailboxCapacity: int(env, "MAILBOX_CAPACITY", 1_000, 1, 1_000_000),
    kvQueues: kvQueues === "on" || (kvQueues === "auto" && !remote),
    // Self-hosted denokv (a KV Connect URL) allows only 10 checks per commit.
    maxChecksPerCommit: int(env, "KV_MAX_CHECKS", /^https?:/.test(kvPath) ? 10 : 100, 1, 100),
    rateLimitAnonPerMin: int(env, "RATE_LIMIT_ANON", 600, 1, 1_000_000),
    rateLimitUserPerMin: int(env, "RATE_LIMIT_USER", 1_200, 1, 1_000_000),
  };
}
