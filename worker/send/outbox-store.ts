/**
 * The outbox rows a send works on. A row moves pending → claimed → sent (then delivered, read by webhooks)
 * or failed / cancelled; a claim is exclusive, so two workers or a retried job never send the same row.
 * See docs/sending.md for the whole life of a row.
 */
import type { Pool, PoolClient } from "pg";
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

export async function claimRow(
  pool: Pool,
  outboxId: number,
  workerId: string,
): Promise<ClaimedRow | NotClaimed> {
  const { rows } = await pool.query(
    `WITH claimed AS (
       UPDATE outbox SET state = 'claimed', claimed_by = $2, claimed_at = now(), attempts = attempts + 1
       WHERE id = $1 AND state = 'pending' AND (not_before IS NULL OR not_before <= now())
       RETURNING *
     )
     SELECT o.id, o.campaign_uid, o.kind, o.step, o.body, o.template, o.attempts,
            o.contact_id, ct.state AS contact_state,
            o.phone_id, p.e164, p.wa_address, p.wa_status, p.sendable,
            c.namespace, c.state AS campaign_state, c.suspended, c.send_blocked_reason IS NOT NULL AS send_blocked,
            c.spec_generation,
            EXISTS (SELECT 1 FROM opt_outs x WHERE x.namespace = c.namespace AND x.e164 = p.e164) AS opted_out
     FROM claimed o
     JOIN contacts ct ON ct.id = o.contact_id
     JOIN phones p ON p.id = o.phone_id
     JOIN campaigns c ON c.uid = o.campaign_uid`,
    [outboxId, workerId],
  );
  const r = rows[0];
  if (!r) return whyNotClaimed(pool, outboxId);
  return {
    outboxId: r.id,
    campaignUid: r.campaign_uid,
    namespace: r.namespace,
    kind: r.kind,
    step: r.step,
    body: r.body,
    template: r.template,
    attempts: r.attempts,
    contactId: r.contact_id,
    contactState: r.contact_state,
    phoneId: r.phone_id,
    e164: r.e164,
    waAddress: r.wa_address,
    waStatus: r.wa_status,
    sendable: r.sendable,
    campaignState: r.campaign_state,
    suspended: r.suspended,
    sendBlocked: r.send_blocked,
    specGeneration: r.spec_generation,
    optedOut: r.opted_out,
  };
}

async function whyNotClaimed(db: Queryable, outboxId: number): Promise<NotClaimed> {
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

/**
 * Records an accepted send and its effect on the contact, in one transaction. Returns false when the claim
 * was no longer ours (the stale-claim resolver took it over): nothing is written then.
 */
export async function recordSent(
  client: PoolClient,
  row: ClaimedRow,
  workerId: string,
  sent: SentRecord,
): Promise<boolean> {
  const { rowCount } = await client.query(
    `UPDATE outbox SET state = 'sent', provider = $3, provider_message_id = $4, provider_address = $5, sent_at = $6,
       error_class = NULL, error_code = NULL
     WHERE id = $1 AND state = 'claimed' AND claimed_by = $2`,
    [row.outboxId, workerId, sent.provider, sent.providerMessageId, sent.address ?? null, sent.sentAt],
  );
  if (rowCount === 0) return false;
  await applySendToContact(client, row, sent.sentAt);
  return true;
}

/** What a message that went out does to its contact. */
export async function applySendToContact(
  db: Queryable,
  row: Pick<ClaimedRow, "kind" | "contactId" | "step">,
  at: Date,
): Promise<void> {
  if (row.kind === "initial") {
    await db.query(
      `UPDATE contacts SET state = CASE WHEN state IN ('pending', 'ready', 'failed') THEN 'sent' ELSE state END,
         first_contacted_at = COALESCE(first_contacted_at, $2), last_contacted_at = $2
       WHERE id = $1`,
      [row.contactId, at],
    );
  } else if (row.kind === "follow_up" || row.kind === "release") {
    await db.query(
      `UPDATE contacts SET follow_up_step = GREATEST(follow_up_step, $2), last_contacted_at = $3 WHERE id = $1`,
      [row.contactId, row.step ?? 0, at],
    );
  }
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
