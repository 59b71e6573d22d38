/** Small builders of user events for store, actor and projector tests. */
import type { UserEvent } from "../../src/domain/events.ts";
import { encodeFeedId, encodeItemId } from "../../src/domain/ids.ts";

export const FEED = encodeFeedId("https://example.org/feed.xml");

/** The feed id of podcast number `n`. */
export function feedN(n: number): string {
  return encodeFeedId(`https://example.org/feeds/${n}.xml`);
}

/** The item id of episode number `n` (of FEED). */
export function itemN(n: number): string {
  return encodeItemId(`ep-${n}`, `https://cdn.example.org/ep${n}.mp3`);
}

/** A `played` event of episode `n`. */
export function playedEvent(
  n: number,
  position: number,
  ts = "2026-01-15T10:00:00.000Z",
): UserEvent {
  return {
    type: "played",
    id: `p${n}-${position}`,
    ts,
    feed: FEED,
    item: itemN(n),
    data: { position, played: false },
  };
}

/** A `subscribed` event of podcast `n`. */
export function subscribedEvent(n: number, ts = "2026-01-15T10:00:00.000Z"): UserEvent {
  return { type: "subscribed", id: `s${n}`, ts, feed: feedN(n), data: { subscribed_at: ts } };
}
