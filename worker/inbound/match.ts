/**
 * Which phone row an inbound message belongs to. A sender may be known by its number (in either 9th-digit
 * form), by the address the provider resolved at validation (JID, wa_id) or by an `@lid` JID. Only
 * campaigns that send through the channel the message arrived on are searched; when the phone is in several
 * of them, the one most recently messaged wins (then the newest contact).
 */
import type { Queryable } from "../../lib/db/pool.js";
import { phoneVariants } from "../../lib/phone/index.js";

export interface InboundSender {
  provider: string;
  namespace: string;
  channel: string;
  e164?: string | null;
  address: string;
  lid?: string | null;
}

export interface MatchedPhone {
  phoneId: number;
  contactId: number;
  campaignUid: string;
}

export function senderKeys(sender: InboundSender): { numbers: string[]; addresses: string[] } {
  const numbers = new Set<string>();
  const addresses = new Set<string>([sender.address]);
  if (sender.lid) addresses.add(sender.lid);
  const fromAddress = /^(\d{10,15})@s\.whatsapp\.net$/.exec(sender.address)?.[1];
  for (const candidate of [sender.e164, fromAddress ? `+${fromAddress}` : undefined]) {
    if (candidate) for (const v of phoneVariants(candidate)) numbers.add(v);
  }
  return { numbers: [...numbers], addresses: [...addresses] };
}

export async function matchInboundSender(
  db: Queryable,
  sender: InboundSender,
): Promise<MatchedPhone | undefined> {
  const { numbers, addresses } = senderKeys(sender);
  const { rows } = await db.query<{ phone_id: number; contact_id: number; campaign_uid: string }>(
    `SELECT p.id AS phone_id, p.contact_id, p.campaign_uid
     FROM phones p
     JOIN webhook_routes r ON r.campaign_uid = p.campaign_uid
       AND r.provider = $1 AND r.namespace = $2 AND r.channel = $3
     LEFT JOIN LATERAL (
       SELECT max(o.sent_at) AS last_sent FROM outbox o WHERE o.phone_id = p.id AND o.sent_at IS NOT NULL
     ) s ON true
     WHERE p.e164 = ANY($4::text[]) OR p.wa_address = ANY($5::text[]) OR p.lid = ANY($5::text[])
     ORDER BY s.last_sent DESC NULLS LAST, p.contact_id DESC
     LIMIT 1`,
    [sender.provider, sender.namespace, sender.channel, numbers, addresses],
  );
  const row = rows[0];
  return row && { phoneId: row.phone_id, contactId: row.contact_id, campaignUid: row.campaign_uid };
}
