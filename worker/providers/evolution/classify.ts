/**
 * Evolution API v2 failures → classification (reference: whatsapp-providers.md §1.3, §1.8, §5).
 *
 * Evolution turns every exception into HTTP 400 (sometimes 500) with the envelope
 * `{status, error, response: {message}}`, so the class is read from the message, not the status.
 * It has no 429 of its own; WhatsApp's throttle arrives as Baileys `rate-overlimit`.
 */
import type { Classified } from "../classification.js";
import type { ProviderErrorClass } from "../types.js";

export interface EvolutionFailure {
  status: number;
  body: unknown;
  /** From a `Retry-After` header, e.g. set by a proxy in front of Evolution. */
  retryAfterMs?: number;
}

/** How long to back off after WhatsApp's `rate-overlimit`: it gives no hint, so a minute. */
export const EVOLUTION_RATE_OVERLIMIT_BACKOFF_MS = 60_000;
const HTTP_429_DEFAULT_MS = 30_000;

const DISCONNECTED =
  /connection (closed|terminated|lost)|stream errored|socket (closed|hang up)|not connected/i;
const VALIDATION =
  /requires property|is not of a type|does not match pattern|is not one of enum|is not allowed to have/i;
const LOGGED_OUT = /logged ?out|loggedout|not-authorized/i;

export function classifyEvolutionFailure(failure: EvolutionFailure): Classified {
  const { status } = failure;
  const messages = envelopeMessages(failure.body);
  const joined = messages.join(" | ");

  if (status === 401) return config("unauthorized");
  if (status === 403) return config("forbidden");
  if (status === 404)
    return config(/instance does not exist/i.test(joined) ? "unknown_instance" : "wrong_base_url");
  if (status === 429) {
    return {
      classification: {
        kind: "rate_limited",
        scope: "sender",
        retryAfterMs: failure.retryAfterMs ?? HTTP_429_DEFAULT_MS,
      },
      providerCode: "429",
      mayHaveSent: false,
    };
  }
  if (/rate-overlimit/i.test(joined)) {
    return {
      classification: {
        kind: "rate_limited",
        scope: "sender",
        retryAfterMs: failure.retryAfterMs ?? EVOLUTION_RATE_OVERLIMIT_BACKOFF_MS,
      },
      providerCode: "rate-overlimit",
      mayHaveSent: false,
    };
  }
  if (saysNotOnWhatsApp(failure.body)) {
    return {
      classification: { kind: "permanent", reason: "not_on_whatsapp" },
      providerCode: "exists:false",
      mayHaveSent: false,
    };
  }
  if (DISCONNECTED.test(joined)) {
    return {
      classification: { kind: "retryable", reason: "disconnected" },
      providerCode: "Connection Closed",
      mayHaveSent: false,
    };
  }
  if (LOGGED_OUT.test(joined)) {
    return {
      classification: { kind: "stop_sending", reason: "account_restricted" },
      providerCode: "logged-out",
      mayHaveSent: false,
    };
  }
  if (status === 400 && VALIDATION.test(joined)) {
    return {
      classification: { kind: "permanent", reason: "invalid_request" },
      providerCode: "validation",
      mayHaveSent: false,
    };
  }
  if (status >= 500)
    return { classification: { kind: "retryable", reason: "server_error" }, mayHaveSent: true };
  // Evolution maps any exception to 400, some of them after the message went out: retry, carefully.
  if (status === 400)
    return { classification: { kind: "retryable", reason: "provider_error" }, mayHaveSent: true };
  return { classification: { kind: "permanent", reason: "rejected" }, mayHaveSent: false };
}

function config(reason: Extract<ProviderErrorClass, { kind: "config" }>["reason"]): Classified {
  return { classification: { kind: "config", reason }, mayHaveSent: false };
}

/** The strings inside `response.message` (strings, arrays, nested objects), for pattern checks. */
export function envelopeMessages(body: unknown): string[] {
  if (typeof body === "string") return [body];
  if (!body || typeof body !== "object") return [];
  const response = (body as { response?: unknown }).response;
  const message =
    response && typeof response === "object" ? (response as { message?: unknown }).message : undefined;
  const source = message ?? (body as { message?: unknown }).message ?? (body as { error?: unknown }).error;
  const items = Array.isArray(source) ? source : [source];
  return items.flatMap((item) => {
    if (item === undefined || item === null) return [];
    return [typeof item === "string" ? item : JSON.stringify(item)];
  });
}

/** `response.message` holds `{exists: false, …}` entries: the pre-send number check said no. */
function saysNotOnWhatsApp(body: unknown): boolean {
  if (!body || typeof body !== "object") return false;
  const response = (body as { response?: unknown }).response;
  const message =
    response && typeof response === "object" ? (response as { message?: unknown }).message : undefined;
  const items = Array.isArray(message) ? message : [message];
  return items.some(
    (item) => !!item && typeof item === "object" && (item as { exists?: unknown }).exists === false,
  );
}
