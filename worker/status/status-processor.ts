/**
 * Applying one stored delivery event. The outbox row's state has already moved (a database trigger merges
 * every event into its row, never backwards, whichever arrives first); what is left is what a failure
 * means for the patient: a first message that failed because the number has no WhatsApp (Meta 131026)
 * marks the phone, and a contact whose every first message failed is closed.
 */
import type { Pool } from "pg";
import type { Logger } from "../../lib/logger.js";
import { withTransaction } from "../../lib/db/pool.js";

/** Provider error codes that mean the number has no WhatsApp. */
const NOT_ON_WHATSAPP_CODES = new Set(["131026"]);

export interface StatusOutcome {
  applied: boolean;
  contactClosed: boolean;
}

export async function processDeliveryEvent(
  deliveryEventId: number,
  pool: Pool,
  logger: Logger,
): Promise<StatusOutcome> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<{
      status: string;
      error_code: string | null;
      outbox_id: number | null;
      kind: string | null;
      outbox_state: string | null;
      phone_id: number | null;
      contact_id: number | null;
    }>(
      `SELECT d.status, d.error_code, o.id AS outbox_id, o.kind, o.state AS outbox_state, o.phone_id, o.contact_id
       FROM delivery_events d
       LEFT JOIN outbox o ON o.provider = d.provider AND o.provider_message_id = d.provider_message_id
       WHERE d.id = $1`,
      [deliveryEventId],
    );
    const event = rows[0];
    if (!event || event.outbox_id === null) return { applied: false, contactClosed: false };
    if (event.status !== "failed" || event.outbox_state !== "failed")
      return { applied: true, contactClosed: false };
    if (event.error_code && NOT_ON_WHATSAPP_CODES.has(event.error_code)) {
      await client.query(
        "UPDATE phones SET wa_status = 'not_registered', validated_at = now() WHERE id = $1",
        [event.phone_id],
      );
    }
    if (event.kind !== "initial") return { applied: true, contactClosed: false };
    const closed = await client.query(
      `UPDATE contacts ct SET state = CASE
           WHEN EXISTS (SELECT 1 FROM phones p WHERE p.contact_id = ct.id AND p.wa_status <> 'not_registered' AND p.sendable)
           THEN 'failed' ELSE 'no_whatsapp' END
       WHERE ct.id = $1 AND ct.state = 'sent'
         AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.contact_id = ct.id AND o.kind = 'initial'
                         AND o.state IN ('pending', 'claimed', 'sent', 'delivered', 'read', 'uncertain'))`,
      [event.contact_id],
    );
    if (closed.rowCount)
      logger.info({ contactId: event.contact_id }, "Closed a contact whose every first message failed");
    return { applied: true, contactClosed: (closed.rowCount ?? 0) > 0 };
  });
}
