/**
 * The values the database's CHECK constraints allow, as TypeScript types. The migrations are the
 * source of truth; a test reads the constraints back and compares them with these lists.
 */
export const CAMPAIGN_STATES = ["active", "completed", "cancelled"] as const;
export type CampaignState = (typeof CAMPAIGN_STATES)[number];

export const CONTACT_STATES = [
  "pending",
  "ready",
  "no_whatsapp",
  "sent",
  "awaiting_reason",
  "confirmed",
  "declined",
  "not_me",
  "no_response",
  "opted_out",
  "failed",
] as const;
export type ContactState = (typeof CONTACT_STATES)[number];

export const LINE_TYPES = ["mobile", "fixed_line", "other"] as const;
export const WA_STATUSES = ["unknown", "registered", "not_registered"] as const;
export type WaStatus = (typeof WA_STATUSES)[number];
export const PHONE_REPLIES = ["confirmed", "declined", "not_me"] as const;
export type PhoneReply = (typeof PHONE_REPLIES)[number];

export const OUTBOX_KINDS = ["initial", "follow_up", "release", "reply"] as const;
export type OutboxKind = (typeof OUTBOX_KINDS)[number];
export const OUTBOX_STATES = [
  "pending",
  "claimed",
  "sent",
  "delivered",
  "read",
  "failed",
  "uncertain",
  "cancelled",
] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];
export const OUTBOX_ERROR_CLASSES = [
  "retryable",
  "rate_limited",
  "permanent",
  "needs_template",
  "stop_sending",
] as const;
export type OutboxErrorClass = (typeof OUTBOX_ERROR_CLASSES)[number];

export const DELIVERY_STATUSES = ["sent", "delivered", "read", "failed"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const OPT_OUT_SOURCES = ["reply", "operator"] as const;
export type OptOutSource = (typeof OPT_OUT_SOURCES)[number];
