/**
 * The outbox rows a send works on. A row moves pending → claimed → sent (then delivered, read by webhooks)
 * or failed / cancelled; a claim is exclusive, so two workers or a retried job never send the same row.
 * See docs/sending.md for the whole life of a row.
 */
import type { PoolClient } from "pg";
import type { Queryable } from "../../lib/db/pool.js";

export type OutboxKind = "initial" | "follow_up" | "release" | "reply";

/** A claimed row with what sending it needs. */
export interface ClaimedRow {
  outboxId: number;
  campaignUid: string;
  namespace: string;
  kind: OutboxKind;
  step: number | null;
  body: string | null;
  template: { name: string; language: string; bodyParams: string[] } | null;
  attempts: number;
  contactId: number;
  contactState: string;
  phoneId: number;
  e164: `+${string}`;
  waAddress: string | null;
  waStatus: string;
  sendable: boolean;
  campaignState: string;
  suspended: boolean;
  sendBlocked: boolean;
  specGeneration: number;
  optedOut: boolean;
}

/** Why a row could not be claimed. */
export type NotClaimed =
  { reason: "gone" } | { reason: "not_pending"; state: string } | { reason: "too_early"; notBefore: Date };

export async function whyNotClaimed(db: Queryable, outboxId: number): Promise<NotClaimed> {
  const { rows } = await db.query<{ state: string; not_before: Date | null }>(
    "SELECT state, not_before FROM outbox WHERE id = $1",
    [outboxId],
  );
  const row = rows[0];
  if (!row) return { reason: "gone" };
  if (row.state === "pending" && row.not_before) return { reason: "too_early", notBefore: row.not_before };
  return { reason: "not_pending", state: row.state };
}

export function isClaimed(result: ClaimedRow | NotClaimed): result is ClaimedRow {
  return "outboxId" in result;
}

/**
 * Gives a claim back (nothing was sent): the row is pending again, optionally not before a time. A claim
 * that ended in a failure counts as an attempt; one only held back (`counted: false`: a rate limit, a
 * cool-down, a paused campaign) does not, so waiting never uses up a send's retries.
 */
export async function releaseClaim(
  db: Queryable,
  row: ClaimedRow,
  workerId: string,
  notBefore?: Date,
  counted = true,
): Promise<void> {
  await db.query(
    `UPDATE outbox SET state = 'pending', claimed_by = NULL, claimed_at = NULL,
       not_before = COALESCE($3, not_before), attempts = attempts - CASE WHEN $4 THEN 0 ELSE 1 END
     WHERE id = $1 AND state = 'claimed' AND claimed_by = $2`,
    [row.outboxId, workerId, notBefore ?? null, counted],
  );
}

export interface SentRecord {
  provider: string;
  providerMessageId: string;
  address?: string;
  sentAt: Date;
}

export interface FailureRecord {
  errorClass: "retryable" | "rate_limited" | "permanent" | "needs_template" | "stop_sending";
  errorCode: string;
  /** The phone has no WhatsApp (the provider said so). */
  notOnWhatsApp: boolean;
}

/** Records a send that will never succeed, and what it means for the phone and the contact. */
export async function recordFailure(
  client: PoolClient,
  row: ClaimedRow,
  workerId: string,
  failure: FailureRecord,
): Promise<void> {
  const { rowCount } = await client.query(
    `UPDATE outbox SET state = 'failed', failed_at = now(), error_class = $3, error_code = $4
     WHERE id = $1 AND state = 'claimed' AND claimed_by = $2`,
    [row.outboxId, workerId, failure.errorClass, failure.errorCode],
  );
  if (rowCount === 0) return;
  if (failure.notOnWhatsApp) {
    await client.query("UPDATE phones SET wa_status = 'not_registered', validated_at = now() WHERE id = $1", [
      row.phoneId,
    ]);
  }
  if (row.kind === "initial") await closeContactIfNoPhoneLeft(client, row.contactId);
}

/**
 * A contact whose every first message failed is closed: `no_whatsapp` when no phone has WhatsApp, else
 * `failed`. A contact with a first message still pending or sent is left alone.
 */
async function closeContactIfNoPhoneLeft(db: Queryable, contactId: number): Promise<void> {
  await db.query(
    `UPDATE contacts ct SET state = CASE
         WHEN EXISTS (SELECT 1 FROM phones p WHERE p.contact_id = ct.id AND p.wa_status <> 'not_registered' AND p.sendable)
         THEN 'failed' ELSE 'no_whatsapp' END
     WHERE ct.id = $1 AND ct.state IN ('pending', 'ready')
       AND NOT EXISTS (
         SELECT 1 FROM outbox o WHERE o.contact_id = ct.id AND o.kind = 'initial'
           AND o.state IN ('pending', 'claimed', 'sent', 'delivered', 'read', 'uncertain'))`,
    [contactId],
  );
}

/** Withdraws a claimed row that must not be sent any more (opt-out, contact closed, campaign cancelled). */
export async function cancelRow(
  db: Queryable,
  row: ClaimedRow,
  workerId: string,
  reason: string,
): Promise<void> {
  await db.query(
    `UPDATE outbox SET state = 'cancelled', error_code = $3 WHERE id = $1 AND state = 'claimed' AND claimed_by = $2`,
    [row.outboxId, workerId, reason],
  );
  if (row.kind === "initial") await closeContactIfNoPhoneLeft(db, row.contactId);
}

/** Marks the campaign's sending as blocked by the provider (ban risk, bad credentials); the controller pauses it. */
export async function blockCampaignSending(
  db: Queryable,
  campaignUid: string,
  reason: string,
): Promise<void> {
  await db.query(
    `UPDATE campaigns SET send_blocked_reason = $2, send_blocked_at = now() WHERE uid = $1 AND send_blocked_reason IS NULL`,
    [campaignUid, reason],
  );
}
