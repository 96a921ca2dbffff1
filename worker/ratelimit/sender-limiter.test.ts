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

  it("gives a waiting caller with a ticket its own turn, and lets it go without taking again", async () => {
    const { clock, limiter } = limiterAt(7_000_000);
    const limit = { perSecond: 10 };
    expect(await limiter.take("s", limit, 1)).toBe(0);
    // Three callers told to wait get consecutive turns, not the same one.
    expect(await limiter.take("s", limit, 2)).toBe(100);
    expect(await limiter.take("s", limit, 3)).toBe(200);
    expect(await limiter.take("s", limit, 4)).toBe(300);
    // Coming back early: the same turn, nothing new reserved.
    clock.now += 50;
    expect(await limiter.take("s", limit, 3)).toBe(150);
    clock.now += 150;
    expect(await limiter.take("s", limit, 2)).toBe(0);
    expect(await limiter.take("s", limit, 3)).toBe(0);
    // A ticket is used once: the row's next message queues behind the reservations still open.
    expect(await limiter.take("s", limit, 3)).toBe(200);
  });

  it("with tickets, every caller goes once, at the rate, however many wait (no thundering herd)", async () => {
    const { clock, limiter } = limiterAt(8_000_000);
    const limit = { perSecond: 20, burst: 1 };
    const dueAt = new Map<number, number>();
    const sentAt: number[] = [];
    let takes = 0;
    for (let id = 0; id < 100; id++) dueAt.set(id, clock.now);
    // Every 10 ms, each caller whose time has come asks again.
    for (let t = 0; t <= 6_000 && dueAt.size > 0; t += 10) {
      clock.now = 8_000_000 + t;
      for (const [id, due] of [...dueAt]) {
        if (due > clock.now) continue;
        takes++;
        const wait = await limiter.take("s", limit, id);
        if (wait === 0) {
          sentAt.push(clock.now);
          dueAt.delete(id);
        } else dueAt.set(id, clock.now + wait);
      }
    }
    expect(sentAt).toHaveLength(100);
    expect(takes).toBeLessThanOrEqual(200);
    for (let i = 1; i < sentAt.length; i++) expect(sentAt[i]! - sentAt[i - 1]!).toBeGreaterThanOrEqual(50);
    expect(sentAt.at(-1)! - sentAt[0]!).toBeLessThanOrEqual(99 * 50 + 10);
  });

  it("makes tickets back long after their turn line up again instead of all going at once", async () => {
    const { clock, limiter } = limiterAt(10_000_000);
    const limit = { perSecond: 10 };
    expect(await limiter.take("s", limit, 1)).toBe(0);
    expect(await limiter.take("s", limit, 2)).toBe(100);
    expect(await limiter.take("s", limit, 3)).toBe(200);
    expect(await limiter.take("s", limit, 4)).toBe(300);
    // A stall: every holder comes back more than a second late. One goes, the others get new turns.
    clock.now += 2_500;
    expect(await limiter.take("s", limit, 2)).toBe(0);
    expect(await limiter.take("s", limit, 3)).toBe(100);
    expect(await limiter.take("s", limit, 4)).toBe(200);
  });

  it("keeps the turn of a holder a little late, even at high rates (no starvation)", async () => {
    const { clock, limiter } = limiterAt(11_000_000);
    const limit = { perSecond: 80, burst: 1 };
    const waits: number[] = [];
    for (let id = 1; id <= 20; id++) waits.push(await limiter.take("s", limit, id));
    // Every holder comes back 60 ms after its turn (several 12.5 ms intervals): each still goes.
    let sent = 0;
    for (let id = 2; id <= 20; id++) {
      clock.now = 11_000_000 + waits[id - 1]! + 60;
      if ((await limiter.take("s", limit, id)) === 0) sent++;
    }
    expect(sent).toBe(19);
  });

  it("holds a ticket back while the sender cools down", async () => {
    const { clock, limiter } = limiterAt(9_000_000);
    expect(await limiter.take("s", { perSecond: 10 }, 1)).toBe(0);
    expect(await limiter.take("s", { perSecond: 10 }, 2)).toBe(100);
    await limiter.coolDown("s", 5_000);
    clock.now += 100;
    expect(await limiter.take("s", { perSecond: 10 }, 2)).toBeGreaterThan(4_000);
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
