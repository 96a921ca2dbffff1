/**
 * Sending one outbox row: claim it, check it may still go, respect the sender's rate limit, show typing,
 * send, record. Exactly once per row: the claim is exclusive, a failure before the provider call gives the
 * claim back, and a failure whose outcome is unknown (timeout, lost response, 5xx) keeps the claim for the
 * stale-claim resolver, which never sends blindly (docs/sending.md).
 */
import type { Pool } from "pg";
import type { LogFn } from "pino";
import type { Logger } from "../../lib/logger.js";
import { withTransaction } from "../../lib/db/pool.js";
import { errorMessage } from "../../lib/errors.js";
import { currentOccurrence, nextOccurrence, type WindowSpec } from "../../lib/pacing/window.js";
import { ProviderError } from "../providers/provider-error.js";
import type { Recipient, WhatsAppProvider } from "../providers/types.js";
import type { SenderLimiter, RateLimit } from "../ratelimit/sender-limiter.js";
import {
  blockCampaignSending,
  cancelRow,
  isClaimed,
  recordFailure,
  releaseClaim,
  type ClaimedRow,
} from "./outbox-store.js";
import type { OutboxBatches } from "./outbox-batches.js";

/** What the sender of a campaign looks like to the send path. */
export interface SenderRuntime {
  provider: WhatsAppProvider;
  /** Identifies the WhatsApp number for rate limits: provider type, namespace and channel. */
  senderKey: string;
  rateLimit: RateLimit;
  /** Minimum time between two messages to one phone; 0 for none. */
  recipientGapMs: number;
  /** "typing…" shown before first messages and reminders; 0 for none. */
  typingWarmupMs: number;
  /**
   * The campaign's send window (time zone, hours, days): a first message found outside it when its job
   * runs is held back until the window opens. Undefined: no window (first messages may go at any time).
   */
  sendWindow: WindowSpec | undefined;
}

export interface SenderRuntimes {
  forCampaign(campaignUid: string, specGeneration?: number): Promise<SenderRuntime>;
}

export interface SendDeps {
  pool: Pool;
  /** Claims and records, batched across the process's concurrent sends. */
  outbox: OutboxBatches;
  senders: SenderRuntimes;
  limiter: SenderLimiter;
  workerId: string;
  logger: Logger;
  /** The BullMQ job, named in log lines. */
  jobId?: string;
  now?: () => Date;
  /** Observes each provider call (for metrics). */
  onProviderCall?: (event: { kind: string; seconds: number; outcome: string }) => void;
}

export type SendOutcome =
  | { result: "sent"; providerMessageId: string }
  | { result: "skipped"; why: string }
  | { result: "cancelled"; why: string }
  | { result: "failed"; why: string }
  /** The row is not due yet: run this same job again after `delayMs`. */
  | { result: "early"; delayMs: number }
  /**
   * Held back, not failed (rate limit, cool-down, suspended, sending blocked): the claim was given back
   * without counting as an attempt and the row is pending with `not_before`; this same job runs again
   * after `delayMs`.
   */
  | { result: "deferred"; delayMs: number; why: string }
  /**
   * A retryable failure before the provider accepted anything: the claim was given back (it counts as an
   * attempt) and the row is pending with `not_before`; a new job for claim attempt `attempts` must run after
   * `delayMs`.
   */
  | { result: "later"; delayMs: number; attempts: number; why: string }
  /** The provider call's outcome is unknown; the row stays claimed for the resolver. */
  | { result: "unknown"; why: string };

const BLOCKED_RETRY_MS = 60_000;
/** Retryable failures before the provider accepted anything: exponential backoff with jitter, then give up. */
export const SEND_RETRY = { baseMs: 2_000, maxMs: 10 * 60_000, maxAttempts: 12 };

export function retryDelayMs(attempts: number, random: () => number = Math.random): number {
  const exponential = Math.min(SEND_RETRY.maxMs, SEND_RETRY.baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(exponential * (0.5 + random() * 0.5));
}

export async function processSend(outboxId: number, deps: SendDeps): Promise<SendOutcome> {
  const { pool, workerId } = deps;
  const claim = await deps.outbox.claim(outboxId);
  if (!isClaimed(claim)) {
    if (claim.reason === "too_early") {
      const now = (deps.now ?? (() => new Date()))();
      return { result: "early", delayMs: Math.max(1, claim.notBefore.getTime() - now.getTime()) };
    }
    return { result: "skipped", why: claim.reason === "gone" ? "row gone" : `row is ${claim.state}` };
  }
  const row = claim;
  const log = lazyChild(deps.logger, () => ({
    queue: "send",
    jobId: deps.jobId,
    outboxId: row.outboxId,
    campaignUid: row.campaignUid,
    kind: row.kind,
  }));

  const refusal = whyNotSendable(row);
  if (refusal) {
    if (refusal === "opted-out" && row.kind !== "reply") {
      await withTransaction(pool, async (client) => {
        await cancelRow(client, row, workerId, refusal);
        await client.query(
          "UPDATE contacts SET state = 'opted_out' WHERE id = $1 AND state IN ('pending', 'ready', 'sent')",
          [row.contactId],
        );
      });
    } else {
      await cancelRow(pool, row, workerId, refusal);
    }
    log.info({ why: refusal }, "Withdrew a message that may no longer be sent");
    return { result: "cancelled", why: refusal };
  }
  if (row.sendBlocked || (row.suspended && row.kind !== "reply")) {
    return defer(deps, row, BLOCKED_RETRY_MS, row.sendBlocked ? "sending blocked" : "suspended");
  }

  let sender: SenderRuntime;
  try {
    sender = await deps.senders.forCampaign(row.campaignUid, row.specGeneration);
  } catch (err) {
    log.warn({ error: errorMessage(err) }, "Could not prepare the campaign's sender; retrying later");
    return retryOrFail(deps, row, `sender unavailable: ${errorMessage(err)}`);
  }

  // A job may run late (a worker outage, a backlog): a first message still goes only inside the window.
  const windowWait = row.kind === "initial" ? untilWindowOpens(deps, sender.sendWindow) : 0;
  if (windowWait > 0) {
    log.info({ delayMs: windowWait }, "Held back a first message until the send window opens");
    return defer(deps, row, windowWait, "outside the send window");
  }

  // The row's id is its ticket: told to wait, it keeps its slot for when it comes back.
  const typingMs = row.kind !== "reply" ? sender.typingWarmupMs : 0;
  const turn = await deps.limiter.reserve(sender.senderKey, sender.rateLimit, row.outboxId, {
    leadMs: typingMs,
  });
  // The recipient's gap starts only for a send that goes now (a deferred one would block its own return).
  const wait =
    turn.deferMs || (await deps.limiter.spaceRecipient(sender.senderKey, row.phoneId, sender.recipientGapMs));
  if (wait > 0) return defer(deps, row, wait, "rate limit");

  const to: Recipient = { e164: row.e164, ...(row.waAddress ? { address: row.waAddress } : {}) };
  if (sender.typingWarmupMs > 0 && row.kind !== "reply") {
    await sender.provider.sendTyping(to, sender.typingWarmupMs).catch((err: unknown) => {
      log.debug({ error: errorMessage(err) }, "Typing before a send failed; sending anyway");
    });
  }

  // The provider receives it at its slot, not earlier (and not much later: a missed slot waits for a new one).
  const missed = await turn.arrive();
  if (missed > 0) return defer(deps, row, missed, "rate limit");
  const started = performance.now();
  try {
    const ok =
      row.template && sender.provider.sendTemplate
        ? await sender.provider.sendTemplate(to, row.template, { correlationId: String(row.outboxId) })
        : await sender.provider.sendText(to, row.body ?? "", { correlationId: String(row.outboxId) });
    deps.onProviderCall?.({ kind: row.kind, seconds: (performance.now() - started) / 1000, outcome: "sent" });
    const recorded = await deps.outbox.recordSent({
      outboxId: row.outboxId,
      provider: sender.provider.type,
      providerMessageId: ok.providerMessageId,
      address: ok.address,
      sentAt: ok.acceptedAt,
    });
    if (!recorded) log.warn("A send finished after its claim was taken over; the resolver owns the row");
    return { result: "sent", providerMessageId: ok.providerMessageId };
  } catch (err) {
    if (!(err instanceof ProviderError)) {
      // Not a provider answer: our own bug or the database. The provider may have accepted the message.
      deps.onProviderCall?.({
        kind: row.kind,
        seconds: (performance.now() - started) / 1000,
        outcome: "error",
      });
      log.error(
        { error: errorMessage(err) },
        "A send failed after the provider call; the row waits for the resolver",
      );
      return { result: "unknown", why: errorMessage(err) };
    }
    deps.onProviderCall?.({
      kind: row.kind,
      seconds: (performance.now() - started) / 1000,
      outcome: err.classification.kind,
    });
    return handleProviderError(err, row, sender, deps, log);
  }
}

/**
 * What is known of a window from an earlier look: between `from` and `until` it is open (an occurrence), or
 * closed until `until` (the next opening). Time-zone math (luxon) costs about as much as the rest of a send,
 * so each sender's window is worked out once per opening or closing, not once per message.
 */
interface KnownWindow {
  from: number;
  until: number;
  open: boolean;
}
const knownWindows = new WeakMap<WindowSpec, KnownWindow>();

/** Milliseconds until the window next opens; 0 inside it (or with no window). */
function untilWindowOpens(deps: SendDeps, window: WindowSpec | undefined): number {
  if (!window) return 0;
  const now = (deps.now ?? (() => new Date()))();
  const t = now.getTime();
  let known = knownWindows.get(window);
  if (!known || t < known.from || t >= known.until) {
    const occurrence = currentOccurrence(now, window);
    const opens = occurrence ? undefined : nextOccurrence(now, window)?.opensAt;
    // No opening within 8 days cannot happen with a valid spec (at least one day); look again later.
    if (!occurrence && !opens) return BLOCKED_RETRY_MS;
    known = occurrence
      ? { from: occurrence.opensAt.getTime(), until: occurrence.closesAt.getTime(), open: true }
      : { from: t, until: opens!.getTime(), open: false };
    knownWindows.set(window, known);
  }
  return known.open ? 0 : Math.max(1, known.until - t);
}

/** What the send path logs with. */
type SendLog = Pick<Logger, "debug" | "info" | "warn" | "error">;

/**
 * A child logger made on first use: most sends log nothing, and a pino child (bindings serialised,
 * redaction set up) is a measurable part of a send's CPU.
 */
function lazyChild(logger: Logger, bindings: () => Record<string, unknown>): SendLog {
  let child: Logger | undefined;
  const level =
    (name: keyof SendLog): LogFn =>
    (...args: unknown[]) => {
      child ??= logger.child(bindings());
      (child[name] as (...a: unknown[]) => void)(...args);
    };
  return { debug: level("debug"), info: level("info"), warn: level("warn"), error: level("error") };
}

function whyNotSendable(row: ClaimedRow): string | undefined {
  if (row.campaignState === "cancelled") return "campaign-cancelled";
  if (row.optedOut && !(row.kind === "reply")) return "opted-out";
  if (!row.sendable || row.waStatus === "not_registered")
    return row.kind === "reply" ? undefined : "phone-not-sendable";
  switch (row.kind) {
    case "initial":
      return ["pending", "ready", "sent"].includes(row.contactState) ? undefined : "contact-already-answered";
    case "follow_up":
      return row.contactState === "sent" ? undefined : "contact-already-answered";
    case "release":
      return row.contactState === "no_response" ? undefined : "contact-answered-before-release";
    default:
      return row.body ? undefined : "empty-reply";
  }
}

async function handleProviderError(
  err: ProviderError,
  row: ClaimedRow,
  sender: SenderRuntime,
  deps: SendDeps,
  log: SendLog,
): Promise<SendOutcome> {
  const { pool, workerId } = deps;
  const c = err.classification;
  switch (c.kind) {
    case "rate_limited":
      if (c.scope === "recipient") {
        await deps.limiter.spaceRecipient(sender.senderKey, row.phoneId, c.retryAfterMs);
      } else {
        await deps.limiter.coolDown(sender.senderKey, c.retryAfterMs);
      }
      log.warn(
        { scope: c.scope, retryAfterMs: c.retryAfterMs },
        "The provider throttled the sender; slowing down",
      );
      return defer(deps, row, c.retryAfterMs, "provider throttling");
    case "retryable":
      if (err.outcomeUnknown) {
        log.warn({ code: err.code }, "A send's outcome is unknown; the row waits for the resolver");
        return { result: "unknown", why: err.message };
      }
      return retryOrFail(deps, row, err.message, err.code);
    case "permanent":
    case "needs_template":
      await withTransaction(pool, (client) =>
        recordFailure(client, row, workerId, {
          errorClass: c.kind,
          errorCode: err.providerCode ?? err.code,
          notOnWhatsApp: c.kind === "permanent" && c.reason === "not_on_whatsapp",
        }),
      );
      log.info({ code: err.providerCode ?? err.code }, "A message can never be sent; recorded as failed");
      return { result: "failed", why: err.message };
    case "stop_sending":
    case "config":
      await blockCampaignSending(pool, row.campaignUid, `${c.kind}:${c.reason}`);
      log.error(
        { kind: c.kind, reason: c.reason },
        "The provider refused the sender; the campaign's sending is blocked",
      );
      return defer(deps, row, BLOCKED_RETRY_MS, "sending blocked");
  }
}

/** Gives the claim back, uncounted, with the row due again in `delayMs`: the same job runs again then. */
async function defer(deps: SendDeps, row: ClaimedRow, delayMs: number, why: string): Promise<SendOutcome> {
  const now = (deps.now ?? (() => new Date()))();
  await releaseClaim(deps.pool, row, deps.workerId, new Date(now.getTime() + delayMs), false);
  return { result: "deferred", delayMs, why };
}

/** Gives the claim back after a failure (an attempt used) with the row due again in `delayMs`. */
async function later(deps: SendDeps, row: ClaimedRow, delayMs: number, why: string): Promise<SendOutcome> {
  const now = (deps.now ?? (() => new Date()))();
  await releaseClaim(deps.pool, row, deps.workerId, new Date(now.getTime() + delayMs));
  return { result: "later", delayMs, attempts: row.attempts, why };
}

/** A failure that may pass: again after a backoff, or recorded as failed after the last attempt. */
async function retryOrFail(
  deps: SendDeps,
  row: ClaimedRow,
  why: string,
  code = "RETRIES_EXHAUSTED",
): Promise<SendOutcome> {
  if (row.attempts >= SEND_RETRY.maxAttempts) {
    await withTransaction(deps.pool, (client) =>
      recordFailure(client, row, deps.workerId, {
        errorClass: "retryable",
        errorCode: code,
        notOnWhatsApp: false,
      }),
    );
    return { result: "failed", why: `gave up after ${row.attempts} attempts: ${why}` };
  }
  return later(deps, row, retryDelayMs(row.attempts), why);
}
