/**
 * A campaign's counts for its status, read from the counters the triggers keep (see the migration
 * `audit-and-counts` and docs/database.md): one small row set per read, whatever the list's size.
 */
import type { Pool } from "pg";
import type { Queryable } from "./pool.js";
import { CONTACT_STATES, OUTBOX_KINDS, type ContactState, type OutboxKind } from "./states.js";

export interface MessageCounts {
  /** Waiting to be sent: pending or claimed. */
  queued: number;
  /** Accepted by the provider: sent, delivered or read (each message once, at its furthest state). */
  sent: number;
  /** Delivered or read. */
  delivered: number;
  read: number;
  failed: number;
  /** Sent or not: the provider's answer was lost; needs a check before any resend. */
  uncertain: number;
  cancelled: number;
}

export interface CampaignCounts {
  /** Contacts (people, after duplicates were merged). */
  contacts: number;
  phones: number;
  /** Phones the provider said are on WhatsApp. */
  valid: number;
  /** Phones the provider said are not on WhatsApp. */
  invalid: number;
  /** Phones not checked yet (includes landlines, which are never checked). */
  unchecked: number;
  /** Landlines and other lines that are never sent to. */
  notSendable: number;
  /** Rows of the patient list refused at import. */
  rejectedRows: number;
  /** Campaign messages (initial, follow-up and release); replies to patients are in `messagesByKind.reply`. */
  queued: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  uncertain: number;
  /** Contacts that sent at least one reply. */
  replied: number;
  confirmed: number;
  declined: number;
  /** Said NÃO and were asked why; not yet answered. */
  awaitingReason: number;
  notMe: number;
  noResponse: number;
  optedOut: number;
  noWhatsapp: number;
  contactsByState: Record<ContactState, number>;
  messagesByKind: Record<OutboxKind, MessageCounts>;
  /** Contacts started on `localDate` (the daily quota), or null when no date was asked for. */
  sentToday: number | null;
}

export interface ReadCountsOptions {
  /** The campaign's current local date (`YYYY-MM-DD` in its time zone) for `sentToday`. */
  localDate?: string;
}

const CAMPAIGN_KINDS = ["initial", "follow_up", "release"] as const satisfies readonly OutboxKind[];

/**
 * Folds the pending counter deltas, then reads base values plus any delta committed since, in one
 * snapshot: exact at the moment of the read.
 */
export async function readCampaignCounts(
  pool: Pool,
  campaignUid: string,
  options: ReadCountsOptions = {},
): Promise<CampaignCounts> {
  await pool.query("SELECT compact_campaign_counts($1)", [campaignUid]);
  const { rows } = await pool.query<{ metric: string; value: number }>(
    `SELECT metric, sum(value)::bigint AS value FROM (
       SELECT metric, value FROM campaign_counts WHERE campaign_uid = $1
       UNION ALL
       SELECT metric, delta FROM campaign_count_deltas WHERE campaign_uid = $1
     ) AS counters
     GROUP BY metric`,
    [campaignUid],
  );
  const metrics = new Map(rows.map((r) => [r.metric, Number(r.value)]));
  const sentToday =
    options.localDate === undefined ? null : await readDailySends(pool, campaignUid, options.localDate);
  return countsFromMetrics(metrics, sentToday);
}

/** Turns the counter metrics (`contacts.state.sent`, `outbox.initial.read`, ...) into the typed counts. */
export function countsFromMetrics(
  metrics: ReadonlyMap<string, number>,
  sentToday: number | null,
): CampaignCounts {
  const m = (name: string) => metrics.get(name) ?? 0;
  const contactsByState = Object.fromEntries(
    CONTACT_STATES.map((s) => [s, m(`contacts.state.${s}`)]),
  ) as Record<ContactState, number>;
  const messagesByKind = Object.fromEntries(
    OUTBOX_KINDS.map((kind) => {
      const s = (state: string) => m(`outbox.${kind}.${state}`);
      const counts: MessageCounts = {
        queued: s("pending") + s("claimed"),
        sent: s("sent") + s("delivered") + s("read"),
        delivered: s("delivered") + s("read"),
        read: s("read"),
        failed: s("failed"),
        uncertain: s("uncertain"),
        cancelled: s("cancelled"),
      };
      return [kind, counts];
    }),
  ) as Record<OutboxKind, MessageCounts>;
  const campaignMessages = (field: keyof MessageCounts) =>
    CAMPAIGN_KINDS.reduce((sum, kind) => sum + messagesByKind[kind][field], 0);
  return {
    contacts: m("contacts"),
    phones: m("phones"),
    valid: m("phones.wa.registered"),
    invalid: m("phones.wa.not_registered"),
    unchecked: m("phones.wa.unknown"),
    notSendable: m("phones.not_sendable"),
    rejectedRows: m("rejected_rows"),
    queued: campaignMessages("queued"),
    sent: campaignMessages("sent"),
    delivered: campaignMessages("delivered"),
    read: campaignMessages("read"),
    failed: campaignMessages("failed"),
    uncertain: campaignMessages("uncertain"),
    replied: m("contacts.replied"),
    confirmed: contactsByState.confirmed,
    declined: contactsByState.declined,
    awaitingReason: contactsByState.awaiting_reason,
    notMe: contactsByState.not_me,
    noResponse: contactsByState.no_response,
    optedOut: contactsByState.opted_out,
    noWhatsapp: contactsByState.no_whatsapp,
    contactsByState,
    messagesByKind,
    sentToday,
  };
}

/**
 * Adds `n` to the contacts started on `localDate` (`YYYY-MM-DD`, the campaign's time zone) and returns
 * the new total. Call it in the transaction that records the send, so the quota and the outbox agree.
 */
export async function incrementDailySends(
  client: Queryable,
  campaignUid: string,
  localDate: string,
  n = 1,
): Promise<number> {
  const { rows } = await client.query<{ sends: number }>(
    `INSERT INTO campaign_daily_sends (campaign_uid, local_date, sends) VALUES ($1, $2, $3)
     ON CONFLICT (campaign_uid, local_date) DO UPDATE SET sends = campaign_daily_sends.sends + EXCLUDED.sends
     RETURNING sends`,
    [campaignUid, localDate, n],
  );
  return rows[0]!.sends;
}

export async function readDailySends(db: Queryable, campaignUid: string, localDate: string): Promise<number> {
  const { rows } = await db.query<{ sends: number }>(
    "SELECT sends FROM campaign_daily_sends WHERE campaign_uid = $1 AND local_date = $2",
    [campaignUid, localDate],
  );
  return rows[0]?.sends ?? 0;
}
