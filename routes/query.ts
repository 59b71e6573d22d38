/** Query-string readers shared by the route files: each bad value is a clear 4xx. */
import type { Context } from "hono";
import { ValidationError } from "../src/domain/errors.ts";

/** A query parameter that must be present. @throws {ValidationError} 422. */
export function requiredQuery(c: Context, name: string): string {
  const v = c.req.query(name);
  if (v === undefined || v === "") {
    throw new ValidationError("validation_failed", `The ${name} query parameter is required.`, {
      [name]: "required",
    });
  }
  return v;
}

/** `true`/`false` query values. @throws {ValidationError} 422 for anything else. */
export function boolQuery(c: Context, name: string): boolean | undefined {
  const v = c.req.query(name);
  if (v === undefined || v === "") return undefined;
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  throw new ValidationError("validation_failed", `${name} must be true or false.`, {
    [name]: "expected true or false",
  });
}

/** An integer query value within bounds. @throws {ValidationError} 422. */
export function intQuery(c: Context, name: string, fallback: number, min: number, max: number) {
  const v = c.req.query(name);
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) {
    throw new ValidationError(
      "validation_failed",
      `${name} must be an integer from ${min} to ${max}.`,
      {
        [name]: `expected ${min}–${max}`,
      },
    );
  }
  return n;
}
