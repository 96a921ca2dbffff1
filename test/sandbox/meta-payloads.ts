/**
 * Meta Cloud API payload shapes (reference: whatsapp-providers.md §2): Graph error objects, send
 * answers and `whatsapp_business_account` webhook bodies, including BSUID-only senders.
 */
import { randomBytes } from "node:crypto";

interface MetaErrorSpec {
  http: number;
  message: string;
  details: string;
  type?: string;
}

/** The errors the sandbox can produce, with Meta's wording and HTTP status. */
export const META_ERRORS: Record<number, MetaErrorSpec> = {
  1: { http: 500, message: "An unknown error occurred", details: "Unknown error" },
  2: { http: 503, message: "Service temporarily unavailable", details: "Service temporarily unavailable" },
  4: { http: 400, message: "(#4) Application request limit reached", details: "Too many API calls" },
  100: {
    http: 400,
    message: "(#100) Invalid parameter",
    details: "Invalid parameter",
    type: "OAuthException",
  },
  190: {
    http: 401,
    message: "Invalid OAuth access token - Cannot parse access token",
    details: "Invalid token",
    type: "OAuthException",
  },
  368: {
    http: 403,
    message: "(#368) Temporarily blocked for policies violations",
    details: "Temporarily blocked",
  },
  80007: {
    http: 400,
    message: "(#80007) Rate limit issues",
    details: "WhatsApp Business Account rate limit reached",
  },
  130429: {
    http: 400,
    message: "(#130429) Rate limit hit",
    details: "Cloud API message throughput has been reached.",
  },
  131000: { http: 500, message: "(#131000) Something went wrong", details: "Something went wrong" },
  131026: { http: 400, message: "(#131026) Message undeliverable", details: "Message undeliverable" },
  131030: {
    http: 400,
    message: "(#131030) Recipient phone number not in allowed list",
    details: "Recipient not in allowed list",
  },
  131047: {
    http: 400,
    message: "(#131047) Re-engagement message",
    details: "More than 24 hours have passed since the recipient last replied",
  },
  131048: {
    http: 400,
    message: "(#131048) Spam rate limit hit",
    details:
      "Message failed to send because there are restrictions on how many messages can be sent from this phone number",
  },
  131056: {
    http: 400,
    message: "(#131056) (Business Account, Consumer Account) pair rate limit hit",
    details: "Too many messages sent to this recipient",
  },
};

export function metaError(code: number, subcode?: number, details?: string): { http: number; body: object } {
  const spec = META_ERRORS[code] ?? { http: 400, message: `(#${code}) Error`, details: "Error" };
  const error: Record<string, unknown> = {
    message: spec.message,
    type: spec.type ?? "OAuthException",
    code,
    error_data: { messaging_product: "whatsapp", details: details ?? spec.details },
    fbtrace_id: randomBytes(9).toString("base64url"),
  };
  if (subcode !== undefined) error.error_subcode = subcode;
  return { http: spec.http, body: { error } };
}

/** A Graph "object does not exist" error for an unknown phone-number id (code 100, subcode 33). */
export function unknownObject(id: string): { http: number; body: object } {
  const { body } = metaError(100, 33, `Unsupported post request. Object with ID '${id}' does not exist`);
  (body as { error: { type: string } }).error.type = "GraphMethodException";
  return { http: 400, body };
}

const WAMID_PREFIX = randomBytes(12).toString("hex");
let wamidCounter = 0;

/** A `wamid.…` id: unique per process, cheap to make. */
export function wamid(): string {
  wamidCounter += 1;
  return `wamid.HBgM${Buffer.from(`${WAMID_PREFIX}${wamidCounter.toString(16).padStart(12, "0")}`).toString("base64")}`;
}

export interface MetaChannel {
  wabaId: string;
  phoneNumberId: string;
  displayPhoneNumber: string;
}

export function webhookBody(channel: MetaChannel, value: object): object {
  return {
    object: "whatsapp_business_account",
    entry: [
      {
        id: channel.wabaId,
        changes: [
          {
            value: {
              messaging_product: "whatsapp",
              metadata: {
                display_phone_number: channel.displayPhoneNumber,
                phone_number_id: channel.phoneNumberId,
              },
              ...value,
            },
            field: "messages",
          },
        ],
      },
    ],
  };
}

/** An inbound text; with `bsuidOnly` the phone number is withheld (no `from`, no `wa_id`). */
export function inboundValue(m: {
  id: string;
  waId: string;
  bsuid?: string;
  bsuidOnly: boolean;
  name: string;
  text: string;
  timestamp: number;
}): object {
  const contact: Record<string, unknown> = { profile: { name: m.name } };
  const message: Record<string, unknown> = {
    id: m.id,
    timestamp: String(m.timestamp),
    type: "text",
    text: { body: m.text },
  };
  if (!m.bsuidOnly) {
    contact.wa_id = m.waId;
    message.from = m.waId;
  }
  if (m.bsuid) {
    contact.user_id = m.bsuid;
    message.from_user_id = m.bsuid;
  }
  return { contacts: [contact], messages: [message] };
}

export type MetaStatus = "sent" | "delivered" | "read" | "failed";

export function statusValue(m: {
  id: string;
  status: MetaStatus;
  waId: string;
  bsuid?: string;
  bsuidOnly: boolean;
  timestamp: number;
  correlationId?: string;
  errorCode?: number;
}): object {
  const status: Record<string, unknown> = { id: m.id, status: m.status, timestamp: String(m.timestamp) };
  if (!m.bsuidOnly) status.recipient_id = m.waId;
  if (m.bsuid) status.recipient_user_id = m.bsuid;
  if (m.correlationId) status.biz_opaque_callback_data = m.correlationId;
  if (m.status !== "failed") {
    status.pricing = { billable: true, pricing_model: "PMP", category: "utility", type: "regular" };
  }
  if (m.errorCode !== undefined) {
    const spec = META_ERRORS[m.errorCode];
    status.errors = [
      {
        code: m.errorCode,
        title: spec?.message.replace(/^\(#\d+\) /, "") ?? "Error",
        message: spec?.message.replace(/^\(#\d+\) /, "") ?? "Error",
        error_data: { details: spec?.details ?? "Error" },
      },
    ];
  }
  return { statuses: [status] };
}
