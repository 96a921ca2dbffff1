/**
 * Applying one stored inbound message: match the sender to a phone, run the reply state machine in one
 * transaction with the contact and its phones locked, and queue the answer as an outbox row. Idempotent: a
 * message is processed once (its row is marked), and earlier unprocessed messages from the same sender are
 * applied first, in the provider's time order.
 */
import type { Pool, PoolClient } from "pg";
import type { Logger } from "../../lib/logger.js";
import { withTransaction } from "../../lib/db/pool.js";
import { renderTemplate } from "../../lib/messages/render.js";
import { FREE_TEXT_REASON_CODE } from "../../crds/index.js";
import {
  decideReply,
  type AnswerKind,
  type ContactState,
  type PhoneReply,
  type ReplyDecision,
} from "../replies/state-machine.js";
import type { CampaignSpecs } from "../campaigns/spec-cache.js";
import { matchInboundSender } from "./match.js";

export interface ReplyDeps {
  pool: Pool;
  specs: CampaignSpecs;
  logger: Logger;
  now?: () => Date;
}

export interface ReplyOutcome {
  /** Inbound rows applied by this call (the one asked for and earlier ones from the same sender). */
  processed: number;
  /** Outbox rows of answers to send. */
  answerOutboxIds: number[];
}

interface InboundRow {
  id: number;
  provider: string;
  instance: string;
  namespace: string;
  from_address: string;
  from_e164: string | null;
  from_lid: string | null;
  text: string | null;
  received_at: Date;
}

export async function processInbound(inboundId: number, deps: ReplyDeps): Promise<ReplyOutcome> {
  const outcome: ReplyOutcome = { processed: 0, answerOutboxIds: [] };
  const target = await loadInbound(deps.pool, inboundId);
  if (!target) return outcome;
  // Earlier messages from the same sender that are not applied yet go first.
  const { rows } = await deps.pool.query<{ id: number }>(
    `SELECT id FROM inbound_messages
     WHERE provider = $1 AND instance = $2 AND from_address = $3 AND processed_at IS NULL AND received_at <= $4
     ORDER BY received_at, id`,
    [target.provider, target.instance, target.from_address, target.received_at],
  );
  for (const { id } of rows) {
    const answer = await withTransaction(deps.pool, (client) => applyOne(client, id, deps));
    if (answer !== undefined) {
      outcome.processed++;
      if (answer !== null) outcome.answerOutboxIds.push(answer);
    }
  }
  return outcome;
}

async function loadInbound(
  db: Pool | PoolClient,
  id: number,
  lock = false,
): Promise<(InboundRow & { processed: boolean }) | undefined> {
  const { rows } = await db.query(
    `SELECT id, provider, instance, namespace, from_address, from_e164, from_lid, text, received_at,
            processed_at IS NOT NULL AS processed
     FROM inbound_messages WHERE id = $1 ${lock ? "FOR UPDATE" : ""}`,
    [id],
  );
  return rows[0];
}

/** Applies one message; undefined when it was already applied, else the answer's outbox id or null. */
async function applyOne(
  client: PoolClient,
  inboundId: number,
  deps: ReplyDeps,
): Promise<number | null | undefined> {
  const now = (deps.now ?? (() => new Date()))();
  const inbound = await loadInbound(client, inboundId, true);
  if (!inbound || inbound.processed) return undefined;
  const matched = await matchInboundSender(client, {
    provider: inbound.provider,
    namespace: inbound.namespace,
    channel: inbound.instance,
    e164: inbound.from_e164,
    address: inbound.from_address,
    lid: inbound.from_lid,
  });
  if (!matched || inbound.text === null) {
    await client.query(
      "UPDATE inbound_messages SET processed_at = now(), classification = $2, phone_id = $3, contact_id = $4, campaign_uid = $5 WHERE id = $1",
      [
        inboundId,
        matched ? "not_text" : "unmatched",
        matched?.phoneId ?? null,
        matched?.contactId ?? null,
        matched?.campaignUid ?? null,
      ],
    );
    deps.logger.info(
      { inboundId, matched: !!matched },
      matched ? "Stored a message without text" : "Stored a message from an unknown sender",
    );
    return null;
  }

  await client.query(
    "SELECT set_config('busca_ativa.actor', 'reply', true), set_config('busca_ativa.reason', $1, true)",
    [`inbound ${inboundId}`],
  );
  // Lock the contact, then its phones, in a fixed order (contact first) so concurrent replies serialise.
  const contact = (
    await client.query<{
      state: ContactState;
      name: string;
      procedure: string | null;
      fields: Record<string, unknown>;
    }>("SELECT state, name, procedure, fields FROM contacts WHERE id = $1 FOR UPDATE", [matched.contactId])
  ).rows[0]!;
  const phones = (
    await client.query<{
      id: number;
      reply: PhoneReply | null;
      last_already_answered_at: Date | null;
      reached: boolean;
    }>(
      `SELECT p.id, p.reply, p.last_already_answered_at,
              EXISTS (SELECT 1 FROM outbox o WHERE o.phone_id = p.id AND o.kind = 'initial' AND o.state IN ('sent', 'delivered', 'read')) AS reached
       FROM phones p WHERE p.contact_id = $1 ORDER BY p.id FOR UPDATE`,
      [matched.contactId],
    )
  ).rows;
  const phone = phones.find((p) => p.id === matched.phoneId)!;
  const spec = await deps.specs.get(matched.campaignUid);
  const replies = spec.replies;

  const decision = decideReply(
    {
      contactState: contact.state,
      phoneReply: phone.reply,
      otherReachedPhoneReplies: phones.filter((p) => p.id !== phone.id && p.reached).map((p) => p.reply),
      lastAlreadyAnsweredAt: phone.last_already_answered_at,
      text: inbound.text,
      now,
    },
    {
      keywords: replies.keywords,
      reasonOptions: replies.declineReason.options,
      freeTextReasonCode: FREE_TEXT_REASON_CODE,
    },
  );
  await applyDecision(client, decision, {
    ...matched,
    namespace: inbound.namespace,
    now,
    e164: inbound.from_e164,
  });
  await client.query(
    "UPDATE inbound_messages SET processed_at = now(), classification = $2, phone_id = $3, contact_id = $4, campaign_uid = $5 WHERE id = $1",
    [inboundId, decision.classification, matched.phoneId, matched.contactId, matched.campaignUid],
  );
  if (!decision.answer) return null;
  const text = renderTemplate(answerTemplate(decision.answer, replies), {
    name: contact.name,
    procedure: contact.procedure,
    fields: contact.fields,
  });
  const { rows } = await client.query<{ id: number }>(
    `INSERT INTO outbox (campaign_uid, contact_id, phone_id, kind, inbound_id, purpose, body)
     VALUES ($1, $2, $3, 'reply', $4, $5, $6)
     ON CONFLICT (inbound_id, purpose) DO NOTHING RETURNING id`,
    [matched.campaignUid, matched.contactId, matched.phoneId, inboundId, decision.answer, text],
  );
  return rows[0]?.id ?? null;
}

function answerTemplate(
  kind: AnswerKind,
  replies: { texts: Record<string, string>; declineReason: { question: string } },
): string {
  return kind === "declineReasonQuestion" ? replies.declineReason.question : replies.texts[kind]!;
}

async function applyDecision(
  client: PoolClient,
  decision: ReplyDecision,
  at: {
    phoneId: number;
    contactId: number;
    campaignUid: string;
    namespace: string;
    now: Date;
    e164: string | null;
  },
): Promise<void> {
  // A phone that answers has WhatsApp, whatever validation said.
  await client.query(
    `UPDATE phones SET wa_status = 'registered', reply = COALESCE($2, reply),
       replied_at = CASE WHEN $2::text IS NULL THEN replied_at ELSE $3 END,
       last_already_answered_at = CASE WHEN $4 THEN $3 ELSE last_already_answered_at END
     WHERE id = $1`,
    [at.phoneId, decision.phoneReply ?? null, at.now, isAlreadyAnswered(decision.answer)],
  );
  if (decision.contactState || decision.phoneReply || decision.declineReason) {
    await client.query(
      `UPDATE contacts SET
         state = COALESCE($2, state),
         replied_at = COALESCE(replied_at, $3),
         awaiting_reason_since = CASE WHEN $2 = 'awaiting_reason' THEN $3 ELSE awaiting_reason_since END,
         decline_reason = COALESCE($4, decline_reason),
         decline_reason_text = COALESCE($5, decline_reason_text)
       WHERE id = $1`,
      [
        at.contactId,
        decision.contactState ?? null,
        at.now,
        decision.declineReason?.code ?? null,
        decision.declineReason?.text ?? null,
      ],
    );
  }
  if (decision.optOut) {
    const { rows } = await client.query<{ e164: string }>("SELECT e164 FROM phones WHERE id = $1", [
      at.phoneId,
    ]);
    await client.query(
      `INSERT INTO opt_outs (namespace, e164, source, campaign_uid) VALUES ($1, $2, 'reply', $3)
       ON CONFLICT (namespace, e164) DO NOTHING`,
      [at.namespace, rows[0]!.e164, at.campaignUid],
    );
    // Nothing queued to this number may go out any more, in any campaign of the namespace.
    await client.query(
      `UPDATE outbox o SET state = 'cancelled', error_code = 'opted-out'
       FROM phones p, campaigns c
       WHERE o.phone_id = p.id AND c.uid = o.campaign_uid AND c.namespace = $1 AND p.e164 = $2
         AND o.state = 'pending' AND o.kind <> 'reply'`,
      [at.namespace, rows[0]!.e164],
    );
  }
}

function isAlreadyAnswered(kind: AnswerKind | undefined): boolean {
  return (
    kind === "alreadyConfirmed" ||
    kind === "alreadyDeclined" ||
    kind === "alreadyClosed" ||
    kind === "answeredOnAnotherPhone"
  );
}
