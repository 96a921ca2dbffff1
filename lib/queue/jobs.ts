/**
 * Queues and job types, defined once for the controller, the webhook receiver and the workers.
 *
 * Job payloads carry ids only (campaign uids, database row ids): never a name, a phone number or a message
 * text. BullMQ stores job data in clear text in Redis, and Redis is work in flight, not a record.
 */
import { z } from "zod";

export const QUEUES = {
  import: "import",
  validate: "validate",
  send: "send",
  inbound: "inbound",
  status: "status",
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** Worker groups, each a Deployment that scales on its own: a flood of replies never starves sends. */
export const QUEUE_GROUPS = {
  outbound: [QUEUES.import, QUEUES.validate, QUEUES.send],
  inbound: [QUEUES.inbound, QUEUES.status],
} as const satisfies Record<string, readonly QueueName[]>;

export type QueueGroup = keyof typeof QUEUE_GROUPS;

const uid = z.uuid();
const rowId = z.coerce.number().int().positive();

export const jobSchemas = {
  /** Import a Campaign's patient list (from its Secret, ConfigMap or an imported list). */
  [QUEUES.import]: z.object({ campaignUid: uid }).strict(),
  /** Check a batch of phones through the provider. */
  [QUEUES.validate]: z.object({ campaignUid: uid, phoneIds: z.array(rowId).min(1).max(1000) }).strict(),
  /** Send one outbox row. */
  [QUEUES.send]: z.object({ campaignUid: uid, outboxId: rowId }).strict(),
  /** Apply one stored inbound message to the reply state machine. */
  [QUEUES.inbound]: z.object({ inboundId: rowId }).strict(),
  /** Apply one stored delivery event to its outbox row. */
  [QUEUES.status]: z.object({ deliveryEventId: rowId }).strict(),
} as const;

export type JobData<Q extends QueueName> = z.infer<(typeof jobSchemas)[Q]>;

/**
 * Deterministic job ids: adding the same work twice is a no-op while the first job exists. BullMQ ids
 * may not contain ":" nor be all digits.
 */
export const jobIds = {
  import: (campaignUid: string, generation: number) => `import.${campaignUid}.${generation}`,
  validate: (campaignUid: string, firstPhoneId: number) => `validate.${campaignUid}.${firstPhoneId}`,
  /** One job per claim attempt of an outbox row: a row sent again (after a retry) gets a new job. */
  send: (outboxId: number, attempts: number) => `send.${outboxId}.${attempts}`,
  inbound: (provider: string, providerMessageId: string) => `in.${provider}.${safeIdPart(providerMessageId)}`,
  status: (provider: string, providerMessageId: string, status: string) =>
    `st.${provider}.${safeIdPart(providerMessageId)}.${status}`,
};

/** Provider message ids may hold ":" (not allowed in BullMQ ids); they are percent-encoded. */
function safeIdPart(value: string): string {
  return encodeURIComponent(value).replace(/:/g, "%3A");
}

export interface QueueSettings {
  /** BullMQ attempts for a job that throws. */
  attempts: number;
  /** First retry delay (ms); exponential with jitter after that. */
  backoffMs: number;
  /** How long a worker holds a job's lock before it must renew it (ms). */
  lockDurationMs: number;
  /** Completed jobs kept (age in seconds, count); finished work is recorded in PostgreSQL. */
  keepCompleted: { age: number; count: number };
  /** Failed jobs kept longer, for inspection. */
  keepFailed: { age: number; count: number };
}

const DAY = 86_400;

/**
 * Per-queue settings. Sends hold their lock across the typing warm-up and the provider call (30 s
 * timeout); imports can take minutes on a large spreadsheet; inbound work is short.
 */
export const QUEUE_SETTINGS: Record<QueueName, QueueSettings> = {
  import: {
    attempts: 5,
    backoffMs: 5_000,
    lockDurationMs: 5 * 60_000,
    keepCompleted: { age: DAY, count: 1000 },
    keepFailed: { age: 14 * DAY, count: 10_000 },
  },
  validate: {
    attempts: 8,
    backoffMs: 2_000,
    lockDurationMs: 2 * 60_000,
    keepCompleted: { age: 3600, count: 1000 },
    keepFailed: { age: 14 * DAY, count: 10_000 },
  },
  send: {
    attempts: 10,
    backoffMs: 1_000,
    lockDurationMs: 90_000,
    keepCompleted: { age: 3600, count: 5000 },
    keepFailed: { age: 14 * DAY, count: 50_000 },
  },
  inbound: {
    attempts: 10,
    backoffMs: 500,
    lockDurationMs: 30_000,
    keepCompleted: { age: 3600, count: 5000 },
    keepFailed: { age: 14 * DAY, count: 50_000 },
  },
  status: {
    attempts: 10,
    backoffMs: 500,
    lockDurationMs: 30_000,
    keepCompleted: { age: 600, count: 5000 },
    keepFailed: { age: 14 * DAY, count: 50_000 },
  },
};

/** BullMQ's default job options for a queue, from its settings. */
export function defaultJobOptions(queue: QueueName) {
  const s = QUEUE_SETTINGS[queue];
  return {
    attempts: s.attempts,
    backoff: { type: "exponential" as const, delay: s.backoffMs, jitter: 0.5 },
    removeOnComplete: s.keepCompleted,
    removeOnFail: s.keepFailed,
  };
}

/** Parses a job's data against its queue's schema; a job that does not match is a programming error. */
export function parseJobData<Q extends QueueName>(queue: Q, data: unknown): JobData<Q> {
  return jobSchemas[queue].parse(data) as JobData<Q>;
}
