/**
 * Per-sender rate limits shared by every worker replica, kept in Redis.
 *
 * BullMQ's own limiter is per queue (all senders together) and per-group limits are a paid feature, so each
 * sender (one WhatsApp number: provider + instance) gets a schedule of its own here. A throttling signal
 * from the provider (HTTP 429, Evolution `rate-overlimit`, Meta 130429) puts that sender, and only that
 * sender, in a cool-down until the provider says it may retry. Spacing between two messages to the same
 * recipient is a key per phone id (ids, never numbers, in Redis keys).
 *
 * The limit holds where it matters, at the provider: every send gets an exact instant (a slot) from one Lua
 * script (GCRA, virtual scheduling: each slot at least 1/rate after the one before, `burst` slots may share
 * an instant after a quiet period), and the send waits in process until that instant right before the
 * provider call (`Turn.arrive`). So what the provider receives in any window of T seconds is at most
 * rate × T + burst, give or take the jitter of the HTTP call itself. A slot more than `horizonMs` away is
 * not waited for in process: the caller moves its job back to delayed until shortly before it, keeping its
 * slot under a ticket (the outbox id), so one slow sender never blocks the others and waiting jobs do not
 * all come back at the same moment (at 10 messages/s with 600 queued, without tickets each row was claimed
 * about 20 times). A holder back after its slot (by more than a quarter of an interval, or 20 ms) has missed it and takes a
 * new one: going late would put it next to the holders of the following slots. A missed slot is left
 * unused, never made up for. A cool-down voids every slot handed out before it (an epoch in the schedule)
 * and restarts the schedule at its end, so the holders do not all go together when it is over.
 *
 * Time is Redis's (`TIME`), one clock for every replica; the caller only measures how long to wait from
 * the answer, with its own monotonic clock.
 */
import type { Redis } from "ioredis";
import { COOL_DOWN, RECIPIENT_GAP, RESERVE_SLOT } from "./sender-limiter-scripts.js";

export interface RateLimit {
  /** Messages per second allowed for the sender. */
  perSecond: number;
  /** Messages that may go at once after a quiet period; default 1 (smoothest pacing). */
  burst?: number;
}

/**
 * One send's place in its sender's schedule, from `SenderLimiter.reserve`.
 * `deferMs` > 0: not now; run the job again after `deferMs` (its slot is kept under the ticket).
 * `deferMs` = 0: the slot is near; call `arrive()` right before the provider call.
 */
export interface Turn {
  deferMs: number;
  /**
   * Waits in process until the slot. Resolves 0 to send now, or, when the slot was missed (the caller
   * came more than a quarter of an interval after it, e.g. a typing call that ran long), the ms to defer after
   * taking a new slot (0 again if that one is near: then it has waited for it too).
   */
  arrive(): Promise<number>;
}

/** How long a schedule or a ticket outlives the time it matters (ms). */
const KEY_TTL_MS = 10 * 60_000;

export interface SenderLimiterOptions {
  redis: Redis;
  /** Key prefix, e.g. the queue prefix; default "busca-ativa". */
  prefix?: string;
  /** A clock for tests; default Redis's own clock (one clock for every replica). */
  now?: () => number;
  /**
   * A slot at most this far away (beyond the caller's lead) is waited for in process; a farther one sends
   * the job back to delayed. Default 1000 ms.
   */
  horizonMs?: number;
  /** A deferred job comes back this long before its slot (beyond its lead), to be there in time. Default 500 ms. */
  returnEarlyMs?: number;
  /**
   * The longest lead callers pass (their typing indicator), for a cool-down to know how far ahead turns
   * already handed out may reach; default 3 050 ms (the Campaign's default 3 s typing warm-up and margin).
   */
  coolDownKeepLeadMs?: number;
  /** Waits in process (tests may pass a fake); default a timer. */
  sleep?: (ms: number) => Promise<void>;
  /** A monotonic clock for the in-process wait; default performance.now. */
  monotonic?: () => number;
}

export interface ReserveOptions {
  /**
   * Time the caller needs between now and the provider call (e.g. a typing indicator that blocks): the
   * slot is at least this far away. Default 0.
   */
  leadMs?: number;
}

/** Extra room given to a lead, so that a typing call a few ms long does not miss its slot. */
const LEAD_MARGIN_MS = 50;
/**
 * A holder later than this after its slot has missed it: a quarter of an interval (so the path's jitter
 * after the slot, the HTTP call and the provider's own, has the other three quarters before two arrivals
 * come closer than one interval), but at least 20 ms (at high rates the few ms between taking a slot and
 * the provider call are the path's own jitter, and a new slot for each would only cost a Redis call), and
 * at most 250 ms.
 */
const lateToleranceMs = (intervalMs: number) => Math.min(250, Math.max(20, intervalMs / 4));

function checkedRate(limit: RateLimit): number {
  if (!(limit.perSecond > 0)) {
    throw new RangeError(
      `Rate limit for a sender must be above 0 messages per second (got ${limit.perSecond})`,
    );
  }
  return limit.perSecond;
}

export class SenderLimiter {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly now: (() => number) | undefined;
  private readonly horizonMs: number;
  private readonly returnEarlyMs: number;
  private readonly coolDownKeepLeadMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly monotonic: () => number;

  constructor(options: SenderLimiterOptions) {
    this.redis = options.redis;
    this.prefix = options.prefix ?? "busca-ativa";
    this.now = options.now;
    this.horizonMs = options.horizonMs ?? 1000;
    this.returnEarlyMs = Math.min(options.returnEarlyMs ?? 500, this.horizonMs);
    this.coolDownKeepLeadMs = options.coolDownKeepLeadMs ?? 3_050;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.monotonic = options.monotonic ?? (() => performance.now());
  }

  /**
   * Takes the sender's next slot for one send (or finds the one its `ticket` holds). Near: `deferMs` is 0
   * and `arrive()` waits for it right before the provider call. Far: `deferMs` says when to come back, and
   * with a `ticket` (an id the caller comes back with, e.g. the outbox row's) the slot is kept for it.
   */
  async reserve(
    sender: string,
    limit: RateLimit,
    ticket?: string | number,
    options: ReserveOptions = {},
  ): Promise<Turn> {
    const leadMs = options.leadMs && options.leadMs > 0 ? options.leadMs + LEAD_MARGIN_MS : 0;
    const intervalMs = 1000 / checkedRate(limit);
    // "In ms" counts from when the script ran, which is closer to when the call left than to when its answer
    // was read (a busy event loop reads answers late; counting from then would send late, unnoticed).
    const asked = this.monotonic();
    const [code, ms] = await this.evalSlot(sender, limit, ticket, leadMs, this.horizonMs);
    if (code === 2) return { deferMs: Math.max(1, ms), arrive: async () => 0 };
    if (code === 1) {
      return { deferMs: Math.max(1, ms - leadMs - this.returnEarlyMs), arrive: async () => 0 };
    }
    const dueAt = asked + ms;
    return {
      deferMs: 0,
      arrive: async () => {
        await this.waitUntil(dueAt);
        if (this.monotonic() - dueAt <= lateToleranceMs(intervalMs)) return 0;
        // Missed (the caller was slow since): a new slot, waited for if near.
        const again = await this.reserve(sender, limit, ticket);
        if (again.deferMs > 0) return again.deferMs;
        return again.arrive();
      },
    };
  }

  /**
   * Decides without waiting: 0 to go now, else the ms until the caller's slot. With a `ticket`, a wait
   * keeps the slot for the caller's return (the `reserve` rules with neither lead nor horizon).
   */
  async take(sender: string, limit: RateLimit, ticket?: string | number): Promise<number> {
    const [code, ms] = await this.evalSlot(sender, limit, ticket, 0, 0);
    return code === 0 ? 0 : Math.max(1, ms);
  }

  /** The provider throttled this sender: nothing goes through it for `ms`. */
  async coolDown(sender: string, ms: number): Promise<void> {
    await this.redis.eval(
      COOL_DOWN,
      2,
      this.key("cool", sender),
      this.key("schedule", sender),
      String(Math.max(1, Math.ceil(ms))),
      this.now ? String(this.now()) : "",
      String(KEY_TTL_MS),
      String(this.horizonMs + this.coolDownKeepLeadMs),
    );
  }

  /** ms left in the sender's cool-down, 0 when none. */
  async coolDownLeft(sender: string): Promise<number> {
    return Math.max(0, await this.redis.pttl(this.key("cool", sender)));
  }

  /**
   * Keeps at least `gapMs` between two messages to one recipient (a phone id) from one sender:
   * 0 to go now (and the gap starts), else the ms to wait.
   */
  async spaceRecipient(sender: string, phoneId: number, gapMs: number): Promise<number> {
    if (gapMs <= 0) return 0;
    return Number(
      await this.redis.eval(RECIPIENT_GAP, 1, this.key("rcpt", sender, String(phoneId)), String(gapMs)),
    );
  }

  private async evalSlot(
    sender: string,
    limit: RateLimit,
    ticket: string | number | undefined,
    leadMs: number,
    horizonMs: number,
  ): Promise<[number, number]> {
    const intervalMs = 1000 / checkedRate(limit);
    const burst = Math.max(1, Math.floor(limit.burst ?? 1));
    const answer = (await this.redis.eval(
      RESERVE_SLOT,
      3,
      this.key("schedule", sender),
      this.key("cool", sender),
      ticket === undefined ? "" : this.key("ticket", sender, String(ticket)),
      String(intervalMs),
      String((burst - 1) * intervalMs),
      this.now ? String(this.now()) : "",
      String(KEY_TTL_MS),
      String(leadMs),
      String(horizonMs),
      String(lateToleranceMs(intervalMs)),
    )) as [number, number];
    return [Number(answer[0]), Number(answer[1])];
  }

  /** Sleeps until the monotonic clock reaches `dueAt` (timers may fire a little early). */
  private async waitUntil(dueAt: number): Promise<void> {
    for (let left = dueAt - this.monotonic(); left > 0; left = dueAt - this.monotonic()) {
      await this.sleep(Math.ceil(left));
    }
  }

  private key(...parts: string[]): string {
    return [this.prefix, "ratelimit", ...parts].join(":");
  }
}
