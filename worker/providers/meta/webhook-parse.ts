/**
 * Meta Cloud API webhook bodies → events (reference: whatsapp-providers.md §2.4, §2.5).
 *
 * `{object: "whatsapp_business_account", entry[].changes[] {field, value}}`. Only `field: "messages"`
 * carries what we need: `value.messages[]` (replies) and `value.statuses[]` (delivery). Senders may come
 * without a phone number (BSUID only: `from_user_id` / `contacts[].user_id`). Other fields yield nothing.
 */
import { z } from "zod";
import { canonicalE164 } from "../brazil-numbers.js";
import { MalformedWebhookError } from "../provider-error.js";
import type { ContactRef, DeliveryStatus, InboundEvent } from "../types.js";
import { classifyMetaError } from "./classify.js";

const bodySchema = z.looseObject({
  object: z.string(),
  entry: z.array(
    z.looseObject({
      changes: z.array(z.looseObject({ field: z.string().optional(), value: z.unknown() })).default([]),
    }),
  ),
});

const contactSchema = z.looseObject({ wa_id: z.string().optional(), user_id: z.string().optional() });

const messageSchema = z.looseObject({
  id: z.string().min(1),
  from: z.string().optional(),
  from_user_id: z.string().optional(),
  timestamp: z.union([z.string(), z.number()]),
  type: z.string().default("unknown"),
});

const statusSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string(),
  timestamp: z.union([z.string(), z.number()]),
  recipient_id: z.string().optional(),
  recipient_user_id: z.string().optional(),
  biz_opaque_callback_data: z.string().optional(),
  errors: z.array(z.looseObject({ code: z.union([z.number(), z.string()]).optional() })).optional(),
});

const valueSchema = z.looseObject({
  metadata: z.looseObject({ phone_number_id: z.string() }),
  contacts: z.array(contactSchema).optional(),
  messages: z.array(z.unknown()).optional(),
  statuses: z.array(z.unknown()).optional(),
});

const STATUSES: Record<string, DeliveryStatus | undefined> = {
  sent: "sent",
  delivered: "delivered",
  read: "read",
  played: "played",
  failed: "failed",
};
const MEDIA_TYPES = new Set(["image", "audio", "video", "document", "sticker"]);

export function parseMetaWebhook(rawBody: Buffer): InboundEvent[] {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString("utf8"));
  } catch {
    throw new MalformedWebhookError("meta-cloud", "the body is not JSON");
  }
  const body = bodySchema.safeParse(json);
  if (!body.success) throw new MalformedWebhookError("meta-cloud", "missing object or entry[]");
  const events: InboundEvent[] = [];
  for (const entry of body.data.entry) {
    for (const change of entry.changes) {
      if (change.field !== undefined && change.field !== "messages") continue;
      const value = valueSchema.safeParse(change.value);
      if (!value.success)
        throw new MalformedWebhookError("meta-cloud", "a messages change has no metadata.phone_number_id");
      const channel = value.data.metadata.phone_number_id;
      const contacts = value.data.contacts ?? [];
      for (const item of value.data.messages ?? []) events.push(messageEvent(item, channel, contacts));
      for (const item of value.data.statuses ?? []) events.push(...statusEvent(item, channel));
    }
  }
  return events;
}

function messageEvent(
  item: unknown,
  channel: string,
  contacts: z.infer<typeof contactSchema>[],
): InboundEvent {
  const parsed = messageSchema.safeParse(item);
  if (!parsed.success) throw new MalformedWebhookError("meta-cloud", "a message has no id or timestamp");
  const msg = parsed.data;
  const contact =
    contacts.find((c) => msg.from !== undefined && c.wa_id === msg.from) ??
    (contacts.length === 1 ? contacts[0] : undefined);
  const from = contactRef(msg.from ?? contact?.wa_id, msg.from_user_id ?? contact?.user_id);
  if (!from) throw new MalformedWebhookError("meta-cloud", "a message has neither from nor a user id");
  const text = messageText(msg as Record<string, unknown>);
  const kind = text !== null ? "text" : MEDIA_TYPES.has(msg.type) ? "media" : "other";
  return { type: "message", channel, providerMessageId: msg.id, from, text, kind, at: epoch(msg.timestamp) };
}

function statusEvent(item: unknown, channel: string): InboundEvent[] {
  const parsed = statusSchema.safeParse(item);
  if (!parsed.success)
    throw new MalformedWebhookError("meta-cloud", "a status has no id, status or timestamp");
  const s = parsed.data;
  const status = STATUSES[s.status];
  if (!status) return [];
  const event: InboundEvent = {
    type: "status",
    channel,
    providerMessageId: s.id,
    status,
    at: epoch(s.timestamp),
  };
  const to = contactRef(s.recipient_id, s.recipient_user_id);
  if (to) event.to = to;
  if (s.biz_opaque_callback_data) event.correlationId = s.biz_opaque_callback_data;
  const code = s.errors?.[0]?.code;
  if (status === "failed" || code !== undefined) {
    const numeric = code !== undefined ? Number(code) : undefined;
    const classified = classifyMetaError({ code: Number.isInteger(numeric) ? numeric : undefined });
    event.error = {
      classification: classified.classification,
      code: code !== undefined ? String(code) : undefined,
    };
  }
  return [event];
}

function contactRef(phone: string | undefined, bsuid: string | undefined): ContactRef | undefined {
  if (phone) {
    const ref: ContactRef = { address: phone, e164: canonicalE164(phone.replace(/\D/g, "")) };
    if (bsuid) ref.bsuid = bsuid;
    return ref;
  }
  return bsuid ? { address: bsuid, bsuid } : undefined;
}

/** Text of text, button and interactive replies; null for everything else. */
function messageText(msg: Record<string, unknown>): string | null {
  const obj = (name: string) =>
    msg[name] && typeof msg[name] === "object" ? (msg[name] as Record<string, unknown>) : undefined;
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  const interactive = obj("interactive");
  const reply = (interactive?.button_reply ?? interactive?.list_reply) as Record<string, unknown> | undefined;
  return str(obj("text")?.body) ?? str(obj("button")?.text) ?? str(reply?.title) ?? null;
}

function epoch(value: string | number): Date {
  const seconds = Number(value);
  return new Date(Number.isFinite(seconds) ? seconds * 1000 : 0);
}
