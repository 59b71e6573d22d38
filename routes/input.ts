/**
 * Reading untrusted JSON into typed values: wrong types and out-of-range values are
 * collected per field and reported together as one 422 `validation_failed`; a bad feed or
 * item id is a 400 `invalid_feed_id` / `invalid_item_id` (SPEC §1). Shared by the API
 * surfaces (REST, gpodder); pure.
 */
import { ValidationError } from "../src/domain/errors.ts";
import { decodeFeedId, decodeItemId } from "../src/domain/ids.ts";

type Obj = Record<string, unknown>;

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** Normalises an RFC 3339 time to `toISOString()` form; null when it is not one. */
export function normalizeTime(value: unknown): string | null {
  if (typeof value !== "string" || !RFC3339.test(value)) return null;
  const ms = Date.parse(value.replace(" ", "T"));
  if (Number.isNaN(ms) || ms < 0 || ms > 253402300799999) return null;
  // Date.parse rolls 2024-02-30 over into March: refuse days the month does not have.
  const [y, m, d] = value.slice(0, 10).split("-").map(Number);
  if (m < 1 || m > 12 || d < 1 || d > new Date(Date.UTC(y, m, 0)).getUTCDate()) return null;
  return new Date(ms).toISOString();
}

/** Collects field errors, then throws them all at once. */
export class Fields {
  readonly errors: Record<string, string> = {};
  #prefix: string;
  #notAfter: number;

  /** `notAfter`: the latest time (ms) a timestamp may name; later ones are refused. */
  constructor(prefix = "", options: { notAfter?: number } = {}) {
    this.#prefix = prefix;
    this.#notAfter = options.notAfter ?? Infinity;
  }

  #fail(name: string, why: string): undefined {
    this.errors[this.#prefix + name] ??= why;
    return undefined;
  }

  /** A string of at most `max` characters. */
  str(o: Obj, name: string, opts: { optional?: boolean; max?: number; min?: number } = {}) {
    const v = o[name];
    if (v === undefined || v === null) {
      return opts.optional ? undefined : this.#fail(name, "required");
    }
    if (typeof v !== "string") return this.#fail(name, "expected a string");
    if (v.length > (opts.max ?? 1024)) {
      return this.#fail(name, `at most ${opts.max ?? 1024} characters`);
    }
    if (v.length < (opts.min ?? 0)) return this.#fail(name, `at least ${opts.min} characters`);
    return v;
  }

  /** A whole number ≥ min (seconds, positions). */
  int(o: Obj, name: string, opts: { optional?: boolean; min?: number; max?: number } = {}) {
    const v = o[name];
    if (v === undefined || v === null) {
      return opts.optional ? undefined : this.#fail(name, "required");
    }
    if (typeof v !== "number" || !Number.isSafeInteger(v)) {
      return this.#fail(name, "expected an integer");
    }
    if (v < (opts.min ?? 0)) return this.#fail(name, `must be ≥ ${opts.min ?? 0}`);
    if (opts.max !== undefined && v > opts.max) return this.#fail(name, `must be ≤ ${opts.max}`);
    return v;
  }

  bool(o: Obj, name: string, opts: { optional?: boolean } = {}) {
    const v = o[name];
    if (v === undefined || v === null) {
      return opts.optional ? undefined : this.#fail(name, "required");
    }
    if (typeof v !== "boolean") return this.#fail(name, "expected true or false");
    return v;
  }

  /** An RFC 3339 timestamp, normalised. */
  time(o: Obj, name: string, opts: { optional?: boolean } = {}) {
    const v = o[name];
    if (v === undefined || v === null) {
      return opts.optional ? undefined : this.#fail(name, "required");
    }
    const t = normalizeTime(v);
    if (t === null) return this.#fail(name, "expected an RFC 3339 time");
    if (Date.parse(t) > this.#notAfter) return this.#fail(name, "is too far in the future");
    return t;
  }

  oneOf<T extends string>(
    o: Obj,
    name: string,
    allowed: readonly T[],
    opts: { optional?: boolean } = {},
  ) {
    const v = o[name];
    if (v === undefined || v === null) {
      return opts.optional ? undefined : this.#fail(name, "required");
    }
    if (!allowed.includes(v as T)) return this.#fail(name, `expected one of ${allowed.join(", ")}`);
    return v as T;
  }

  /** An array of at most `max` objects. */
  objects(o: Obj, name: string, max: number): Obj[] {
    const v = o[name];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) return this.#fail(name, "expected an array") ?? [];
    if (v.length > max) return this.#fail(name, `at most ${max} entries`) ?? [];
    const bad = v.findIndex((x) => x === null || typeof x !== "object" || Array.isArray(x));
    if (bad >= 0) return this.#fail(`${name}[${bad}]`, "expected an object") ?? [];
    return v as Obj[];
  }

  /** Adds an error found by the caller. */
  add(name: string, why: string): void {
    this.#fail(name, why);
  }

  get ok(): boolean {
    return Object.keys(this.errors).length === 0;
  }

  /** @throws {ValidationError} 422 with every field error. */
  done(): void {
    if (!this.ok) {
      throw new ValidationError("validation_failed", "Some fields are invalid.", this.errors);
    }
  }
}

/** A missing id or one that is not a string is a wrong type (422), not a bad id (400). */
function requireString(value: unknown, path: string): void {
  if (typeof value === "string") return;
  const why = value === undefined || value === null ? "required" : "expected a string";
  throw new ValidationError("validation_failed", "Some fields are invalid.", { [path]: why });
}

/**
 * Decodes a feed id, naming the field in the error.
 * @throws {ValidationError} 422 when missing or not a string, 400 `invalid_feed_id` otherwise.
 */
export function feedAt(value: unknown, path: string): { feed: string; feedUrl: string } {
  requireString(value, path);
  try {
    return decodeFeedId(value);
  } catch (err) {
    throw new ValidationError("invalid_feed_id", (err as Error).message, { field: path });
  }
}

/**
 * Decodes an item id, naming the field in the error.
 * @throws {ValidationError} 422 when missing or not a string, 400 `invalid_item_id` otherwise.
 */
export function itemAt(value: unknown, path: string) {
  requireString(value, path);
  try {
    return decodeItemId(value);
  } catch (err) {
    throw new ValidationError("invalid_item_id", (err as Error).message, { field: path });
  }
}

/** Asserts the value is a JSON object. @throws {ValidationError} 422. */
export function asObject(value: unknown, path: string): Obj {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ValidationError("validation_failed", `${path} must be an object.`, {
      [path]: "expected an object",
    });
  }
  return value as Obj;
}
