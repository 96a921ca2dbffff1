/** The per-sender limiter against a real Redis: shared budgets, isolated senders, cool-downs, spacing. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { redisPrefix, testEnv } from "../../test/harness/fixtures.js";
import { SenderLimiter } from "./sender-limiter.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testEnv().redisUrl);
});
afterAll(() => redis.disconnect());

/** A limiter on a fake clock, for exact arithmetic. */
function limiterAt(start: number) {
  const clock = { now: start };
  return { clock, limiter: new SenderLimiter({ redis, prefix: redisPrefix("rl"), now: () => clock.now }) };
}

describe("SenderLimiter", () => {
  it("lets one message through per 1/rate seconds and says how long to wait otherwise", async () => {
    const { clock, limiter } = limiterAt(1_000_000);
    expect(await limiter.take("evo/a", { perSecond: 10 })).toBe(0);
    expect(await limiter.take("evo/a", { perSecond: 10 })).toBe(100);
    clock.now += 100;
    expect(await limiter.take("evo/a", { perSecond: 10 })).toBe(0);
  });

  it("never lets more than rate × time + burst through, whatever the number of callers", async () => {
    const { clock, limiter } = limiterAt(2_000_000);
    let allowed = 0;
    // 2 seconds of simulated time, 50 callers polling every 10 ms.
    for (let t = 0; t < 2000; t += 10) {
      clock.now = 2_000_000 + t;
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => limiter.take("meta/x", { perSecond: 20, burst: 5 })),
      );
      allowed += answers.filter((w) => w === 0).length;
    }
    expect(allowed).toBeLessThanOrEqual(20 * 2 + 5);
    expect(allowed).toBeGreaterThanOrEqual(20 * 2 * 0.95);
  });

  it("is shared: two limiter instances (two worker replicas) draw from one budget", async () => {
    const prefix = redisPrefix("shared");
    const clock = { now: 3_000_000 };
    const a = new SenderLimiter({ redis, prefix, now: () => clock.now });
    const b = new SenderLimiter({ redis, prefix, now: () => clock.now });
    expect(await a.take("s", { perSecond: 1 })).toBe(0);
    expect(await b.take("s", { perSecond: 1 })).toBeGreaterThan(0);
  });

  it("cools down only the throttled sender", async () => {
    const { limiter } = limiterAt(4_000_000);
    await limiter.coolDown("evo/slow", 30_000);
    expect(await limiter.take("evo/slow", { perSecond: 100 })).toBeGreaterThan(29_000);
    expect(await limiter.take("evo/other", { perSecond: 100 })).toBe(0);
  });

  it("extends a cool-down but never shortens it", async () => {
    const { limiter } = limiterAt(5_000_000);
    await limiter.coolDown("s", 60_000);
    await limiter.coolDown("s", 1_000);
    expect(await limiter.coolDownLeft("s")).toBeGreaterThan(50_000);
  });

  it("spaces two messages to the same recipient, not to different ones", async () => {
    const { limiter } = limiterAt(6_000_000);
    expect(await limiter.spaceRecipient("s", 41, 6_000)).toBe(0);
    expect(await limiter.spaceRecipient("s", 41, 6_000)).toBeGreaterThan(5_000);
    expect(await limiter.spaceRecipient("s", 42, 6_000)).toBe(0);
  });

  it("refuses a rate that is not above zero, naming it", async () => {
    const { limiter } = limiterAt(0);
    await expect(limiter.take("s", { perSecond: 0 })).rejects.toThrow(/above 0 messages per second/);
  });
});

describe("SenderLimiter on Redis's clock", () => {
  it("paces with the server's time when no clock is given", async () => {
    const limiter = new SenderLimiter({ redis, prefix: redisPrefix("clock") });
    expect(await limiter.take("s", { perSecond: 2 })).toBe(0);
    const wait = await limiter.take("s", { perSecond: 2 });
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(500);
  });
});
