/**
 * What the Campaign reconciler reads from and writes to PostgreSQL: the campaign's row (with the spec
 * snapshot workers read), its webhook route, the import's outcome, the next contacts to start, the outbox
 * rows of their first messages, and cancellation. Every write is idempotent: a reconcile may run twice.
 */
import type { Pool } from "pg";
import type { CampaignSpec } from "../../crds/index.js";
import { withTransaction, type Queryable } from "../../lib/db/pool.js";
import { incrementDailySends } from "../../lib/db/campaign-counts.js";

export interface CampaignRowInput {
  uid: string;
  namespace: string;
  name: string;
  generation: number;
  spec: CampaignSpec;
}

export interface CampaignRow {
  state: "active" | "completed" | "cancelled";
  firstStartedAt: Date | null;
  completedAt: Date | null;
  suspended: boolean;
  sendBlockedReason: string | null;
  sendBlockedAt: Date | null;
}

/**
 * Creates or refreshes the campaign's row and webhook route; the spec snapshot only moves forward. One
 * statement (one round trip, no BEGIN/COMMIT): the route's insert is a data-modifying CTE of the campaign's
 * upsert, so both happen or neither, and the route's foreign key is checked at the end of the statement.
 */
export async function upsertCampaign(db: Queryable, input: CampaignRowInput): Promise<CampaignRow> {
  const sender = input.spec.sender;
  const channel = sender.provider === "meta-cloud" ? sender.phoneNumberId! : sender.instance!;
  const { rows } = await db.query(
    `WITH route AS (
       INSERT INTO webhook_routes (provider, namespace, channel, campaign_uid, secret_name)
       VALUES ($7, $2, $8, $1, $9)
       ON CONFLICT (provider, namespace, channel, campaign_uid) DO UPDATE SET secret_name = EXCLUDED.secret_name
     )
     INSERT INTO campaigns (uid, namespace, name, spec, spec_generation, suspended)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (uid) DO UPDATE SET
       spec = CASE WHEN campaigns.spec_generation < EXCLUDED.spec_generation OR campaigns.spec IS NULL
                   THEN EXCLUDED.spec ELSE campaigns.spec END,
       spec_generation = GREATEST(campaigns.spec_generation, EXCLUDED.spec_generation),
       suspended = EXCLUDED.suspended
     RETURNING state, first_started_at, completed_at, suspended, send_blocked_reason, send_blocked_at`,
    [
      input.uid,
      input.namespace,
      input.name,
      JSON.stringify(input.spec),
      input.generation,
      input.spec.suspend,
      sender.provider,
      channel,
      sender.credentialsSecretRef.name,
    ],
  );
  const r = rows[0];
  return {
    state: r.state,
    firstStartedAt: r.first_started_at,
    completedAt: r.completed_at,
    suspended: r.suspended,
    sendBlockedReason: r.send_blocked_reason,
    sendBlockedAt: r.send_blocked_at,
  };
}

export interface ImportFacts {
  state: "none" | "running" | "done";
  /** The list's columns (field keys) known to placeholders, once imported. */
  fields: string[];
  contacts: number;
}

export async function readImport(db: Queryable, campaignUid: string): Promise<ImportFacts> {
  const { rows } = await db.query<{
    finished_at: Date | null;
    report: { columns?: { fields?: string[] } } | null;
  }>("SELECT finished_at, report FROM imports WHERE campaign_uid = $1 ORDER BY id DESC LIMIT 1", [
    campaignUid,
  ]);
  const row = rows[0];
  if (!row) return { state: "none", fields: [], contacts: 0 };
  if (!row.finished_at) return { state: "running", fields: [], contacts: 0 };
  const { rows: c } = await db.query<{ n: number }>(
    "SELECT count(*)::bigint AS n FROM contacts WHERE campaign_uid = $1",
    [campaignUid],
  );
  return { state: "done", fields: row.report?.columns?.fields ?? [], contacts: c[0]?.n ?? 0 };
}

/** Phones still to check, in batches of `batchSize`, as id lists. */
export async function phonesToValidate(
  db: Queryable,
  campaignUid: string,
  batchSize: number,
  limit = 50,
): Promise<number[][]> {
  const { rows } = await db.query<{ id: number }>(
    `SELECT p.id FROM phones p JOIN contacts c ON c.id = p.contact_id
     WHERE p.campaign_uid = $1 AND p.sendable AND p.wa_status = 'unknown' AND c.state = 'pending'
     ORDER BY p.id LIMIT $2`,
    [campaignUid, batchSize * limit],
  );
  const batches: number[][] = [];
  for (let i = 0; i < rows.length; i += batchSize)
    batches.push(rows.slice(i, i + batchSize).map((r) => r.id));
  return batches;
}

/** With validation off (or unsupported), every pending contact with a sendable phone is ready. */
export async function markPendingReady(db: Queryable, campaignUid: string): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE contacts c SET state = CASE
         WHEN EXISTS (SELECT 1 FROM phones p WHERE p.contact_id = c.id AND p.sendable AND p.wa_status <> 'not_registered')
         THEN 'ready' ELSE 'no_whatsapp' END
     WHERE c.campaign_uid = $1 AND c.state = 'pending'`,
    [campaignUid],
  );
  return rowCount ?? 0;
}

export interface SendingFacts {
  /** First messages planned and not yet sent or closed. */
  plannedUnsent: number;
  /** The latest planned first-message time, and how many contacts were planned in all (for the jitter). */
  lastSlotAt: Date | null;
  plannedContacts: number;
  /** The earliest planned, unsent first message. */
  nextSendAt: Date | null;
}

/** Bounded reads only: pending rows are one slice at most; the rest is on the campaign's row. */
export async function readSendingFacts(db: Queryable, campaignUid: string): Promise<SendingFacts> {
  const { rows } = await db.query(
    `SELECT c.last_slot_at, c.planned_contacts,
       (SELECT count(*) FROM outbox o WHERE o.campaign_uid = $1 AND o.state IN ('pending', 'claimed') AND o.kind = 'initial')::bigint
         AS planned_unsent,
       (SELECT min(o.not_before) FROM outbox o WHERE o.campaign_uid = $1 AND o.state = 'pending' AND o.kind = 'initial') AS next_send
     FROM campaigns c WHERE c.uid = $1`,
    [campaignUid],
  );
  const r = rows[0];
  return {
    plannedUnsent: Number(r?.planned_unsent ?? 0),
    lastSlotAt: r?.last_slot_at ?? null,
    plannedContacts: Number(r?.planned_contacts ?? 0),
    nextSendAt: r?.next_send ?? null,
  };
}

export interface ContactForMessage {
  id: number;
  position: number;
  name: string;
  procedure: string | null;
  fields: Record<string, unknown>;
}

/** The next `limit` ready contacts without a first message, in list order (position: the contact id). */
export async function nextContactsToStart(
  db: Queryable,
  campaignUid: string,
  limit: number,
): Promise<ContactForMessage[]> {
  const { rows } = await db.query(
    `SELECT c.id, c.name, c.procedure, c.fields, c.id AS position
     FROM contacts c
     WHERE c.campaign_uid = $1 AND c.state = 'ready'
       AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.contact_id = c.id AND o.kind = 'initial')
     ORDER BY c.id LIMIT $2`,
    [campaignUid, limit],
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    procedure: r.procedure,
    fields: r.fields,
    position: Number(r.position),
  }));
}

export interface FirstMessage {
  contact: ContactForMessage;
  at: Date;
  quotaDay: string;
  body: string | null;
  template: unknown;
}

/**
 * Plans first messages: one outbox row per phone of each contact that can receive (the Celery system sent
 * the first message to every valid phone), counted against the quota day, in one transaction. Returns the
 * new rows' ids with their due times. A contact planned already is skipped (unique key).
 */
export async function planFirstMessages(
  pool: Pool,
  campaignUid: string,
  messages: readonly FirstMessage[],
  requireRegistered: boolean,
): Promise<{ outboxId: number; at: Date }[]> {
  if (messages.length === 0) return [];
  return withTransaction(pool, async (client) => {
    await client.query("SELECT set_config('busca_ativa.actor', 'controller', true)");
    const created: { outboxId: number; at: Date }[] = [];
    const perDay = new Map<string, number>();
    for (const m of messages) {
      const { rows } = await client.query<{ id: number }>(
        `INSERT INTO outbox (campaign_uid, contact_id, phone_id, kind, step, state, not_before, body, template)
         SELECT $1, p.contact_id, p.id, 'initial', 0, 'pending', $3, $4, $5
         FROM phones p
         WHERE p.contact_id = $2 AND p.sendable AND p.wa_status <> 'not_registered'
           AND ($6 = false OR p.wa_status = 'registered')
         ORDER BY p.priority
         ON CONFLICT (campaign_uid, contact_id, phone_id, step) DO NOTHING
         RETURNING id`,
        [
          campaignUid,
          m.contact.id,
          m.at,
          m.body,
          m.template === null ? null : JSON.stringify(m.template),
          requireRegistered,
        ],
      );
      if (rows.length === 0) continue;
      perDay.set(m.quotaDay, (perDay.get(m.quotaDay) ?? 0) + 1);
      for (const r of rows) created.push({ outboxId: r.id, at: m.at });
    }
    for (const [day, n] of perDay) await incrementDailySends(client, campaignUid, day, n);
    const planned = [...perDay.values()].reduce((a, b) => a + b, 0);
    if (planned > 0) {
      const last = messages.reduce((max, m) => (m.at > max ? m.at : max), messages[0]!.at);
      await client.query(
        `UPDATE campaigns SET first_started_at = COALESCE(first_started_at, now()),
           last_slot_at = GREATEST(COALESCE(last_slot_at, $2), $2), planned_contacts = planned_contacts + $3
         WHERE uid = $1`,
        [campaignUid, last, planned],
      );
    }
    return created;
  });
}

/** Pending outbox rows overdue by `graceMs` (their job may have been lost with Redis), with their attempt. */
export async function overduePendingRows(
  db: Queryable,
  campaignUid: string,
  graceMs: number,
  limit = 1000,
): Promise<{ outboxId: number; attempts: number }[]> {
  const { rows } = await db.query<{ id: number; attempts: number }>(
    `SELECT id, attempts FROM outbox
     WHERE campaign_uid = $1 AND state = 'pending'
       AND COALESCE(not_before, created_at) < now() - make_interval(secs => $2::double precision / 1000)
     ORDER BY id LIMIT $3`,
    [campaignUid, graceMs, limit],
  );
  return rows.map((r) => ({ outboxId: r.id, attempts: r.attempts }));
}

/** Pending rows due later (their jobs are delayed), to re-create when Redis lost them. */
export async function pendingRows(
  db: Queryable,
  campaignUid: string,
  limit = 5000,
): Promise<{ outboxId: number; attempts: number; dueInMs: number }[]> {
  const { rows } = await db.query<{ id: number; attempts: number; due_ms: number }>(
    `SELECT id, attempts, GREATEST(0, extract(epoch FROM COALESCE(not_before, now()) - now()) * 1000)::bigint AS due_ms
     FROM outbox WHERE campaign_uid = $1 AND state = 'pending' ORDER BY id LIMIT $2`,
    [campaignUid, limit],
  );
  return rows.map((r) => ({ outboxId: r.id, attempts: r.attempts, dueInMs: Number(r.due_ms) }));
}

/** Closes declines whose reason never came (the reason timeout). */
export async function closeTimedOutReasons(
  db: Queryable,
  campaignUid: string,
  timeoutMs: number,
  code: string,
): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE contacts SET state = 'declined', decline_reason = $3
     WHERE campaign_uid = $1 AND state = 'awaiting_reason'
       AND awaiting_reason_since < now() - make_interval(secs => $2::double precision / 1000)`,
    [campaignUid, timeoutMs, code],
  );
  return rowCount ?? 0;
}

export async function markCompleted(db: Queryable, campaignUid: string): Promise<void> {
  await db.query(
    "UPDATE campaigns SET state = 'completed', completed_at = COALESCE(completed_at, now()) WHERE uid = $1 AND state = 'active'",
    [campaignUid],
  );
}

export async function clearSendBlock(db: Queryable, campaignUid: string): Promise<void> {
  await db.query("UPDATE campaigns SET send_blocked_reason = NULL, send_blocked_at = NULL WHERE uid = $1", [
    campaignUid,
  ]);
}

/** Deletion: the campaign is cancelled, and nothing still queued for it will be sent. Patient data stays. */
export async function cancelCampaign(pool: Pool, campaignUid: string): Promise<void> {
  await withTransaction(pool, async (client) => {
    await client.query(
      "SELECT set_config('busca_ativa.actor', 'controller', true), set_config('busca_ativa.reason', 'Campaign deleted', true)",
    );
    await client.query(
      "UPDATE campaigns SET state = 'cancelled', cancelled_at = COALESCE(cancelled_at, now()) WHERE uid = $1",
      [campaignUid],
    );
    await client.query(
      "UPDATE outbox SET state = 'cancelled', error_code = 'campaign-cancelled' WHERE campaign_uid = $1 AND state = 'pending'",
      [campaignUid],
    );
  });
}
