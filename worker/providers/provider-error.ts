/**
 * The one error type providers throw. It carries the classification callers act on, a stable code, and a
 * message built only from the classification and the provider's error code: never a response body,
 * which may contain the phone number or the text.
 */
import { AppError } from "../../lib/errors.js";
import type { ErrorKind, ProviderErrorClass, ProviderType } from "./types.js";

export type ProviderOperation =
  "checkNumbers" | "sendText" | "sendTemplate" | "sendTyping" | "connectionState" | "parseWebhook";

/** Error codes by kind; callers may switch on `code` or on `classification.kind`. */
export const PROVIDER_ERROR_CODES = {
  retryable: "PROVIDER_RETRYABLE",
  rate_limited: "PROVIDER_RATE_LIMITED",
  permanent: "PROVIDER_PERMANENT",
  needs_template: "PROVIDER_NEEDS_TEMPLATE",
  stop_sending: "PROVIDER_STOP_SENDING",
  config: "PROVIDER_CONFIG",
} as const satisfies Record<ErrorKind, string>;

export const WEBHOOK_MALFORMED = "PROVIDER_WEBHOOK_MALFORMED";

export interface ProviderErrorContext {
  provider: ProviderType;
  operation: ProviderOperation;
  httpStatus?: number;
  /** The provider's own error code, e.g. Meta `131026` or Evolution `rate-overlimit`. */
  providerCode?: string;
  /** True when a send may have been accepted although the call failed (timeout, 5xx, lost response). */
  outcomeUnknown?: boolean;
}

export class ProviderError extends AppError {
  readonly classification: ProviderErrorClass;
  readonly provider: ProviderType;
  readonly operation: ProviderOperation;
  readonly httpStatus: number | undefined;
  readonly providerCode: string | undefined;
  readonly outcomeUnknown: boolean;

  constructor(classification: ProviderErrorClass, context: ProviderErrorContext, options?: ErrorOptions) {
    super(
      PROVIDER_ERROR_CODES[classification.kind],
      describeFailure(classification, context),
      {
        provider: context.provider,
        operation: context.operation,
        kind: classification.kind,
        reason: "reason" in classification ? classification.reason : undefined,
        httpStatus: context.httpStatus,
        providerCode: context.providerCode,
      },
      options,
    );
    this.name = "ProviderError";
    this.classification = classification;
    this.provider = context.provider;
    this.operation = context.operation;
    this.httpStatus = context.httpStatus;
    this.providerCode = context.providerCode;
    this.outcomeUnknown = context.outcomeUnknown ?? false;
  }
}

/** A webhook body that is not the provider's shape: bad input, answered with 400 and never dropped silently. */
export class MalformedWebhookError extends AppError {
  constructor(provider: ProviderType, problem: string) {
    super(
      WEBHOOK_MALFORMED,
      `The ${provider} webhook body is not in the expected shape (${problem}); check that the webhook URL is configured for this provider`,
      { provider, problem },
    );
    this.name = "MalformedWebhookError";
  }
}

const PROVIDER_NAMES: Record<ProviderType, string> = {
  evolution: "Evolution",
  "meta-cloud": "Meta Cloud API",
  sandbox: "Sandbox (Evolution)",
};

export function describeFailure(c: ProviderErrorClass, ctx: ProviderErrorContext): string {
  const where = `${PROVIDER_NAMES[ctx.provider]} ${ctx.operation}`;
  const signal = [ctx.httpStatus !== undefined ? `HTTP ${ctx.httpStatus}` : "", ctx.providerCode ?? ""]
    .filter(Boolean)
    .join(", ");
  const what = signal ? ` (${signal})` : "";
  switch (c.kind) {
    case "retryable":
      return `${where} failed${what}: ${RETRYABLE_TEXT[c.reason]}; retry later with backoff${
        ctx.outcomeUnknown ? ", and check for the message's webhook before sending it again" : ""
      }`;
    case "rate_limited":
      return `${where} was rate limited${what} per ${c.scope}; slow down and retry after ${Math.ceil(c.retryAfterMs / 1000)} s`;
    case "permanent":
      return `${where} was refused${what}: ${PERMANENT_TEXT[c.reason]}`;
    case "needs_template":
      return `${where} was refused${what}: the 24-hour customer-service window is closed; send an approved template instead`;
    case "stop_sending":
      return `${where} was refused${what}: ${STOP_TEXT[c.reason]}; pause sending from this number and check its quality in the provider's console`;
    case "config":
      return `${where} failed${what}: ${CONFIG_TEXT[c.reason]}`;
  }
}

const RETRYABLE_TEXT: Record<Extract<ProviderErrorClass, { kind: "retryable" }>["reason"], string> = {
  timeout: "the request timed out",
  network: "the provider could not be reached",
  server_error: "the provider had a server error",
  disconnected: "the WhatsApp session is disconnected (Connection Closed)",
  provider_error: "the provider reported an error it did not explain",
};

const PERMANENT_TEXT: Record<Extract<ProviderErrorClass, { kind: "permanent" }>["reason"], string> = {
  not_on_whatsapp: "the recipient is not on WhatsApp; mark this phone as not sendable",
  invalid_request: "the request was invalid; this is a bug in the request, do not retry it unchanged",
  rejected: "the provider rejected the message; do not retry it unchanged",
};

const STOP_TEXT: Record<Extract<ProviderErrorClass, { kind: "stop_sending" }>["reason"], string> = {
  spam_rate_limit: "too many messages were blocked or reported as spam",
  policy_block: "the account is blocked for a policy violation",
  account_restricted: "the account is restricted or locked",
};

const CONFIG_TEXT: Record<Extract<ProviderErrorClass, { kind: "config" }>["reason"], string> = {
  unauthorized: "the credentials were refused; check the API key or access token in the provider Secret",
  forbidden: "the credentials lack permission for this call; check the key's scope",
  unknown_instance: "the Evolution instance does not exist; check the instance name",
  unknown_phone_number_id: "the Meta phone-number id does not exist or is not reachable with this token",
  wrong_base_url: "the route does not exist; check the provider base URL and API version",
  token_expired: "the access token expired or was revoked; put a new one in the provider Secret",
  recipient_not_allowed: "the recipient is not in the test number's allowed list",
  template_problem: "the template does not exist, is not approved, or its parameters do not match",
};
