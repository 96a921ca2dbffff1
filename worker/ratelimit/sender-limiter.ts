/**
 * Per-sender rate limits shared by every worker replica, kept in Redis.
 *
 * BullMQ's own limiter is per queue (all senders together) and per-group limits are a paid feature, so each
 * sender (one WhatsApp number: provider + instance) gets a token bucket of its own here. A throttling signal
 * from the provider (HTTP 429, Evolution `rate-overlimit`, Meta 130429) puts that sender, and only that
 * sender, in a cool-down until the provider says it may retry. Spacing between two messages to the same
 * recipient is a key per phone id (ids, never numbers, in Redis keys).
 *
 * Every call answers "go now" (0) or "wait this many ms"; the caller moves its job back to delayed for that
 * long, so one slow sender never blocks the others.
 *
 * A caller that will come back (a send, with its outbox id as `ticket`) reserves its turn when it is told
 * to wait: the bucket goes below zero by one token and the ticket remembers the time it may go, so when
 * it returns it goes without taking again. Without reservations every waiting job would be told the same
 * "one interval from now", come back together, and all but one would wait again: at 10 messages/s with
 * 600 queued, each row was claimed about 20 times and a core burned for nothing
 * (bench/results/worker-throughput.md). A reservation whose job never returns leaves one slot unused. A
 * cool-down voids the reservations it meets (their holders queue again once it is over): otherwise every
 * holder would come back at its end and go at once.
 */
import type { Redis } from "ioredis";

export interface RateLimit {
  /** Messages per second allowed for the sender. */
  perSecond: number;
  /** Messages that may go at once after a quiet period; default 1 (smoothest pacing). */
  burst?: number;
}

// KEYS[1] bucket hash, KEYS[2] cool-down key, KEYS[3] the caller's ticket key (reservations) or "" for
// none; ARGV: rate per ms, burst, now ms ("" for Redis's own clock, so replicas with skewed clocks agree),
// ttl ms, early tolerance ms, late tolerance ms. Returns 0 when the caller may send now, else the ms to wait. With a ticket,
// a wait reserves the caller's turn (tokens go below zero) and the ticket records when it may go.
const TAKE_TOKEN = `
local now = tonumber(ARGV[3])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local cool = redis.call('PTTL', KEYS[2])
local ticket = KEYS[3] ~= '' and KEYS[3] or nil
if ticket then
  local slot = tonumber(redis.call('GET', ticket))
  if slot ~= nil then
    if cool > 0 then
      -- A cool-down voids the turn: every holder coming back after it would otherwise go at once.
      redis.call('DEL', ticket)
      return cool
    end
    local left = slot - now
    if left > tonumber(ARGV[5]) then return left end
    redis.call('DEL', ticket)
    if -left <= tonumber(ARGV[6]) then return 0 end
    -- Back long after its turn (a stalled worker or queue): take a new turn below, so that the turns
    -- missed during a stall are never all used in the same moment.
  end
end
if cool > 0 then return cool end
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil then tokens = burst; ts = now end
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate)
  ts = now
end
local wait = 0
if tokens < 1 then wait = math.max(1, math.ceil((1 - tokens) / rate)) end
if wait == 0 or ticket then
  tokens = tokens - 1
  if ticket then redis.call('SET', ticket, now + wait, 'PX', wait + tonumber(ARGV[4])) end
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', ts)
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate) + tonumber(ARGV[4]))
return wait
`;

// KEYS[1] cool-down key; ARGV[1] ms. Extends, never shortens, the cool-down.
const COOL_DOWN = `
local left = redis.call('PTTL', KEYS[1])
if left < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) end
return 1
`;

// KEYS[1] recipient key; ARGV[1] gap ms. 0 when the recipient may receive now, else the ms to wait.
const RECIPIENT_GAP = `
if redis.call('SET', KEYS[1], '1', 'PX', ARGV[1], 'NX') then return 0 end
return math.max(1, redis.call('PTTL', KEYS[1]))
`;

/** How long a bucket or a ticket outlives the time it matters (ms). */
const KEY_TTL_MS = 10 * 60_000;
/** A ticket holder a little early (delayed jobs, clocks of different hosts) may go: ms. */
const TICKET_EARLY_MS = 10;
/**
 * A ticket holder back more than this after its turn lines up again, so that the turns missed during a
 * stall are not all used at once. A fixed second, not one interval: delayed jobs often come back tens of
 * ms late, and at 80/s (12.5 ms turns) a per-interval limit would make every holder lose its turn again and
 * again (starvation). So after a stall, at most about one second's worth of turns goes together.
 */
const TICKET_LATE_MS = 1000;

export interface SenderLimiterOptions {
  redis: Redis;
  /** Key prefix, e.g. the queue prefix; default "busca-ativa". */
  prefix?: string;
  /** A clock for tests; default Redis's own clock (one clock for every replica). */
  now?: () => number;
}

export class SenderLimiter {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly now: (() => number) | undefined;

  constructor(options: SenderLimiterOptions) {
    this.redis = options.redis;
    this.prefix = options.prefix ?? "busca-ativa";
    this.now = options.now;
  }

  /**
   * Takes one send from the sender's budget: 0 to go now, else the ms to wait. With a `ticket` (an id the
   * caller comes back with, e.g. the outbox row's), a wait reserves the caller's turn: coming back with the
   * same ticket after the wait answers 0 without taking again (back more than one interval after its
   * turn, it waits for a new one).
   */
  async take(sender: string, limit: RateLimit, ticket?: string | number): Promise<number> {
    if (!(limit.perSecond > 0)) {
      throw new RangeError(
        `Rate limit for a sender must be above 0 messages per second (got ${limit.perSecond})`,
      );
    }
    const burst = Math.max(1, limit.burst ?? 1);
    const wait = await this.redis.eval(
      TAKE_TOKEN,
      3,
      this.key("bucket", sender),
      this.key("cool", sender),
      ticket === undefined ? "" : this.key("ticket", sender, String(ticket)),
      String(limit.perSecond / 1000),
      String(burst),
      this.now ? String(this.now()) : "",
      String(KEY_TTL_MS),
      String(TICKET_EARLY_MS),
      String(TICKET_LATE_MS),
    );
    return Number(wait);
  }

  /** The provider throttled this sender: nothing goes through it for `ms`. */
  async coolDown(sender: string, ms: number): Promise<void> {
    await this.redis.eval(COOL_DOWN, 1, this.key("cool", sender), String(Math.max(1, Math.ceil(ms))));
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

  private key(...parts: string[]): string {
    return [this.prefix, "ratelimit", ...parts].join(":");
  }
}
