/** Request-body helpers shared by route files. */
import type { Context } from "hono";
import { HttpError } from "./errors.ts";

/**
 * Parses the JSON body whatever the Content-Type says.
 * @throws {HttpError} 400 `invalid_json` when it is not JSON; 422 when not an object.
 */
export async function readJsonObject(c: Context): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    const text = await c.req.text();
    value = text.trim() === "" ? {} : JSON.parse(text);
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw new HttpError(400, "invalid_json", "The request body is not valid JSON.");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new HttpError(422, "validation_failed", "The request body must be a JSON object.", {
      details: { body: "expected an object" },
    });
  }
  return value as Record<string, unknown>;
}
