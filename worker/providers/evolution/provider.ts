/**
 * Evolution API v2 client (reference: whatsapp-providers.md §1; busca-ativa-domain.md §6).
 * Auth is the `apikey` header; routes sit at the server root with the instance as the last segment.
 * One HTTP call per method, no retries; failures become classified `ProviderError`s.
 */
import { classifyThrown } from "../classification.js";
import { digitsOnly, isLidJid } from "../brazil-numbers.js";
import { callProvider, retryAfterMs, type HttpAnswer } from "../http.js";
import { ProviderError, type ProviderOperation } from "../provider-error.js";
import type {
  CallOptions,
  CheckResult,
  ConnectionState,
  E164,
  InboundEvent,
  ProviderCapabilities,
  ProviderErrorClass,
  Recipient,
  SendOk,
  SendTextOptions,
  TypingOptions,
  WebhookHeaders,
  WebhookVerdict,
  WhatsAppProvider,
} from "../types.js";
import { classifyEvolutionFailure } from "./classify.js";
import { verifyEvolutionWebhook, type EvolutionWebhookAuth } from "./webhook-auth.js";
import { parseEvolutionWebhook } from "./webhook-parse.js";

export interface EvolutionTimeouts {
  /** For `whatsappNumbers` (one WhatsApp query per number inside Evolution); default 30 000 ms. */
  checkNumbersMs: number;
  /** For `sendText`; default 20 000 ms. */
  sendTextMs: number;
  /** Added to the typing duration, which Evolution blocks for; default 10 000 ms. */
  sendTypingExtraMs: number;
  /** For `connectionState`; default 10 000 ms. */
  connectionStateMs: number;
}

export const DEFAULT_EVOLUTION_TIMEOUTS: EvolutionTimeouts = {
  checkNumbersMs: 30_000,
  sendTextMs: 20_000,
  sendTypingExtraMs: 10_000,
  connectionStateMs: 10_000,
};

export interface EvolutionProviderOptions {
  /** `evolution`, or `sandbox` for the same wire format against the sandbox server. */
  type?: "evolution" | "sandbox";
  /** Server root, e.g. `https://evolution.example.org` (no `/api` prefix). */
  baseUrl: string;
  /** Global `AUTHENTICATION_API_KEY` or the instance's own token. */
  apiKey: string;
  instance: string;
  webhook: EvolutionWebhookAuth;
  timeouts?: Partial<EvolutionTimeouts>;
  /** Milliseconds since the epoch; default `Date.now`. */
  clock?: () => number;
}

interface NumberCheckItem {
  exists?: unknown;
  jid?: unknown;
  number?: unknown;
  lid?: unknown;
}

export class EvolutionProvider implements WhatsAppProvider {
  readonly type: "evolution" | "sandbox";
  readonly channel: string;
  readonly capabilities: ProviderCapabilities = {
    numberCheck: true,
    typing: "presence",
    templates: false,
    freeFormOutsideWindow: true,
  };
  private readonly base: string;
  private readonly timeouts: EvolutionTimeouts;
  private readonly clock: () => number;

  constructor(private readonly options: EvolutionProviderOptions) {
    this.type = options.type ?? "evolution";
    this.channel = options.instance;
    this.base = options.baseUrl.replace(/\/+$/, "");
    this.timeouts = { ...DEFAULT_EVOLUTION_TIMEOUTS, ...options.timeouts };
    this.clock = options.clock ?? Date.now;
  }

  async checkNumbers(batch: readonly E164[], options: CallOptions = {}): Promise<CheckResult[]> {
    if (batch.length === 0) return [];
    const numbers = batch.map((e164) => digitsOnly(e164));
    const answer = await this.call(
      "checkNumbers",
      "POST",
      `/chat/whatsappNumbers/`,
      { numbers },
      this.timeouts.checkNumbersMs,
      options,
      false,
    );
    const items = Array.isArray(answer.body) ? (answer.body as NumberCheckItem[]) : undefined;
    if (!items) throw this.unexpected("checkNumbers", answer.status);
    const byNumber = new Map<string, NumberCheckItem>();
    for (const item of items)
      if (typeof item.number === "string") byNumber.set(digitsOnly(item.number), item);
    return batch.map((input, index) => {
      // Evolution echoes each input in `number`; fall back to position when an older build does not.
      const item = byNumber.get(numbers[index]!) ?? (byNumber.size === 0 ? items[index] : undefined);
      if (!item) throw this.unexpected("checkNumbers", answer.status);
      if (item.exists === true && typeof item.jid === "string") {
        const lid = lidJidOf(item.lid);
        return { input, status: "registered", address: item.jid, ...(lid ? { lid } : {}) };
      }
      return { input, status: "not_registered" };
    });
  }

  async sendText(to: Recipient, text: string, options: SendTextOptions = {}): Promise<SendOk> {
    const body = { number: this.addressFor(to), text, linkPreview: false };
    const answer = await this.call(
      "sendText",
      "POST",
      `/message/sendText/`,
      body,
      this.timeouts.sendTextMs,
      options,
      true,
    );
    const key = (answer.body as { key?: { id?: unknown; remoteJid?: unknown } } | undefined)?.key;
    if (!key || typeof key.id !== "string") throw this.unexpected("sendText", answer.status);
    const timestamp = Number((answer.body as { messageTimestamp?: unknown }).messageTimestamp);
    return {
      providerMessageId: key.id,
      address: typeof key.remoteJid === "string" ? key.remoteJid : undefined,
      acceptedAt: new Date(Number.isFinite(timestamp) && timestamp > 0 ? timestamp * 1000 : this.clock()),
    };
  }

  /** Evolution shows "composing" for `durationMs` and answers only afterwards. */
  async sendTyping(to: Recipient, durationMs: number, options: TypingOptions = {}): Promise<void> {
    const delay = Math.max(0, Math.round(durationMs));
    const body = { number: this.addressFor(to), presence: "composing", delay };
    await this.call(
      "sendTyping",
      "POST",
      `/chat/sendPresence/`,
      body,
      delay + this.timeouts.sendTypingExtraMs,
      options,
      true,
    );
  }

  async connectionState(options: CallOptions = {}): Promise<ConnectionState> {
    const answer = await this.call(
      "connectionState",
      "GET",
      `/instance/connectionState/`,
      undefined,
      this.timeouts.connectionStateMs,
      options,
      false,
    );
    const body = answer.body as { instance?: { state?: unknown }; state?: unknown } | undefined;
    const state = body?.instance?.state ?? body?.state;
    // A silently dropped socket has been seen to report no state at all: treat it as closed.
    return state === "open" || state === "connecting" ? state : "close";
  }

  verifyWebhook(headers: WebhookHeaders, _rawBody: Buffer): Promise<WebhookVerdict> {
    return verifyEvolutionWebhook(headers, this.options.webhook, new Date(this.clock()));
  }

  parseWebhook(rawBody: Buffer): InboundEvent[] {
    return parseEvolutionWebhook(rawBody, new Date(this.clock()));
  }

  classifyError(err: unknown): ProviderErrorClass {
    return classifyThrown(err);
  }

  /** The resolved JID keeps the 9th-digit form WhatsApp registered; otherwise the canonical digits. */
  private addressFor(to: Recipient): string {
    return to.address && to.address.includes("@") ? to.address : digitsOnly(to.address ?? to.e164);
  }

  private async call(
    operation: ProviderOperation,
    method: "GET" | "POST",
    path: string,
    body: unknown,
    timeoutMs: number,
    options: CallOptions,
    sideEffect: boolean,
  ): Promise<HttpAnswer> {
    const answer = await callProvider({
      provider: this.type,
      operation,
      method,
      url: `${this.base}${path}${encodeURIComponent(this.options.instance)}`,
      headers: { apikey: this.options.apiKey },
      body,
      timeoutMs,
      signal: options.signal,
      sideEffect,
    });
    if (answer.status >= 200 && answer.status < 300) return answer;
    const classified = classifyEvolutionFailure({
      status: answer.status,
      body: answer.body,
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

  private unexpected(operation: ProviderOperation, status: number): ProviderError {
    return new ProviderError(
      { kind: "retryable", reason: "provider_error" },
      {
        provider: this.type,
        operation,
        httpStatus: status,
        providerCode: "unexpected-answer",
        outcomeUnknown: operation === "sendText",
      },
    );
  }
}

/** The `…@lid` JID from a number check's `lid` (a JID, or its bare digits), or undefined. */
function lidJidOf(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  if (isLidJid(value)) return value;
  return /^\d+$/.test(value) ? `${value}@lid` : undefined;
}
