/** Redirect and body handling of `safe_fetch.ts`. */
import { FeedTooLargeError, UpstreamError } from "./errors.ts";

/**
 * The URL a redirect points to, or why it is refused: no Location, not http(s), or an
 * https → http downgrade. Userinfo in the Location is dropped.
 * @throws {UpstreamError}
 */
export function nextHop(current: URL, location: string | null): URL {
  if (!location) throw new UpstreamError("the feed origin redirected without a Location");
  let next: URL;
  try {
    next = new URL(location, current);
  } catch {
    throw new UpstreamError("the feed origin redirected to an invalid URL");
  }
  if (next.protocol !== "http:" && next.protocol !== "https:") {
    throw new UpstreamError("the feed origin redirected to a non-http(s) URL");
  }
  if (current.protocol === "https:" && next.protocol === "http:") {
    throw new UpstreamError("the feed origin redirected from https to http");
  }
  // Credentials in a Location are the origin's business; we never send any.
  next.username = "";
  next.password = "";
  next.hash = "";
  return next;
}

/**
 * Reads a body counting decoded bytes (so a compression bomb stops at the cap), cancelling
 * it past `maxBytes`.
 * @throws {FeedTooLargeError}
 */
export async function readCapped(res: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get("content-length") ?? NaN);
  const encoding = (res.headers.get("content-encoding") ?? "identity").toLowerCase();
  // Content-Length is the encoded size, so it can only settle the question unencoded.
  if (encoding === "identity" && declared > maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw new FeedTooLargeError(maxBytes);
  }
  if (!res.body) return new Uint8Array();
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new FeedTooLargeError(maxBytes);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.byteLength;
  }
  return body;
}
