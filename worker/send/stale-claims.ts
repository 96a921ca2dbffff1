/**
 * Resolving sends interrupted by a crash: a row still `claimed` after its claim went stale (the worker
 * died between claiming and recording). The provider's own word decides, never a guess:
 *
 * 1. an echo of the message exists (Evolution's `send.message` webhook for that address with the same text,
 *    or a Meta status carrying the row's id as its correlation id) that no other message has been matched
 *    with → it was accepted: recorded as sent;
 * 2. no echo after `echoGraceMs` from the claim → the provider never accepted it (both providers echo every
 *    accepted message): the row goes back to pending and is sent again;
 * 3. otherwise: wait for the next pass.
 */
import { createHash } from "node:crypto";
import type { Pool } from "pg";
import type { Logger } from "../../lib/logger.js";
import { recordSentRows } from "./outbox-batches.js";

export interface StaleClaimOptions {
  /** A claim older than this is stale: longer than any send may take (lock duration of the send queue). */
  staleAfterMs: number;
  /** How long after a claim an echo may still arrive. */
  echoGraceMs: number;
  /** Rows per pass. */
  limit?: number;
}

export interface StaleClaimResult {
  confirmedSent: number;
  requeued: number;
  waiting: number;
  /** Outbox ids put back to pending, to enqueue again. */
  requeuedIds: number[];
}

export function bodyFingerprint(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** The ways the provider may address a phone in an echo: the resolved address and the plain JID. */
function addressesOf(e164: string, waAddress: string | null): string[] {
  const digits = e164.replace(/\D/g, "");
  return [...new Set([waAddress, `${digits}@s.whatsapp.net`, digits].filter((a): a is string => !!a))];
}

export async function resolveStaleClaims(
  pool: Pool,
  options: StaleClaimOptions,
  logger: Logger,
): Promise<StaleClaimResult> {
  const result: StaleClaimResult = { confirmedSent: 0, requeued: 0, waiting: 0, requeuedIds: [] };
  const { rows } = await pool.query<{
    id: number;
    claimed_by: string;
    claimed_at: Date;
    body: string | null;
    e164: string;
    wa_address: string | null;
    age_ms: number;
  }>(
    `SELECT o.id, o.claimed_by, o.claimed_at, o.body, p.e164, p.wa_address,
            (extract(epoch FROM now() - o.claimed_at) * 1000)::bigint AS age_ms
     FROM outbox o JOIN phones p ON p.id = o.phone_id
     WHERE o.state = 'claimed' AND o.claimed_at < now() - make_interval(secs => $1::double precision / 1000)
     ORDER BY o.claimed_at LIMIT $2`,
    [options.staleAfterMs, options.limit ?? 500],
  );
  for (const row of rows) {
    const echo = await pool.query<{
      provider: string;
      provider_message_id: string;
      to_address: string | null;
      at: Date;
    }>(
      `SELECT e.provider, e.provider_message_id, e.to_address, e.at FROM outbound_echoes e
       WHERE (e.correlation_id = $1
          OR (e.to_address = ANY($2) AND e.body_sha256 = $3 AND e.at >= $4::timestamptz - interval '5 seconds'))
         -- An echo already recorded for another message (the same text to the same phone) is not this one.
         AND NOT EXISTS (SELECT 1 FROM outbox x
                         WHERE x.provider = e.provider AND x.provider_message_id = e.provider_message_id)
       ORDER BY e.at LIMIT 1`,
      [
        String(row.id),
        addressesOf(row.e164, row.wa_address),
        row.body ? bodyFingerprint(row.body) : null,
        row.claimed_at,
      ],
    );
    const found = echo.rows[0];
    if (found) {
      // Recorded as the dead worker's send would have been, in the same statement (row and contact).
      await recordSentRows(
        pool,
        [
          {
            outboxId: Number(row.id),
            provider: found.provider,
            providerMessageId: found.provider_message_id,
            address: found.to_address ?? undefined,
            sentAt: found.at,
          },
        ],
        row.claimed_by,
      );
      result.confirmedSent++;
      logger.info({ outboxId: row.id }, "Resolved an interrupted send: the provider had accepted it");
    } else if (row.age_ms >= options.echoGraceMs) {
      const { rowCount } = await pool.query(
        "UPDATE outbox SET state = 'pending', claimed_by = NULL, claimed_at = NULL WHERE id = $1 AND state = 'claimed'",
        [row.id],
      );
      if (rowCount) {
        result.requeued++;
        result.requeuedIds.push(Number(row.id));
        logger.info(
          { outboxId: row.id },
          "Resolved an interrupted send: the provider never accepted it; sending again",
        );
      }
    } else {
      result.waiting++;
    }
  }
  return result;
}
