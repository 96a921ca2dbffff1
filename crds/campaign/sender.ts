/** Campaign `spec.sender`: the WhatsApp provider and account the campaign sends through. */
import { z } from "zod";
import { duration, localObjectReference } from "../common.js";
import { withRules } from "../rules.js";

export const PROVIDERS = ["evolution", "meta-cloud", "sandbox"] as const;
export type Provider = (typeof PROVIDERS)[number];

export const WEBHOOK_AUTHENTICATIONS = ["token", "jwt", "signature"] as const;
export type WebhookAuthentication = (typeof WEBHOOK_AUTHENTICATIONS)[number];

/** The webhook authentication used when `sender.webhook.authentication` is left out. */
export const DEFAULT_WEBHOOK_AUTHENTICATION: Record<Provider, WebhookAuthentication> = {
  evolution: "token",
  "meta-cloud": "signature",
  sandbox: "token",
};

/**
 * Keys the credentials Secret must hold, per provider and per webhook authentication. The controller
 * checks them (the API server cannot see into Secrets).
 */
export const CREDENTIAL_KEYS = {
  provider: {
    evolution: ["apiKey"],
    "meta-cloud": ["accessToken", "appSecret", "verifyToken"],
    sandbox: ["apiKey"],
  },
  webhook: {
    token: ["webhookToken"],
    jwt: ["webhookJwtKey"],
    signature: [],
  },
} as const satisfies {
  provider: Record<Provider, readonly string[]>;
  webhook: Record<WebhookAuthentication, readonly string[]>;
};

/** Every Secret key a sender needs. */
export function requiredCredentialKeys(sender: Pick<Sender, "provider" | "webhook">): string[] {
  const auth = sender.webhook?.authentication ?? DEFAULT_WEBHOOK_AUTHENTICATION[sender.provider];
  return [...CREDENTIAL_KEYS.provider[sender.provider], ...CREDENTIAL_KEYS.webhook[auth]];
}

const webhookSchema = z
  .object({
    authentication: z
      .enum(WEBHOOK_AUTHENTICATIONS)
      .meta({
        description:
          "How inbound webhooks prove they come from the provider: `token` (a secret header, Secret key `webhookToken`), `jwt` (Evolution's HS256 JWT, Secret key `webhookJwtKey`) or `signature` (Meta's X-Hub-Signature-256 with the app secret). Default: `signature` for meta-cloud, `token` otherwise.",
      })
      .optional(),
    headerName: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9-]+$/)
      .default("x-webhook-token")
      .meta({ description: "Header that carries the token when `authentication` is `token`." }),
  })
  .meta({ description: "Authentication of the webhooks the provider sends for this sender." });

const rateLimitSchema = z
  .object({
    messagesPerMinute: z
      .int()
      .min(1)
      .max(60_000)
      .meta({
        description:
          "Messages per minute through this sender, shared by every worker and every campaign using it (first messages, reminders and answers). Default: 4800 for meta-cloud (Meta's 80 per second), 60 for evolution, 60000 for sandbox.",
      })
      .optional(),
    burst: z
      .int()
      .min(1)
      .max(1000)
      .meta({
        description:
          "Messages that may go at once after a quiet period. Default: 10 for meta-cloud, 1 for evolution, 50 for sandbox.",
      })
      .optional(),
    recipientGap: duration({ min: "0s", max: "1h" })
      .meta({
        description:
          "Least time between two messages to the same phone (Meta's pair rate limit is about one per 6 s). Default: 6s for meta-cloud, 2s for evolution, 0s for sandbox.",
      })
      .optional(),
  })
  .meta({
    description:
      "Limits of the sender itself, on top of the campaign's pacing. A provider's throttling signal (HTTP 429, rate-overlimit, Meta 130429) slows this sender down further until it may retry.",
  });

const senderBase = z
  .object({
    provider: z.enum(PROVIDERS).meta({
      description:
        "The WhatsApp provider: `evolution` (Evolution API v2), `meta-cloud` (Meta WhatsApp Cloud API) or `sandbox` (the local sandbox server, for tests and demos).",
    }),
    credentialsSecretRef: localObjectReference("Secret").meta({
      description:
        "Secret with the provider's credentials: `apiKey` for evolution and sandbox; `accessToken`, `appSecret` and `verifyToken` for meta-cloud; plus the webhook key (`webhookToken` or `webhookJwtKey`).",
    }),
    instance: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/)
      .meta({ description: "Evolution (or sandbox) instance name; required for those providers." })
      .optional(),
    phoneNumberId: z
      .string()
      .min(1)
      .max(32)
      .regex(/^[0-9]+$/)
      .meta({ description: "Meta phone-number id that sends the messages; required for meta-cloud." })
      .optional(),
    baseUrl: z
      .string()
      .max(2048)
      .regex(/^https?:\/\/[^\s/?#]+([/?#][^\s]*)?$/)
      .meta({
        description:
          "Provider base URL, e.g. https://evolution.example.org. Required for evolution and sandbox; for meta-cloud the Graph API URL is the default.",
      })
      .optional(),
    webhook: webhookSchema.prefault({}),
    rateLimit: rateLimitSchema.optional(),
  })
  .meta({ description: "The WhatsApp account the campaign sends through." });

export const senderSchema = withRules(senderBase, [
  {
    rule: "self.provider != 'meta-cloud' || has(self.phoneNumberId)",
    message: "phoneNumberId is required when provider is meta-cloud",
    fieldPath: ".phoneNumberId",
    reason: "FieldValueRequired",
    holds: (s) => s.provider !== "meta-cloud" || s.phoneNumberId !== undefined,
  },
  {
    rule: "self.provider == 'meta-cloud' || has(self.instance)",
    message: "instance is required when provider is evolution or sandbox",
    fieldPath: ".instance",
    reason: "FieldValueRequired",
    holds: (s) => s.provider === "meta-cloud" || s.instance !== undefined,
  },
  {
    rule: "self.provider == 'meta-cloud' || has(self.baseUrl)",
    message: "baseUrl is required when provider is evolution or sandbox",
    fieldPath: ".baseUrl",
    reason: "FieldValueRequired",
    holds: (s) => s.provider === "meta-cloud" || s.baseUrl !== undefined,
  },
  {
    rule:
      "!has(self.webhook.authentication) || " +
      "(self.provider == 'meta-cloud' ? self.webhook.authentication == 'signature' : " +
      "(self.provider == 'evolution' ? self.webhook.authentication != 'signature' : true))",
    message: "webhook.authentication must be signature for meta-cloud, and token or jwt for evolution",
    fieldPath: ".webhook.authentication",
    holds: (s) => {
      const auth = s.webhook.authentication;
      if (auth === undefined) return true;
      if (s.provider === "meta-cloud") return auth === "signature";
      if (s.provider === "evolution") return auth !== "signature";
      return true;
    },
  },
  {
    rule: "self.provider == oldSelf.provider",
    message: "provider cannot change once the campaign exists: numbers were validated with this provider",
    fieldPath: ".provider",
  },
]);

export type Sender = z.output<typeof senderSchema>;
