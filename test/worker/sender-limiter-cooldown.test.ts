/**
 * The sender limiter's reservations meeting a provider cool-down, on a real Redis and its clock (a cool-down
 * is a Redis key that expires in real time): the sends that had reserved their turns before the throttle must
 * not all go at once when it ends; they go at the rate again.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { redisPrefix, testEnv } from "../harness/fixtures.js";
import { SenderLimiter } from "../../worker/ratelimit/sender-limiter.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testEnv().redisUrl);
});
afterAll(() => redis.disconnect());

const RATE = 20;
const COOL_DOWN_MS = 1_000;

describe("reservations and a cool-down", () => {
  it("sends that reserved turns before a throttle go at the rate after it, not together", async () => {
    const limiter = new SenderLimiter({ redis, prefix: redisPrefix("cool") });
    const limit = { perSecond: RATE, burst: 1 };
    const callers = 16;
    const dueAt = new Map<number, number>();
    for (let id = 0; id < callers; id++) dueAt.set(id, Date.now());
    const sentAt: number[] = [];
    let throttledAt = 0;
    const deadline = Date.now() + 20_000;
    // Each caller whose time has come asks again (as its delayed job would); the provider throttles the
    // sender after the third send, while the others hold reservations.
    while (dueAt.size > 0 && Date.now() < deadline) {
      for (const [id, due] of [...dueAt]) {
        if (due > Date.now()) continue;
        const wait = await limiter.take("s", limit, id);
        if (wait > 0) {
          dueAt.set(id, Date.now() + wait);
          continue;
        }
        sentAt.push(Date.now());
        dueAt.delete(id);
        if (sentAt.length === 3) {
          throttledAt = Date.now();
          await limiter.coolDown("s", COOL_DOWN_MS);
        }
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(sentAt).toHaveLength(callers);
    const after = sentAt.slice(3);
    // Nothing during the cool-down.
    expect(after[0]!).toBeGreaterThanOrEqual(throttledAt + COOL_DOWN_MS - 50);
    // Then at the rate: in any 100 ms, the burst plus two intervals at most (one more for timing noise).
    for (let i = 0; i < after.length; i++) {
      const inWindow = after.filter((at) => at >= after[i]! && at < after[i]! + 100).length;
      expect(inWindow, `sends within 100 ms of send ${i + 3}`).toBeLessThanOrEqual(
        1 + (RATE * 100) / 1000 + 1,
      );
    }
  });
});
