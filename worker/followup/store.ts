/**
 * The follow-up run's SQL: which contacts are due for a step, which phone a reminder goes to, the outbox
 * rows it creates, the contacts whose slot it releases and those whose decline reason never came.
 *
 * A contact is due for step k when it is still `sent` (no answer), was first contacted at least the step's
 * delay ago, has finished step k-1 and has no live row for step k or later. "Finished" is the last step
 * sent (`follow_up_step`, moved by the send path) or the last step whose row failed or was withdrawn: a
 * reminder that cannot be delivered does not hold the contact back forever (the replaced system moved on
 * too), so the slot is still released in the end.
 */
import type { PoolClient } from "pg";
import type { Queryable } from "../../lib/db/pool.js";
import type { CampaignState } from "../../lib/db/states.js";
import type { OutboxTemplate } from "./plan.js";

/** The audit trail's actor for everything a run writes. */
export const FOLLOW_UP_ACTOR = "follow-up";

/** Outbox states of a row that will not be sent any more. */
const DEAD_STATES = "('failed', 'cancelled')";

/** Contacts of campaign $1 due for step $2 (first contacted at or before $3). Alias `c`. */
const DUE_FOR_STEP = `
  c.campaign_uid = $1 AND c.state = 'sent'
  AND c.first_contacted_at <= $3
  AND c.follow_up_step <= $2 - 1
  AND GREATEST(c.follow_up_step, COALESCE((
        SELECT max(f.step) FROM outbox f
        WHERE f.contact_id = c.id AND f.kind = 'follow_up' AND f.state IN ${DEAD_STATES}), 0)) = $2 - 1
  AND NOT EXISTS (
        SELECT 1 FROM outbox l
        WHERE l.contact_id = c.id AND l.kind IN ('follow_up', 'release') AND l.step >= $2
          AND l.state NOT IN ${DEAD_STATES})`;

/**
 * The phone a reminder goes to: the contact's first phone by priority that may be sent to, has not said
 * "not me", has not opted out in the namespace ($4) and received the first message.
 */
const REMINDER_PHONE = `
  SELECT p.id FROM phones p
  WHERE p.contact_id = c.id AND p.sendable AND p.wa_status <> 'not_registered'
    AND (p.reply IS NULL OR p.reply <> 'not_me')
    AND EXISTS (
      SELECT 1 FROM outbox i
      WHERE i.contact_id = c.id AND i.phone_id = p.id AND i.kind = 'initial' AND i.state IN ('sent', 'delivered', 'read'))
    AND NOT EXISTS (SELECT 1 FROM opt_outs x WHERE x.namespace = $4 AND x.e164 = p.e164)
  ORDER BY p.priority, p.id
  LIMIT 1`;

export interface CampaignRow {
  uid: string;
  state: CampaignState;
  suspended: boolean;
  sendBlockedReason: string | null;
}

export async function readCampaignRows(
  db: Queryable,
  uids: readonly string[],
): Promise<Map<string, CampaignRow>> {
  if (uids.length === 0) return new Map();
  const { rows } = await db.query<{
    uid: string;
    state: CampaignState;
    suspended: boolean;
    send_blocked_reason: string | null;
  }>("SELECT uid, state, suspended, send_blocked_reason FROM campaigns WHERE uid = ANY($1::uuid[])", [uids]);
  return new Map(
    rows.map((r) => [
      r.uid,
      { uid: r.uid, state: r.state, suspended: r.suspended, sendBlockedReason: r.send_blocked_reason },
    ]),
  );
}

/** Starts a transaction's audit context: what it changes is recorded as done by the follow-up run. */
export async function setAuditActor(client: PoolClient, reason: string): Promise<void> {
  await client.query(
    "SELECT set_config('busca_ativa.actor', $1, true), set_config('busca_ativa.reason', $2, true)",
    [FOLLOW_UP_ACTOR, reason],
  );
}

export interface DueContact {
  id: number;
  name: string;
  procedure: string | null;
  fields: Record<string, unknown>;
  /** The phone the reminder goes to; null when no phone may receive it. */
  phoneId: number | null;
}

export interface DueQuery {
  campaignUid: string;
  namespace: string;
  step: number;
  firstContactedBy: Date;
  /** Keyset: only contacts with a larger id. */
  afterContactId: number;
  limit: number;
}

/**
 * Locks and returns the next due contacts (by id). Contacts locked by someone else (a reply being
 * applied) are skipped: they are either answered or due again in the next run.
 */
export async function lockDueContacts(client: PoolClient, query: DueQuery): Promise<DueContact[]> {
  const { rows } = await client.query<{
    id: number;
    name: string;
    procedure: string | null;
    fields: Record<string, unknown>;
    phone_id: number | null;
  }>(
    `SELECT c.id, c.name, c.procedure, c.fields, (${REMINDER_PHONE}) AS phone_id
     FROM contacts c
     WHERE ${DUE_FOR_STEP} AND c.id > $5
     ORDER BY c.id
     LIMIT $6
     FOR UPDATE OF c SKIP LOCKED`,
    [
      query.campaignUid,
      query.step,
      query.firstContactedBy,
      query.namespace,
      query.afterContactId,
      query.limit,
    ],
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    procedure: r.procedure,
    fields: r.fields,
    phoneId: r.phone_id,
  }));
}

/** How many contacts are due for `step` (no locks): what a paused campaign leaves for a later run. */
export async function countDueContacts(
  db: Queryable,
  query: Pick<DueQuery, "campaignUid" | "step" | "firstContactedBy">,
): Promise<number> {
  const { rows } = await db.query<{ due: number }>(
    `SELECT count(*)::int AS due FROM contacts c WHERE ${DUE_FOR_STEP}`,
    [query.campaignUid, query.step, query.firstContactedBy],
  );
  return rows[0]?.due ?? 0;
}

export interface NewReminder {
  contactId: number;
  phoneId: number;
  body: string;
  template: OutboxTemplate | null;
}

export interface InsertedRow {
  id: number;
  contactId: number;
  attempts: number;
}

/** Creates the reminder rows; a row that exists already (same campaign, contact, phone, step) is left alone. */
export async function insertReminders(
  client: PoolClient,
  row: { campaignUid: string; kind: "follow_up" | "release"; step: number; notBefore: Date },
  reminders: readonly NewReminder[],
): Promise<InsertedRow[]> {
  if (reminders.length === 0) return [];
  const { rows } = await client.query<{ id: number; contact_id: number; attempts: number }>(
    `INSERT INTO outbox (campaign_uid, contact_id, phone_id, kind, step, body, template, not_before)
     SELECT $1, r.contact_id, r.phone_id, $2, $3, r.body, r.template, $4
     FROM jsonb_to_recordset($5::jsonb) AS r(contact_id bigint, phone_id bigint, body text, template jsonb)
     ON CONFLICT (campaign_uid, contact_id, phone_id, step) DO NOTHING
     RETURNING id, contact_id, attempts`,
    [
      row.campaignUid,
      row.kind,
      row.step,
      row.notBefore,
      JSON.stringify(
        reminders.map((r) => ({
          contact_id: r.contactId,
          phone_id: r.phoneId,
          body: r.body,
          template: r.template,
        })),
      ),
    ],
  );
  return rows.map((r) => ({ id: r.id, contactId: r.contact_id, attempts: r.attempts }));
}

/** Marks contacts that never answered as no-response (the slot is released). Returns their ids. */
export async function releaseSlots(client: PoolClient, contactIds: readonly number[]): Promise<number[]> {
  if (contactIds.length === 0) return [];
  const { rows } = await client.query<{ id: number }>(
    "UPDATE contacts SET state = 'no_response' WHERE id = ANY($1::bigint[]) AND state = 'sent' RETURNING id",
    [contactIds],
  );
  return rows.map((r) => r.id);
}

/** Closes contacts of a campaign still waiting for a decline reason since `since` or earlier. Returns how many. */
export async function closeUnansweredDeclines(
  client: PoolClient,
  campaignUid: string,
  since: Date,
  reasonCode: string,
): Promise<number> {
  const { rowCount } = await client.query(
    `UPDATE contacts SET state = 'declined', decline_reason = $3
     WHERE campaign_uid = $1 AND state = 'awaiting_reason' AND awaiting_reason_since <= $2`,
    [campaignUid, since, reasonCode],
  );
  return rowCount ?? 0;
}

export interface PendingReminder {
  id: number;
  attempts: number;
  notBefore: Date | null;
}

/**
 * The campaign's reminder and release rows still waiting to be sent: their send jobs are (re)added with
 * deterministic ids, a no-op while the job exists and a repair when Redis lost it.
 */
export async function pendingReminders(db: Queryable, campaignUid: string): Promise<PendingReminder[]> {
  const { rows } = await db.query<{ id: number; attempts: number; not_before: Date | null }>(
    `SELECT id, attempts, not_before FROM outbox
     WHERE campaign_uid = $1 AND state = 'pending' AND kind IN ('follow_up', 'release')
     ORDER BY id`,
    [campaignUid],
  );
  return rows.map((r) => ({ id: r.id, attempts: r.attempts, notBefore: r.not_before }));
}
