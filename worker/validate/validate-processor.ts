/**
 * Checking a batch of phones through the provider. Only the provider's answer marks a phone: a call that
 * fails throws (the job is retried) and leaves every phone as it was; the Celery system marked a whole
 * batch "no WhatsApp" when the call failed. The resolved address (JID) is kept for sending and matching, and
 * so is the contact's LID when the provider knows it: replies that carry only the `@lid` JID match through it.
 * Contacts move to `ready` when a phone has WhatsApp, to `no_whatsapp` when none of their sendable phones
 * has it.
 */
import type { Pool } from "pg";
import type { Logger } from "../../lib/logger.js";
import { withTransaction } from "../../lib/db/pool.js";
import type { E164 } from "../providers/types.js";
import type { SenderRuntimes } from "../send/send-processor.js";

export interface ValidateRunner {
  run(campaignUid: string, phoneIds: readonly number[], logger: Logger): Promise<ValidateSummary>;
}

export interface ValidateSummary {
  checked: number;
  registered: number;
  notRegistered: number;
  unknown: number;
}

export class PhoneValidator implements ValidateRunner {
  constructor(private readonly deps: { pool: Pool; senders: SenderRuntimes }) {}

  async run(campaignUid: string, phoneIds: readonly number[], logger: Logger): Promise<ValidateSummary> {
    const { pool } = this.deps;
    const { rows: phones } = await pool.query<{ id: number; e164: E164 }>(
      `SELECT id, e164 FROM phones WHERE campaign_uid = $1 AND id = ANY($2::bigint[]) AND sendable AND wa_status = 'unknown'
       ORDER BY id`,
      [campaignUid, phoneIds],
    );
    const summary: ValidateSummary = { checked: phones.length, registered: 0, notRegistered: 0, unknown: 0 };
    if (phones.length === 0) return summary;
    const sender = await this.deps.senders.forCampaign(campaignUid);
    const results = sender.provider.capabilities.numberCheck
      ? await sender.provider.checkNumbers(phones.map((p) => p.e164))
      : phones.map((p) => ({ input: p.e164, status: "unknown" as const, reason: "unsupported" as const }));
    await withTransaction(pool, async (client) => {
      await client.query("SELECT set_config('busca_ativa.actor', 'validate', true)");
      for (const [i, result] of results.entries()) {
        const phone = phones[i]!;
        if (result.status === "registered") {
          summary.registered++;
          await client.query(
            `UPDATE phones SET wa_status = 'registered', wa_address = $2, lid = COALESCE($3, lid), validated_at = now()
             WHERE id = $1`,
            [phone.id, result.address, result.lid ?? null],
          );
        } else if (result.status === "not_registered") {
          summary.notRegistered++;
          await client.query(
            "UPDATE phones SET wa_status = 'not_registered', validated_at = now() WHERE id = $1",
            [phone.id],
          );
        } else {
          summary.unknown++;
        }
      }
      // Contacts of these phones: ready when a phone can receive (registered, or not checkable), closed when none can.
      await client.query(
        `UPDATE contacts ct SET state = CASE
             WHEN EXISTS (SELECT 1 FROM phones p WHERE p.contact_id = ct.id AND p.sendable AND p.wa_status <> 'not_registered'
                          AND (p.wa_status = 'registered' OR $3)) THEN 'ready'
             WHEN NOT EXISTS (SELECT 1 FROM phones p WHERE p.contact_id = ct.id AND p.sendable AND p.wa_status <> 'not_registered')
               THEN 'no_whatsapp'
             ELSE ct.state END
         WHERE ct.campaign_uid = $1 AND ct.state = 'pending'
           AND ct.id IN (SELECT contact_id FROM phones WHERE id = ANY($2::bigint[]))`,
        [campaignUid, phones.map((p) => p.id), !sender.provider.capabilities.numberCheck],
      );
    });
    logger.info(summary, "Checked a batch of phones");
    return summary;
  }
}
