/**
 * The one WhatsApp provider interface (reference: whatsapp-providers.md §5) and the shapes it speaks.
 *
 * A provider is a thin client: it makes one HTTP call per method, never retries (callers own retries and
 * idempotency through the outbox), and turns every failure into a `ProviderError` carrying a
 * `ProviderErrorClass`. It never decides that a phone is invalid because a call failed: only a provider
 * answer that says so (`not_registered`, `permanent/not_on_whatsapp`) means that.
 */

/** A phone number in E.164 form, e.g. `+5585987654321`. */
export type E164 = `+${string}`;

export type ProviderType = "evolution" | "meta-cloud" | "sandbox";

/** Who to send to: the canonical number, plus the address the provider resolved for it when known. */
export interface Recipient {
  e164: E164;
  /** The provider's own address from `checkNumbers` (Evolution JID, Meta `wa_id`); keeps the 9th digit right. */
  address?: string;
}

/** Who a webhook event came from or was about. `address` is always set; the rest when the provider gave it. */
export interface ContactRef {
  /** Canonical E.164 (Brazilian mobiles with the 9th digit) when the provider revealed a phone number. */
  e164?: E164;
  /** The provider's address for the contact: a phone JID, an `@lid` JID, a `wa_id` or a BSUID. */
  address: string;
  /** The `…@lid` JID when Evolution addressed the contact by LID. */
  lid?: string;
  /** Meta's business-scoped user id (`user_id`, e.g. `BR.1502…`). */
  bsuid?: string;
}

export type CheckResult =
  /** `lid`: the contact's `…@lid` JID when the provider knows it (Evolution); replies may carry only that. */
  | { input: E164; status: "registered"; address: string; lid?: string }
  | { input: E164; status: "not_registered" }
  | { input: E164; status: "unknown"; reason: "unsupported" };

export interface SendOk {
  providerMessageId: string;
  /** The address the provider actually delivered to (JID or `wa_id`), when it said. */
  address?: string;
  acceptedAt: Date;
}

export type ConnectionState = "open" | "connecting" | "close";

/**
 * What went wrong, as far as the caller's next step is concerned.
 * - `retryable`: try again later with backoff; `outcomeUnknown` on the error says whether a send may
 *   already have been accepted (look for its webhook before sending again).
 * - `rate_limited`: slow down; `scope` says what to slow down (the sender, one recipient, the account).
 * - `permanent`: this request will never succeed as is; `not_on_whatsapp` is the only reason that means
 *   the phone itself is unusable.
 * - `needs_template`: Meta's 24-hour window is closed; send an approved template instead.
 * - `stop_sending`: the account is at risk (spam limit, policy block, ban); pause the campaign.
 * - `config`: credentials, instance or phone-number id are wrong; alert an operator.
 */
export type ProviderErrorClass =
  | { kind: "retryable"; reason: RetryableReason; retryAfterMs?: number }
  | { kind: "rate_limited"; scope: "sender" | "recipient" | "account"; retryAfterMs: number }
  | { kind: "permanent"; reason: PermanentReason }
  | { kind: "needs_template" }
  | { kind: "stop_sending"; reason: StopReason }
  | { kind: "config"; reason: ConfigReason };

export type RetryableReason = "timeout" | "network" | "server_error" | "disconnected" | "provider_error";
export type PermanentReason = "not_on_whatsapp" | "invalid_request" | "rejected";
export type StopReason = "spam_rate_limit" | "policy_block" | "account_restricted";
export type ConfigReason =
  | "unauthorized"
  | "forbidden"
  | "unknown_instance"
  | "unknown_phone_number_id"
  | "wrong_base_url"
  | "token_expired"
  | "recipient_not_allowed"
  | "template_problem";

export type ErrorKind = ProviderErrorClass["kind"];

export type DeliveryStatus = "sent" | "delivered" | "read" | "played" | "failed";

/** Every event carries `channel`: the Evolution instance name or the Meta phone-number id it concerns. */
export type InboundEvent = InboundMessageEvent | DeliveryStatusEvent | ConnectionEvent | OutboundEchoEvent;

/** A message a contact sent us. `fromMe` messages are never reported. */
export interface InboundMessageEvent {
  type: "message";
  channel: string;
  providerMessageId: string;
  from: ContactRef;
  /** The text (Evolution's `extendedTextMessage` folded in); null for media and other kinds. */
  text: string | null;
  kind: "text" | "media" | "other";
  at: Date;
}

/** A delivery status of a message we sent. Statuses may arrive out of order and more than once. */
export interface DeliveryStatusEvent {
  type: "status";
  channel: string;
  providerMessageId: string;
  status: DeliveryStatus;
  to?: ContactRef;
  /** For `failed`: the classified reason and the provider's code (e.g. Meta `131026`). */
  error?: { classification: ProviderErrorClass; code?: string };
  /** Meta `biz_opaque_callback_data` echoed from the send, when one was given. */
  correlationId?: string;
  at: Date;
}

export interface ConnectionEvent {
  type: "connection";
  channel: string;
  state: ConnectionState;
  at: Date;
}

/**
 * Evolution's `send.message` event: a message the instance sent. Lets a caller find out whether a send
 * whose HTTP response was lost was accepted after all.
 */
export interface OutboundEchoEvent {
  type: "outbound";
  channel: string;
  providerMessageId: string;
  to: ContactRef;
  text: string | null;
  at: Date;
}

/** Headers as Node and fastify give them (lower-case names); lookups here are case-insensitive anyway. */
export type WebhookHeaders = Record<string, string | string[] | undefined>;

export type WebhookRefusal = "missing" | "bad_signature" | "expired" | "replay";

export type WebhookVerdict = { ok: true } | { ok: false; reason: WebhookRefusal; detail: string };

export interface HandshakeResult {
  status: number;
  body: string;
}

export interface ProviderCapabilities {
  /** The provider can tell whether a number has WhatsApp before sending (Evolution yes, Meta no). */
  numberCheck: boolean;
  /** `presence`: typing can be shown to anyone; `in_reply`: only while answering an inbound message. */
  typing: "presence" | "in_reply";
  /** Approved templates can be sent (`sendTemplate`). */
  templates: boolean;
  /** Free-form text may be sent outside Meta's 24-hour customer-service window. */
  freeFormOutsideWindow: boolean;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface SendTextOptions extends CallOptions {
  /** An id of ours echoed back in status webhooks where the provider supports it (Meta). */
  correlationId?: string;
}

export interface TypingOptions extends CallOptions {
  /** Meta only shows typing in reply to an inbound message: its provider message id. */
  replyToMessageId?: string;
}

export interface TemplateMessage {
  name: string;
  /** Template language code, e.g. `pt_BR`. */
  language: string;
  /** Values for the body's `{{1}}`, `{{2}}`, … in order. */
  bodyParams: string[];
}

export interface WhatsAppProvider {
  readonly type: ProviderType;
  /** The Evolution instance name or the Meta phone-number id this provider sends from. */
  readonly channel: string;
  readonly capabilities: ProviderCapabilities;

  /** One result per input, in input order. A failed call throws; it never marks numbers as unregistered. */
  checkNumbers(batch: readonly E164[], options?: CallOptions): Promise<CheckResult[]>;
  sendText(to: Recipient, text: string, options?: SendTextOptions): Promise<SendOk>;
  sendTemplate?(to: Recipient, template: TemplateMessage, options?: SendTextOptions): Promise<SendOk>;
  /** Shows "typing…" for about `durationMs`. Evolution blocks for that long; Meta needs a reply target. */
  sendTyping(to: Recipient, durationMs: number, options?: TypingOptions): Promise<void>;
  connectionState(options?: CallOptions): Promise<ConnectionState>;

  /** Authenticates a webhook request over its exact raw bytes. Stateless: remembers nothing. */
  verifyWebhook(headers: WebhookHeaders, rawBody: Buffer, query?: URLSearchParams): Promise<WebhookVerdict>;
  /** Meta's GET subscription handshake; undefined for providers that have none. */
  handshake?(query: URLSearchParams): HandshakeResult;
  /** Throws a `ProviderError` (`PROVIDER_WEBHOOK_MALFORMED`) on a body that is not the provider's shape. */
  parseWebhook(rawBody: Buffer): InboundEvent[];
  classifyError(err: unknown): ProviderErrorClass;
}
