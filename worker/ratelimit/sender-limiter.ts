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
 */
import type { Redis } from "ioredis";

export interface RateLimit {
  /** Messages per second allowed for the sender. */
  perSecond: number;
  /** Messages that may go at once after a quiet period; default 1 (smoothest pacing). */
  burst?: number;
}

// KEYS[1] bucket hash, KEYS[2] cool-down key; ARGV: rate per ms, burst, now ms ("" for Redis's own clock,
// so replicas with skewed clocks agree), ttl ms.
// Returns 0 when a token was taken, else the ms to wait.
const TAKE_TOKEN = `
local cool = redis.call('PTTL', KEYS[2])
if cool > 0 then return cool end
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil then tokens = burst; ts = now end
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate)
  ts = now
end
if tokens >= 1 then
  redis.call('HSET', KEYS[1], 'tokens', tokens - 1, 'ts', ts)
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  return 0
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', ts)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return math.max(1, math.ceil((1 - tokens) / rate))
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

  /** Takes one send from the sender's budget: 0 to go now, else the ms to wait. */
  async take(sender: string, limit: RateLimit): Promise<number> {
    if (!(limit.perSecond > 0)) {
      throw new RangeError(
        `Rate limit for a sender must be above 0 messages per second (got ${limit.perSecond})`,
      );
    }
    const burst = Math.max(1, limit.burst ?? 1);
    const ttl = Math.ceil((burst / limit.perSecond) * 1000) + 60_000;
    const wait = await this.redis.eval(
      TAKE_TOKEN,
      2,
      this.key("bucket", sender),
      this.key("cool", sender),
      String(limit.perSecond / 1000),
      String(burst),
      this.now ? String(this.now()) : "",
      String(ttl),
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
