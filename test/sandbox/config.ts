/**
 * The sandbox's configuration, as zod schemas: the startup options of `startSandbox` and the bodies of
 * the control API. Every default is written here. Delays named `…Ms` inside `patients`, `webhooks` and
 * the Evolution `delay` are "world time" and are multiplied by `timeScale`; HTTP timeouts are real time.
 */
import { z } from "zod";

const rate = z.number().min(0).max(1);
const ms = z.number().min(0);
const range = z.object({ min: ms, max: ms }).refine((r) => r.max >= r.min, { message: "max must be ≥ min" });

export const BEHAVIOURS = ["yes", "no", "unknown", "optOut", "freeText", "silence"] as const;
export type Behaviour = (typeof BEHAVIOURS)[number];

export const REGISTRATIONS = ["with9", "without9", "none"] as const;
export type Registration = (typeof REGISTRATIONS)[number];

export const numberRecordSchema = z.object({
  /** E.164, digits, or a JID; stored under its canonical form (Brazilian mobiles with the 9th digit). */
  number: z.string().min(8),
  /** Which 9th-digit form the WhatsApp account was registered with, or `none`. */
  registeredAs: z.enum(REGISTRATIONS).default("with9"),
  /** LID user part (digits; `@lid` optional). Evolution then addresses this contact by LID. */
  lid: z.string().optional(),
  /** Replies carry only the `@lid` JID, without `remoteJidAlt` (reported in Evolution issues). */
  lidOnly: z.boolean().default(false),
  /** Meta business-scoped user id, e.g. `BR.1502576394655843`. */
  bsuid: z.string().optional(),
  /** Meta withholds the phone number: replies carry only the BSUID. */
  bsuidOnly: z.boolean().default(false),
  /** false: no `read` statuses for this number. */
  readReceipts: z.boolean().default(true),
  /** Fixes how this patient answers, instead of drawing from the shares. */
  behaviour: z.enum(BEHAVIOURS).optional(),
  /** Sends are accepted (`PENDING`) and never delivered: the 9th-digit "ghost chat" (Evolution #2062). */
  ghost: z.boolean().default(false),
  /** Display name sent as `pushName` / `profile.name`. */
  name: z.string().default("Paciente Sandbox"),
});
export type NumberRecord = z.output<typeof numberRecordSchema>;

export const registryUpdateSchema = z.object({
  numbers: z.array(numberRecordSchema).default([]),
  /** How numbers absent from the registry behave; default every number is registered with its 9. */
  defaultRegistration: z.enum(REGISTRATIONS).optional(),
  /** Drop every record first. */
  replace: z.boolean().default(false),
});

const texts = (values: string[]) => z.array(z.string().min(1)).min(1).default(values);

export const patientsSchema = z.object({
  enabled: z.boolean().default(true),
  /** Relative weights of each behaviour; a missing one counts 0 once `shares` is given. */
  shares: z
    .object(
      Object.fromEntries(BEHAVIOURS.map((b) => [b, z.number().min(0).default(0)])) as Record<
        Behaviour,
        z.ZodDefault<z.ZodNumber>
      >,
    )
    .default({ yes: 50, no: 15, unknown: 5, optOut: 5, freeText: 5, silence: 20 }),
  texts: z
    .object({
      yes: texts(["SIM", "1", "Sim", "1 SIM"]),
      no: texts(["NÃO", "2", "nao", "Não quero"]),
      unknown: texts(["DESCONHEÇO", "3", "Não sou"]),
      optOut: texts(["PARAR", "SAIR"]),
      freeText: texts(["Quem está falando?", "Bom dia, qual hospital?", "Vou ver com minha filha"]),
      reason: texts(["1", "2", "3", "4", "Já fiz em outro hospital"]),
    })
    .prefault({}),
  /** Time from the first message to the answer (world ms, scaled). */
  replyDelayMs: range.default({ min: 5_000, max: 120_000 }),
  /** Time from the reason question to the reason (world ms, scaled). */
  reasonDelayMs: range.default({ min: 5_000, max: 60_000 }),
  /** A message matching this (case-insensitive) is the "why not?" question after a NÃO. */
  reasonQuestionPattern: z.string().default("motivo"),
});
export type PatientsConfig = z.output<typeof patientsSchema>;

const rateLimit = z.object({ max: z.number().int().positive(), windowMs: z.number().int().positive() });

export const faultsSchema = z.object({
  /** Added before answering provider routes: fixed ms or a uniform range (real ms). */
  latencyMs: z.union([ms, range]).default(0),
  /** Probability of a 5xx (Evolution 500 envelope, Meta code 2). */
  serverErrorRate: rate.default(0),
  /** Probability that a send is accepted and recorded but its answer is held past the client's timeout. */
  timeoutRate: rate.default(0),
  /** How long such an answer is held (real ms). */
  hangMs: ms.default(120_000),
  /** Probability of a generic HTTP 429 with Retry-After. */
  http429Rate: rate.default(0),
  retryAfterSeconds: z.number().int().min(0).default(30),
  evolution: z
    .object({
      /** Sends per instance above `max` in `windowMs` get 400 `rate-overlimit`; null: off. */
      rateOverlimit: rateLimit.nullable().default(null),
      /** Probability that a send fails with `Connection Closed`. */
      connectionClosedRate: rate.default(0),
    })
    .default({ rateOverlimit: null, connectionClosedRate: 0 }),
  meta: z
    .object({
      /** Sends per phone-number id per second above this get 130429; null: off (Meta's default is 80). */
      throughputPerSecond: z.number().int().positive().nullable().default(null),
      /** Messages to one recipient above `max` in `windowMs` get 131056; null: off. */
      pairRate: rateLimit.nullable().default(null),
      /** Where 131026 (unregistered) and 131047 (window) show: a `failed` status webhook, or the response. */
      undeliverable: z.enum(["status", "response"]).default("status"),
      /** Free-form text to someone who has not written in 24 h gets 131047. */
      enforceWindow: z.boolean().default(false),
    })
    .default({ throughputPerSecond: null, pairRate: null, undeliverable: "status", enforceWindow: false }),
});
export type FaultsConfig = z.output<typeof faultsSchema>;

export const FAULT_KINDS = [
  "server_error",
  "connection_closed",
  "rate_overlimit",
  "meta_error",
  "http_429",
  "unauthorized",
  "accepted_timeout",
  "dropped_timeout",
] as const;
export const OPERATIONS = [
  "checkNumbers",
  "sendText",
  "sendTemplate",
  "sendTyping",
  "connectionState",
  "any",
] as const;
export type Operation = Exclude<(typeof OPERATIONS)[number], "any">;

export const oneShotFaultSchema = z.object({
  fault: z.enum(FAULT_KINDS),
  provider: z.enum(["evolution", "meta", "any"]).default("any"),
  operation: z.enum(OPERATIONS).default("any"),
  /** Only requests about this number (any form). */
  number: z.string().optional(),
  /** For `meta_error`: the Graph error code, e.g. 131048. */
  code: z.number().int().optional(),
  /** For `server_error` / `connection_closed`: the HTTP status (default 500 / 400). */
  status: z.number().int().min(400).max(599).optional(),
  retryAfterSeconds: z.number().int().min(0).optional(),
  /** How many matching requests it hits. */
  times: z.number().int().positive().default(1),
});
export type OneShotFault = z.output<typeof oneShotFaultSchema>;

const retryPolicy = z.object({
  maxRetries: z.number().int().min(0),
  initialMs: ms,
  maxMs: ms,
  jitter: z.number().min(0).max(1),
  /** Answers that are never retried. */
  noRetryStatuses: z.array(z.number().int()),
});

export const webhooksSchema = z.object({
  evolution: z
    .object({
      url: z.string().url().nullable().default(null),
      /** Sent as given; a `jwt_key` entry is replaced by `Authorization: Bearer <HS256 JWT>` as Evolution does. */
      headers: z.record(z.string(), z.string()).default({}),
      /** POST to `{url}/{event-kebab}` instead of `{url}`. */
      byEvents: z.boolean().default(false),
      events: z
        .array(z.string())
        .default(["MESSAGES_UPSERT", "MESSAGES_UPDATE", "SEND_MESSAGE", "CONNECTION_UPDATE"]),
    })
    .prefault({}),
  meta: z
    .object({
      url: z.string().url().nullable().default(null),
      /** The app secret that keys `X-Hub-Signature-256`. */
      appSecret: z.string().min(1).default("sandbox-app-secret"),
    })
    .prefault({}),
  /** Probability that a webhook is delivered twice. */
  duplicateRate: rate.default(0),
  /** Shuffle delivery order by adding up to `reorderWindowMs` (world ms) to each webhook. */
  reorder: z.boolean().default(false),
  reorderWindowMs: ms.default(3_000),
  statuses: z
    .object({
      enabled: z.boolean().default(true),
      delivered: z.boolean().default(true),
      read: z.boolean().default(true),
      delaysMs: z
        .object({ sent: ms, delivered: ms, read: ms })
        .default({ sent: 200, delivered: 1_000, read: 3_000 }),
    })
    .prefault({}),
  retry: z
    .object({
      /** Evolution: 10 retries, 5 s doubling to 300 s, ±20 %, never on 400/401/403/404/422. */
      evolution: retryPolicy.default({
        maxRetries: 10,
        initialMs: 5_000,
        maxMs: 300_000,
        jitter: 0.2,
        noRetryStatuses: [400, 401, 403, 404, 422],
      }),
      /** Meta retries anything but 200, with growing delays, for hours. */
      meta: retryPolicy.default({
        maxRetries: 12,
        initialMs: 5_000,
        maxMs: 3_600_000,
        jitter: 0.2,
        noRetryStatuses: [],
      }),
    })
    .prefault({}),
  /** Per delivery attempt (real ms). */
  timeoutMs: z.number().int().positive().default(10_000),
  /** Deliveries in flight at once. */
  concurrency: z.number().int().positive().default(32),
});
export type WebhooksConfig = z.output<typeof webhooksSchema>;

export const sandboxOptionsSchema = z.object({
  host: z.string().default("127.0.0.1"),
  port: z.number().int().min(0).max(65535).default(0),
  seed: z.number().int().default(1),
  /** Multiplies world delays: 0.001 turns a 2-minute reply delay into 120 ms. */
  timeScale: z.number().min(0).default(1),
  requestLogLimit: z.number().int().positive().default(10_000),
  webhookLogLimit: z.number().int().positive().default(10_000),
  evolution: z
    .object({
      apiKey: z.string().min(1).default("sandbox-evolution-key"),
      instances: z
        .array(z.object({ name: z.string().min(1), ownerNumber: z.string().default("558533668000") }))
        .min(1)
        .default([{ name: "busca-ativa", ownerNumber: "558533668000" }]),
    })
    .prefault({}),
  meta: z
    .object({
      accessToken: z.string().min(1).default("sandbox-meta-token"),
      phoneNumbers: z
        .array(
          z.object({ id: z.string().regex(/^\d+$/), displayPhoneNumber: z.string().default("558533668000") }),
        )
        .min(1)
        .default([{ id: "100000000000001", displayPhoneNumber: "558533668000" }]),
      wabaId: z.string().default("200000000000001"),
    })
    .prefault({}),
  registry: registryUpdateSchema.prefault({}),
  patients: patientsSchema.prefault({}),
  faults: faultsSchema.prefault({}),
  webhooks: webhooksSchema.prefault({}),
});
export type SandboxOptions = z.input<typeof sandboxOptionsSchema>;
export type SandboxConfig = z.output<typeof sandboxOptionsSchema>;
