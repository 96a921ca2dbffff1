/**
 * Meta WhatsApp Cloud API client (reference: whatsapp-providers.md §2).
 * `POST {graph}/{version}/{phone-number-id}/messages` with a Bearer token. Meta has no number lookup,
 * so `checkNumbers` answers `unknown` for every number without calling anything; the send's outcome
 * (131026, synchronously or in a `failed` status) tells whether a number has WhatsApp.
 */
import { classifyThrown } from "../classification.js";
import { digitsOnly } from "../brazil-numbers.js";
import { callProvider, retryAfterMs, type HttpAnswer } from "../http.js";
import { ProviderError, type ProviderOperation } from "../provider-error.js";
import type {
  CallOptions,
  CheckResult,
  ConnectionState,
  E164,
  HandshakeResult,
  InboundEvent,
  ProviderCapabilities,
  ProviderErrorClass,
  Recipient,
  SendOk,
  SendTextOptions,
  TemplateMessage,
  TypingOptions,
  WebhookHeaders,
  WebhookVerdict,
  WhatsAppProvider,
} from "../types.js";
import { classifyMetaError, readGraphError } from "./classify.js";
import { metaHandshake, verifyMetaWebhook, type MetaWebhookAuth } from "./webhook-auth.js";
import { parseMetaWebhook } from "./webhook-parse.js";

export const DEFAULT_GRAPH_BASE_URL = "https://graph.facebook.com";
export const DEFAULT_GRAPH_API_VERSION = "v23.0";

export interface MetaTimeouts {
  /** For sends (text, template, typing); default 20 000 ms. */
  sendMs: number;
  /** For the phone-number lookup behind `connectionState`; default 10 000 ms. */
  connectionStateMs: number;
}

export const DEFAULT_META_TIMEOUTS: MetaTimeouts = { sendMs: 20_000, connectionStateMs: 10_000 };

export interface MetaCloudProviderOptions {
  graphBaseUrl?: string;
  /** Graph API version, e.g. `v23.0`. */
  apiVersion?: string;
  accessToken: string;
  phoneNumberId: string;
  webhook: MetaWebhookAuth;
  timeouts?: Partial<MetaTimeouts>;
  /** Milliseconds since the epoch; default `Date.now`. */
  clock?: () => number;
}

interface SendAnswer {
  contacts?: { input?: unknown; wa_id?: unknown }[];
  messages?: { id?: unknown }[];
}

export class MetaCloudProvider implements WhatsAppProvider {
  readonly type = "meta-cloud" as const;
  readonly channel: string;
  readonly capabilities: ProviderCapabilities = {
    numberCheck: false,
    typing: "in_reply",
    templates: true,
    freeFormOutsideWindow: false,
  };
  private readonly root: string;
  private readonly timeouts: MetaTimeouts;
  private readonly clock: () => number;

  constructor(private readonly options: MetaCloudProviderOptions) {
    this.channel = options.phoneNumberId;
    const base = (options.graphBaseUrl ?? DEFAULT_GRAPH_BASE_URL).replace(/\/+$/, "");
    this.root = `${base}/${options.apiVersion ?? DEFAULT_GRAPH_API_VERSION}/${encodeURIComponent(options.phoneNumberId)}`;
    this.timeouts = { ...DEFAULT_META_TIMEOUTS, ...options.timeouts };
    this.clock = options.clock ?? Date.now;
  }

  async checkNumbers(batch: readonly E164[]): Promise<CheckResult[]> {
    return batch.map((input) => ({ input, status: "unknown", reason: "unsupported" }));
  }

  sendText(to: Recipient, text: string, options: SendTextOptions = {}): Promise<SendOk> {
    return this.send("sendText", to, { type: "text", text: { preview_url: false, body: text } }, options);
  }

  sendTemplate(to: Recipient, template: TemplateMessage, options: SendTextOptions = {}): Promise<SendOk> {
    const components = template.bodyParams.length
      ? [{ type: "body", parameters: template.bodyParams.map((text) => ({ type: "text", text })) }]
      : undefined;
    const payload = {
      type: "template",
      template: { name: template.name, language: { code: template.language }, components },
    };
    return this.send("sendTemplate", to, payload, options);
  }

  /** Meta shows typing only while answering an inbound message (and marks it read); otherwise a no-op. */
  async sendTyping(_to: Recipient, _durationMs: number, options: TypingOptions = {}): Promise<void> {
    if (!options.replyToMessageId) return;
    const body = {
      messaging_product: "whatsapp",
      status: "read",
      message_id: options.replyToMessageId,
      typing_indicator: { type: "text" },
    };
    await this.call("sendTyping", "POST", `${this.root}/messages`, body, options, true);
  }

  /** Meta has no session to lose: a readable phone-number object means the channel is open. */
  async connectionState(options: CallOptions = {}): Promise<ConnectionState> {
    await this.call(
      "connectionState",
      "GET",
      `${this.root}?fields=id,display_phone_number,quality_rating`,
      undefined,
      options,
      false,
    );
    return "open";
  }

  async verifyWebhook(headers: WebhookHeaders, rawBody: Buffer): Promise<WebhookVerdict> {
    return verifyMetaWebhook(headers, rawBody, this.options.webhook, new Date(this.clock()));
  }

  handshake(query: URLSearchParams): HandshakeResult {
    return metaHandshake(query, this.options.webhook.verifyToken);
  }

  parseWebhook(rawBody: Buffer): InboundEvent[] {
    return parseMetaWebhook(rawBody);
  }

  classifyError(err: unknown): ProviderErrorClass {
    return classifyThrown(err);
  }

  private async send(
    operation: ProviderOperation,
    to: Recipient,
    content: object,
    options: SendTextOptions,
  ): Promise<SendOk> {
    const body: Record<string, unknown> = {
      messaging_product: "whatsapp",
      recipient_type: "individual",
      // A wa_id is digits; anything else (a BSUID) cannot be sent to here: use the phone number.
      to: digitsOnly(to.address && /^\+?\d+$/.test(to.address) ? to.address : to.e164),
      ...content,
    };
    if (options.correlationId) body.biz_opaque_callback_data = options.correlationId;
    const answer = await this.call(operation, "POST", `${this.root}/messages`, body, options, true);
    const parsed = answer.body as SendAnswer | undefined;
    const id = parsed?.messages?.[0]?.id;
    if (typeof id !== "string") {
      throw new ProviderError(
        { kind: "retryable", reason: "provider_error" },
        {
          provider: this.type,
          operation,
          httpStatus: answer.status,
          providerCode: "unexpected-answer",
          outcomeUnknown: true,
        },
      );
    }
    const waId = parsed?.contacts?.[0]?.wa_id;
    return {
      providerMessageId: id,
      address: typeof waId === "string" ? waId : undefined,
      acceptedAt: new Date(this.clock()),
    };
  }

  private async call(
    operation: ProviderOperation,
    method: "GET" | "POST",
    url: string,
    body: unknown,
    options: CallOptions,
    sideEffect: boolean,
  ): Promise<HttpAnswer> {
    const timeoutMs =
      operation === "connectionState" ? this.timeouts.connectionStateMs : this.timeouts.sendMs;
    const answer = await callProvider({
      provider: this.type,
      operation,
      method,
      url,
      headers: { authorization: `Bearer ${this.options.accessToken}` },
      body,
      timeoutMs,
      signal: options.signal,
      sideEffect,
    });
    if (answer.status >= 200 && answer.status < 300) return answer;
    const classified = classifyMetaError({
      ...readGraphError(answer.body),
      status: answer.status,
      retryAfterMs: retryAfterMs(answer.headers, this.clock()),
    });
    throw new ProviderError(classified.classification, {
      provider: this.type,
      operation,
      httpStatus: answer.status,
      providerCode: classified.providerCode,
      outcomeUnknown: sideEffect && classified.mayHaveSent,
    });
  }
}
