/**
 * Meta WhatsApp Cloud API error codes → classification (reference: whatsapp-providers.md §2.7).
 * Classify on `error.code`, not on the title or the HTTP status; the status only decides for codes
 * this table does not know.
 */
import type { ProviderErrorClass } from "../types.js";
import type { Classified } from "../classification.js";

/** Backoff hints: Meta's throughput is per second; the pair limit is about one message per 6 s. */
export const META_BACKOFF_MS = { throughput: 1_000, pair: 6_000, apiCalls: 60_000, http429: 30_000 } as const;

export interface MetaCodeRule {
  classification: ProviderErrorClass;
  meaning: string;
}

/** The classification table, by Meta error code. Documented in docs/providers.md. */
export const META_ERROR_TABLE: Readonly<Record<number, MetaCodeRule>> = {
  130429: {
    classification: { kind: "rate_limited", scope: "sender", retryAfterMs: META_BACKOFF_MS.throughput },
    meaning: "throughput rate limit hit",
  },
  131056: {
    classification: { kind: "rate_limited", scope: "recipient", retryAfterMs: META_BACKOFF_MS.pair },
    meaning: "pair rate limit hit",
  },
  4: {
    classification: { kind: "rate_limited", scope: "account", retryAfterMs: META_BACKOFF_MS.apiCalls },
    meaning: "app API-call rate limit",
  },
  80007: {
    classification: { kind: "rate_limited", scope: "account", retryAfterMs: META_BACKOFF_MS.apiCalls },
    meaning: "WABA API-call rate limit",
  },
  131048: {
    classification: { kind: "stop_sending", reason: "spam_rate_limit" },
    meaning: "spam rate limit: too many messages blocked or flagged",
  },
  368: {
    classification: { kind: "stop_sending", reason: "policy_block" },
    meaning: "temporarily blocked for policy violations",
  },
  131031: {
    classification: { kind: "stop_sending", reason: "account_restricted" },
    meaning: "business account locked",
  },
  131026: {
    classification: { kind: "permanent", reason: "not_on_whatsapp" },
    meaning: "message undeliverable (not on WhatsApp, old app, terms not accepted)",
  },
  131047: {
    classification: { kind: "needs_template" },
    meaning: "more than 24 hours since the customer last replied",
  },
  100: { classification: { kind: "permanent", reason: "invalid_request" }, meaning: "invalid parameter" },
  131008: {
    classification: { kind: "permanent", reason: "invalid_request" },
    meaning: "required parameter missing",
  },
  131009: {
    classification: { kind: "permanent", reason: "invalid_request" },
    meaning: "parameter value invalid",
  },
  131051: {
    classification: { kind: "permanent", reason: "invalid_request" },
    meaning: "unsupported message type",
  },
  131050: {
    classification: { kind: "permanent", reason: "rejected" },
    meaning: "the user stopped marketing messages",
  },
  1: { classification: { kind: "retryable", reason: "server_error" }, meaning: "unknown error" },
  2: {
    classification: { kind: "retryable", reason: "server_error" },
    meaning: "service temporarily unavailable",
  },
  131000: { classification: { kind: "retryable", reason: "server_error" }, meaning: "something went wrong" },
  131016: { classification: { kind: "retryable", reason: "server_error" }, meaning: "service overloaded" },
  190: {
    classification: { kind: "config", reason: "token_expired" },
    meaning: "access token expired or invalid",
  },
  10: { classification: { kind: "config", reason: "forbidden" }, meaning: "permission denied" },
  200: { classification: { kind: "config", reason: "forbidden" }, meaning: "permission denied" },
  131030: {
    classification: { kind: "config", reason: "recipient_not_allowed" },
    meaning: "recipient not in the allowed list",
  },
  132000: {
    classification: { kind: "config", reason: "template_problem" },
    meaning: "template parameter count mismatch",
  },
  132001: {
    classification: { kind: "config", reason: "template_problem" },
    meaning: "template does not exist",
  },
  2500: {
    classification: { kind: "config", reason: "wrong_base_url" },
    meaning: "unknown path components (wrong API version or path)",
  },
};

export interface MetaGraphError {
  code?: number;
  subcode?: number;
  /** HTTP status of the answer; undefined for errors read from status webhooks. */
  status?: number;
  retryAfterMs?: number;
}

/** Reads `{error: {code, error_subcode}}` from a Graph answer body. */
export function readGraphError(body: unknown): { code?: number; subcode?: number } {
  const error = body && typeof body === "object" ? (body as { error?: unknown }).error : undefined;
  if (!error || typeof error !== "object") return {};
  const code = Number((error as { code?: unknown }).code);
  const subcode = Number((error as { error_subcode?: unknown }).error_subcode);
  return {
    code: Number.isInteger(code) ? code : undefined,
    subcode: Number.isInteger(subcode) ? subcode : undefined,
  };
}

export function classifyMetaError(error: MetaGraphError): Classified {
  const { code, subcode, status } = error;
  const providerCode = code !== undefined ? String(code) : undefined;
  // Code 100 with subcode 33: the phone-number id does not exist (or the token cannot see it).
  if (code === 100 && subcode === 33) {
    return {
      classification: { kind: "config", reason: "unknown_phone_number_id" },
      providerCode,
      mayHaveSent: false,
    };
  }
  const rule = code !== undefined ? META_ERROR_TABLE[code] : undefined;
  if (rule) {
    let classification = rule.classification;
    if (classification.kind === "rate_limited" && error.retryAfterMs !== undefined) {
      classification = { ...classification, retryAfterMs: error.retryAfterMs };
    }
    return { classification, providerCode, mayHaveSent: classification.kind === "retryable" };
  }
  if (status === 429) {
    return {
      classification: {
        kind: "rate_limited",
        scope: "sender",
        retryAfterMs: error.retryAfterMs ?? META_BACKOFF_MS.http429,
      },
      providerCode: providerCode ?? "429",
      mayHaveSent: false,
    };
  }
  if (status === 401)
    return { classification: { kind: "config", reason: "unauthorized" }, providerCode, mayHaveSent: false };
  if (status === 403)
    return { classification: { kind: "config", reason: "forbidden" }, providerCode, mayHaveSent: false };
  if (status === 404)
    return { classification: { kind: "config", reason: "wrong_base_url" }, providerCode, mayHaveSent: false };
  // A failed status webhook carries no HTTP status: an unknown code there is a final refusal.
  if (status === undefined)
    return { classification: { kind: "permanent", reason: "rejected" }, providerCode, mayHaveSent: false };
  if (status >= 500) {
    return { classification: { kind: "retryable", reason: "server_error" }, providerCode, mayHaveSent: true };
  }
  return { classification: { kind: "permanent", reason: "rejected" }, providerCode, mayHaveSent: false };
}
