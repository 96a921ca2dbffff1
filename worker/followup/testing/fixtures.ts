/**
 * Test support for follow-up runs (not used by the product): Campaigns and FollowUpSchedules in the API
 * server, their campaigns rows, and contacts that were sent their first message at a chosen time.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { Pool } from "pg";
import {
  createCustomObject,
  minimalCampaign,
  minimalFollowUpSchedule,
  type Manifest,
} from "../../../test/api/objects.js";

export const HOUR = 3_600_000;

/** A Campaign in the API server; returns its uid. */
export async function createCampaign(
  kc: KubeConfig,
  namespace: string,
  name: string,
  options: { labels?: Record<string, string>; spec?: Record<string, unknown> } = {},
): Promise<string> {
  const manifest = minimalCampaign(name);
  const body: Manifest = {
    ...manifest,
    metadata: { name, ...(options.labels ? { labels: options.labels } : {}) },
    spec: { ...(manifest.spec as object), ...options.spec },
  };
  const created = await createCustomObject(kc, namespace, body);
  return created.metadata.uid as string;
}

export async function createSchedule(
  kc: KubeConfig,
  namespace: string,
  name: string,
  spec: Record<string, unknown> = {},
): Promise<string> {
  const created = await createCustomObject(kc, namespace, { ...minimalFollowUpSchedule(name), spec });
  return created.metadata.uid as string;
}

/** The campaigns row the controller would have written. */
export async function recordCampaign(
  pool: Pool,
  campaign: { uid: string; namespace: string; name: string },
  options: {
    state?: "active" | "completed" | "cancelled";
    suspended?: boolean;
    sendBlockedReason?: string;
  } = {},
): Promise<void> {
  await pool.query(
    `INSERT INTO campaigns (uid, namespace, name, state, suspended, send_blocked_reason) VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      campaign.uid,
      campaign.namespace,
      campaign.name,
      options.state ?? "active",
      options.suspended ?? false,
      options.sendBlockedReason ?? null,
    ],
  );
}

export interface PhoneSeed {
  priority?: number;
  sendable?: boolean;
  waStatus?: "unknown" | "registered" | "not_registered";
  reply?: "confirmed" | "declined" | "not_me" | null;
  /** The first message to this phone: sent (default), none, or failed. */
  initial?: "sent" | "none" | "failed";
  /** The phone number; default a unique synthetic one. */
  e164?: string;
}

export interface ContactSeed {
  /** When the first message went out. */
  firstContactedAt: Date;
  followUpStep?: number;
  state?: string;
  awaitingReasonSince?: Date;
  name?: string;
  procedure?: string | null;
  fields?: Record<string, unknown>;
  /** Default: one phone that was sent the first message. */
  phones?: PhoneSeed[];
}

let phoneCounter = 0;
/** A synthetic Brazilian mobile number, unique in the test process. */
export function syntheticPhone(): string {
  phoneCounter += 1;
  return `+55859${String(80_000_000 + process.pid * 1000 + phoneCounter).slice(-8)}`;
}

/** A contact (and its phones and first-message rows) as the send path leaves it. */
export async function seedContact(
  pool: Pool,
  campaignUid: string,
  seed: ContactSeed,
): Promise<{ contactId: number; phoneIds: number[] }> {
  const { rows } = await pool.query<{ id: number }>(
    `INSERT INTO contacts (campaign_uid, source_row, name, procedure, fields, dedupe_key, state,
       follow_up_step, first_contacted_at, last_contacted_at, awaiting_reason_since)
     VALUES ($1, 1, $2, $3, $4, gen_random_uuid()::text, $5, $6, $7, $7, $8) RETURNING id`,
    [
      campaignUid,
      seed.name ?? "Maria da Silva",
      seed.procedure === undefined ? "Cirurgia de catarata" : seed.procedure,
      seed.fields ?? {},
      seed.state ?? "sent",
      seed.followUpStep ?? 0,
      seed.firstContactedAt,
      seed.awaitingReasonSince ?? null,
    ],
  );
  const contactId = rows[0]!.id;
  const phoneIds: number[] = [];
  const phones = seed.phones ?? [{}];
  for (const [i, phone] of phones.entries()) {
    const { rows: inserted } = await pool.query<{ id: number }>(
      `INSERT INTO phones (contact_id, campaign_uid, e164, raw, line_type, sendable, priority, wa_status, reply)
       VALUES ($1, $2, $3, 'raw', 'mobile', $4, $5, $6, $7) RETURNING id`,
      [
        contactId,
        campaignUid,
        phone.e164 ?? syntheticPhone(),
        phone.sendable ?? true,
        phone.priority ?? i + 1,
        phone.waStatus ?? "registered",
        phone.reply ?? null,
      ],
    );
    const phoneId = inserted[0]!.id;
    phoneIds.push(phoneId);
    const initial = phone.initial ?? "sent";
    if (initial !== "none") {
      await pool.query(
        `INSERT INTO outbox (campaign_uid, contact_id, phone_id, kind, step, state, body, sent_at, failed_at)
         VALUES ($1, $2, $3, 'initial', 0, $4, 'first message', $5, $6)`,
        [
          campaignUid,
          contactId,
          phoneId,
          initial,
          initial === "sent" ? seed.firstContactedAt : null,
          initial === "failed" ? seed.firstContactedAt : null,
        ],
      );
    }
  }
  return { contactId, phoneIds };
}

export interface OutboxRow {
  id: number;
  contactId: number;
  phoneId: number;
  kind: string;
  step: number;
  state: string;
  body: string | null;
  notBefore: Date | null;
  attempts: number;
  template: unknown;
}

/** The reminder and release rows of a campaign, by id. */
export async function reminderRows(pool: Pool, campaignUid: string): Promise<OutboxRow[]> {
  const { rows } = await pool.query(
    `SELECT id, contact_id, phone_id, kind, step, state, body, not_before, attempts, template FROM outbox
     WHERE campaign_uid = $1 AND kind IN ('follow_up', 'release') ORDER BY id`,
    [campaignUid],
  );
  return rows.map((r) => ({
    id: r.id,
    contactId: r.contact_id,
    phoneId: r.phone_id,
    kind: r.kind,
    step: r.step,
    state: r.state,
    body: r.body,
    notBefore: r.not_before,
    attempts: r.attempts,
    template: r.template,
  }));
}

export async function contactState(
  pool: Pool,
  contactId: number,
): Promise<{ state: string; declineReason: string | null; followUpStep: number }> {
  const { rows } = await pool.query(
    "SELECT state, decline_reason, follow_up_step FROM contacts WHERE id = $1",
    [contactId],
  );
  return {
    state: rows[0].state,
    declineReason: rows[0].decline_reason,
    followUpStep: rows[0].follow_up_step,
  };
}

/** What the send path does when a reminder went out: the row is sent and the contact's step advances. */
export async function markReminderSent(pool: Pool, outboxId: number, at: Date): Promise<void> {
  const { rows } = await pool.query<{ contact_id: number; step: number }>(
    "UPDATE outbox SET state = 'sent', sent_at = $2 WHERE id = $1 RETURNING contact_id, step",
    [outboxId, at],
  );
  await pool.query(
    "UPDATE contacts SET follow_up_step = GREATEST(follow_up_step, $2), last_contacted_at = $3 WHERE id = $1",
    [rows[0]!.contact_id, rows[0]!.step, at],
  );
}
