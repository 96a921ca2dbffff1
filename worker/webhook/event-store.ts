/**
 * Storing webhook events durably before anything else happens to them, idempotently on the provider's
 * message id: an event delivered twice is stored once. The stored row's id is what the queues carry.
 *
 * The statements are named (prepared once per connection, then only bound and executed): the receiver
 * runs them thousands of times a second, and parsing and planning them each time was a visible part of
 * PostgreSQL's cost per request (bench/results/webhook-receiver.md). Each statement is idempotent on its
 * own, so a body's events need no transaction around them: a failure answers 5xx, the provider delivers
 * again, and what was stored already is absorbed by the unique keys.
 */
import type { Queryable } from "../../lib/db/pool.js";
import type { InboundEvent } from "../providers/types.js";
import { bodyFingerprint } from "../send/stale-claims.js";

export interface RouteKey {
  provider: string;
  namespace: string;
  channel: string;
}

export type StoredEvent =
  | { queue: "inbound"; id: number; providerMessageId: string; pending: boolean }
  | { queue: "status"; id: number; providerMessageId: string; status: string; pending: boolean }
  | { queue: "none" };

const DELIVERY_STATUS: Record<string, "sent" | "delivered" | "read" | "failed"> = {
  sent: "sent",
  delivered: "delivered",
  read: "read",
  played: "read",
  failed: "failed",
};

export async function storeEvent(db: Queryable, route: RouteKey, event: InboundEvent): Promise<StoredEvent> {
  switch (event.type) {
    case "message": {
      const inserted = await db.query<{ id: number }>({
        name: "webhook_store_inbound",
        text: `INSERT INTO inbound_messages
           (provider, instance, namespace, provider_message_id, from_address, from_e164, from_lid, text, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (provider, instance, provider_message_id) DO NOTHING RETURNING id`,
        values: [
          route.provider,
          event.channel || route.channel,
          route.namespace,
          event.providerMessageId,
          event.from.address,
          event.from.e164 ?? null,
          event.from.lid ?? null,
          event.text,
          event.at,
        ],
      });
      if (inserted.rows[0]) {
        return {
          queue: "inbound",
          id: inserted.rows[0].id,
          providerMessageId: event.providerMessageId,
          pending: true,
        };
      }
      // Delivered before: enqueue again only if it was never applied (the first enqueue may have failed).
      const existing = await db.query<{ id: number; pending: boolean }>(
        `SELECT id, processed_at IS NULL AS pending FROM inbound_messages
         WHERE provider = $1 AND instance = $2 AND provider_message_id = $3`,
        [route.provider, event.channel || route.channel, event.providerMessageId],
      );
      const row = existing.rows[0]!;
      return {
        queue: "inbound",
        id: row.id,
        providerMessageId: event.providerMessageId,
        pending: row.pending,
      };
    }
    case "status": {
      const status = DELIVERY_STATUS[event.status];
      if (!status) return { queue: "none" };
      if (event.correlationId) {
        await db.query({
          name: "webhook_store_status_echo",
          text: `INSERT INTO outbound_echoes (provider, channel, provider_message_id, to_address, correlation_id, at)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (provider, provider_message_id) DO NOTHING`,
          values: [
            route.provider,
            event.channel || route.channel,
            event.providerMessageId,
            event.to?.address ?? null,
            event.correlationId,
            event.at,
          ],
        });
      }
      const inserted = await db.query<{ id: number }>({
        name: "webhook_store_status",
        text: `INSERT INTO delivery_events (provider, provider_message_id, status, occurred_at, error_code)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (provider, provider_message_id, status) DO NOTHING RETURNING id`,
        values: [route.provider, event.providerMessageId, status, event.at, event.error?.code ?? null],
      });
      const id = inserted.rows[0]?.id;
      return id === undefined
        ? { queue: "none" }
        : { queue: "status", id, providerMessageId: event.providerMessageId, status, pending: true };
    }
    case "outbound":
      await db.query(
        `INSERT INTO outbound_echoes (provider, channel, provider_message_id, to_address, body_sha256, at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (provider, provider_message_id) DO NOTHING`,
        [
          route.provider,
          event.channel || route.channel,
          event.providerMessageId,
          event.to.address,
          event.text === null ? null : bodyFingerprint(event.text),
          event.at,
        ],
      );
      return { queue: "none" };
    default:
      return { queue: "none" };
  }
}
