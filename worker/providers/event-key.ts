import type { InboundEvent } from "./types.js";

/**
 * The key under which an event is processed at most once. Providers redeliver (Evolution up to 10
 * times, Meta for days), so consumers de-duplicate on this: message id for replies, id + status for
 * delivery statuses.
 */
export function eventDedupeKey(event: InboundEvent): string {
  switch (event.type) {
    case "message":
      return `message:${event.channel}:${event.providerMessageId}`;
    case "status":
      return `status:${event.channel}:${event.providerMessageId}:${event.status}`;
    case "outbound":
      return `outbound:${event.channel}:${event.providerMessageId}`;
    case "connection":
      return `connection:${event.channel}:${event.state}:${event.at.getTime()}`;
  }
}
