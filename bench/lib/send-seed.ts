/**
 * Seeding a database with campaigns whose first messages are due, as the controller leaves them: a
 * campaign row with its spec (through the controller's own upsert, so the webhook route exists too),
 * contacts, one sendable mobile each, and one pending `initial` outbox row per contact. Synthetic data
 * only; every number is distinct across campaigns.
 */
import { randomUUID } from "node:crypto";
import type { Pool } from "pg";
import { campaignSpecSchema, type CampaignSpecInput } from "../../crds/index.js";
import { upsertCampaign } from "../../controller/campaign/store.js";

export interface SeededSends {
  campaignUid: string;
  outboxIds: number[];
}

export const SANDBOX_SECRET = "sandbox-credentials";

export function sandboxSenderSpec(options: {
  instance: string;
  sandboxUrl: string;
  messagesPerMinute: number;
  burst: number;
}): CampaignSpecInput {
  return {
    audience: { listRef: { name: "bench-list" } },
    message: { template: "Olá, {nome}! Você está na lista para {procedimento}. Ainda tem interesse?" },
    sender: {
      provider: "sandbox",
      credentialsSecretRef: { name: SANDBOX_SECRET },
      instance: options.instance,
      baseUrl: options.sandboxUrl,
      rateLimit: { messagesPerMinute: options.messagesPerMinute, burst: options.burst, recipientGap: "0s" },
    },
    schedule: {
      window: { start: "00:00", end: "23:59" },
      daysOfWeek: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
      dailyQuota: 10_000,
      typingWarmup: "0s",
    },
  } as CampaignSpecInput;
}

/** One campaign with `count` pending first messages; `numberOffset` keeps numbers distinct across calls. */
export async function seedPendingSends(
  pool: Pool,
  options: { namespace: string; name: string; spec: CampaignSpecInput; count: number; numberOffset: number },
): Promise<SeededSends> {
  const uid = randomUUID();
  const spec = campaignSpecSchema.parse(options.spec);
  await upsertCampaign(pool, { uid, namespace: options.namespace, name: options.name, generation: 1, spec });
  await pool.query(
    `WITH c AS (
       INSERT INTO contacts (campaign_uid, source_row, name, dedupe_key)
       SELECT $1, n, 'Paciente ' || n, 'bench-' || n FROM generate_series(1, $2::int) AS n
       RETURNING id
     )
     INSERT INTO phones (contact_id, campaign_uid, e164, raw, line_type, sendable, priority)
     SELECT id, $1, '+55859' || lpad(($3::bigint + id)::text, 8, '0'), 'raw', 'mobile', true, 1 FROM c`,
    [uid, options.count, 80_000_000 + options.numberOffset],
  );
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO outbox (campaign_uid, contact_id, phone_id, kind, step, body)
     SELECT p.campaign_uid, p.contact_id, p.id, 'initial', 0,
            'Olá, Paciente ' || p.id || '! Você está na lista para CIRURGIA. Ainda tem interesse?'
     FROM phones p WHERE p.campaign_uid = $1 ORDER BY p.id
     RETURNING id`,
    [uid],
  );
  return { campaignUid: uid, outboxIds: rows.map((r) => Number(r.id)) };
}
