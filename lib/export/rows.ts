/**
 * Reading a campaign's contacts for the export, in batches (keyset pagination on the contact id) inside
 * one read-only REPEATABLE READ transaction: a consistent snapshot, and memory that does not grow with
 * the list. Each contact comes with its phones, its first send, its last classified reply and its last
 * failed campaign message.
 */
import type { Pool } from "pg";
import { AppError } from "../errors.js";
import type { ExportContact } from "./columns.js";

export interface ExportCampaign {
  uid: string;
  namespace: string;
  name: string;
  state: "active" | "completed" | "cancelled";
  /** The controller's snapshot of the spec (no patient data), or null before its first reconcile. */
  spec: {
    schedule?: { timeZone?: string };
    replies?: { declineReason?: { options?: { code: string; label: string }[] } };
  } | null;
  createdAt: Date;
}

/**
 * The campaign named namespace/name. A name reused after a deletion is several campaigns: the newest is
 * taken unless `uid` says which; `others` lists the rest. Throws CAMPAIGN_NOT_FOUND (exit 3).
 */
export async function findExportCampaign(
  pool: Pool,
  namespace: string,
  name: string,
  uid?: string,
): Promise<{ campaign: ExportCampaign; others: string[] }> {
  const { rows } = await pool.query<{
    uid: string;
    namespace: string;
    name: string;
    state: ExportCampaign["state"];
    spec: ExportCampaign["spec"];
    created_at: Date;
  }>(
    `SELECT uid, namespace, name, state, spec, created_at FROM campaigns
     WHERE namespace = $1 AND name = $2 ORDER BY created_at DESC, uid`,
    [namespace, name],
  );
  const chosen = uid ? rows.find((r) => r.uid === uid) : rows[0];
  if (!chosen) {
    throw new AppError(
      "CAMPAIGN_NOT_FOUND",
      uid
        ? `No campaign ${namespace}/${name} with uid ${uid} in the database (${rows.length} with that name)`
        : `No campaign ${namespace}/${name} in the database: check the namespace and name (a campaign is recorded once the controller saw it)`,
      { namespace, name },
    );
  }
  return {
    campaign: {
      uid: chosen.uid,
      namespace: chosen.namespace,
      name: chosen.name,
      state: chosen.state,
      spec: chosen.spec,
      createdAt: chosen.created_at,
    },
    others: rows.filter((r) => r !== chosen).map((r) => r.uid),
  };
}

const BATCH_SQL = `
  SELECT c.id, c.source_row, c.name, c.birth_date, c.procedure, c.state,
    c.first_contacted_at, c.replied_at, c.decline_reason, c.decline_reason_text,
    ARRAY(SELECT p.e164 FROM phones p WHERE p.contact_id = c.id ORDER BY p.priority, p.id) AS phones,
    (SELECT min(o.sent_at) FROM outbox o WHERE o.contact_id = c.id AND o.kind = 'initial') AS first_sent_at,
    r.classification AS last_reply, r.received_at AS last_reply_at,
    f.error_class, f.error_code
  FROM contacts c
  LEFT JOIN LATERAL (
    SELECT i.classification, i.received_at FROM inbound_messages i
    WHERE i.contact_id = c.id AND i.classification IS NOT NULL
    ORDER BY i.received_at DESC, i.id DESC LIMIT 1
  ) r ON true
  LEFT JOIN LATERAL (
    SELECT o.error_class, o.error_code FROM outbox o
    WHERE o.contact_id = c.id AND o.state = 'failed' AND o.kind <> 'reply'
    ORDER BY o.id DESC LIMIT 1
  ) f ON true
  WHERE c.campaign_uid = $1 AND c.id > $2
  ORDER BY c.id
  LIMIT $3`;

/** The campaign's contacts in list order (contact id), `batchSize` at a time. */
export async function* readExportContacts(
  pool: Pool,
  campaignUid: string,
  batchSize = 1000,
): AsyncGenerator<ExportContact[]> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    let after = 0;
    for (;;) {
      const { rows } = await client.query(BATCH_SQL, [campaignUid, after, batchSize]);
      if (rows.length === 0) break;
      yield rows.map(toContact);
      after = Number(rows[rows.length - 1].id);
      if (rows.length < batchSize) break;
    }
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {
      broken = true;
    });
    throw err;
  } finally {
    client.release(broken);
  }
}

function toContact(r: Record<string, unknown>): ExportContact {
  return {
    id: Number(r.id),
    sourceRow: Number(r.source_row),
    name: r.name as string,
    birthDate: r.birth_date === null ? null : dateText(r.birth_date),
    procedure: (r.procedure as string | null) ?? null,
    state: r.state as ExportContact["state"],
    phones: (r.phones as string[] | null) ?? [],
    firstContactedAt: (r.first_contacted_at as Date | null) ?? null,
    firstSentAt: (r.first_sent_at as Date | null) ?? null,
    repliedAt: (r.replied_at as Date | null) ?? null,
    lastReply: (r.last_reply as string | null) ?? null,
    lastReplyAt: (r.last_reply_at as Date | null) ?? null,
    declineReason: (r.decline_reason as string | null) ?? null,
    declineReasonText: (r.decline_reason_text as string | null) ?? null,
    errorClass: (r.error_class as ExportContact["errorClass"]) ?? null,
    errorCode: (r.error_code as string | null) ?? null,
  };
}

/** Pools from createPool return dates as text; a plain pg pool returns a local-midnight Date. */
function dateText(value: unknown): string {
  if (typeof value === "string") return value;
  const d = value as Date;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
