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
    clock.now += 50;
    expect(await limiter.take("s", limit, 2)).toBe(0);
    clock.now += 100;
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

  it("keeps the slot of a holder up to a quarter of an interval late, and gives a later one a new slot", async () => {
    const { clock, limiter } = limiterAt(11_000_000);
    const limit = { perSecond: 4 };
    expect(await limiter.take("s", limit, 1)).toBe(0);
    expect(await limiter.take("s", limit, 2)).toBe(250);
    expect(await limiter.take("s", limit, 3)).toBe(500);
    // 60 ms late (under a quarter of 250): still its slot.
    clock.now = 11_000_000 + 250 + 60;
    expect(await limiter.take("s", limit, 2)).toBe(0);
    // 70 ms late: it gets a new slot (the next free one, 750 ms), not one 180 ms before the next holder's.
    clock.now = 11_000_000 + 500 + 70;
    expect(await limiter.take("s", limit, 3)).toBe(180);
  });

  it("at high rates, tolerates 20 ms of lateness (the path's own jitter), not more", async () => {
    const { clock, limiter } = limiterAt(11_500_000);
    const limit = { perSecond: 80 }; // 12.5 ms slots
    expect(await limiter.take("s", limit, 1)).toBe(0);
    expect(await limiter.take("s", limit, 2)).toBe(13);
    expect(await limiter.take("s", limit, 3)).toBe(25);
    clock.now = 11_500_000 + 12.5 + 19;
    expect(await limiter.take("s", limit, 2)).toBe(0);
    // 21 ms late: a new slot, the next free one (37.5 ms) is past, so now; the one after is 12.5 ms on.
    clock.now = 11_500_000 + 25 + 21;
    expect(await limiter.take("s", limit, 3)).toBe(0);
    expect(await limiter.take("s", limit, 4)).toBe(13);
  });

  it("voids the slots handed out before a cool-down and starts again, one interval apart, after it", async () => {
    const clock = { now: 12_000_000 };
    // No turns handed out for in-process waits (horizon 0, no lead): the cool-down may forget every slot.
    const limiter = new SenderLimiter({
      redis,
      prefix: redisPrefix("rl"),
      now: () => clock.now,
      horizonMs: 0,
      coolDownKeepLeadMs: 0,
    });
    const limit = { perSecond: 10 };
    for (let id = 1; id <= 5; id++) await limiter.take("s", limit, id);
    await limiter.coolDown("s", 300);
    // A real cool-down key expires in real time; the schedule restarts at the fake clock's end of it.
    await new Promise((r) => setTimeout(r, 350));
    clock.now += 300;
    // Holders of slots at +300 and +400 (before the cool-down) get new ones, after each other.
    expect(await limiter.take("s", limit, 4)).toBe(0);
    expect(await limiter.take("s", limit, 5)).toBe(100);
    expect(await limiter.take("s", limit, 3)).toBe(200);
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

/** A limiter whose in-process waits move a fake clock (Redis's and the monotonic one are the same here). */
function waitingLimiterAt(start: number) {
  const clock = { now: start, slept: 0 };
  const limiter = new SenderLimiter({
    redis,
    prefix: redisPrefix("turn"),
    now: () => clock.now,
    monotonic: () => clock.now,
    sleep: async (ms) => {
      clock.now += ms;
      clock.slept += ms;
    },
  });
  return { clock, limiter };
}

describe("SenderLimiter turns: an exact slot, waited for in process", () => {
  it("waits in process for a slot within the horizon and defers a farther one, keeping it", async () => {
    const { clock, limiter } = waitingLimiterAt(20_000_000);
    const limit = { perSecond: 10 };
    const turns = [];
    for (let id = 1; id <= 14; id++) turns.push(await limiter.reserve("s", limit, id));
    // Slots 0, 100, …, 1000 ms away are near (horizon 1 s): no deferral. Farther ones come back 500 ms early.
    expect(turns.map((t) => t.deferMs)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 600, 700, 800]);
    // Each near turn resolves at its own slot, one interval after the one before.
    const sentAt: number[] = [];
    for (const turn of turns.slice(0, 11)) {
      expect(await turn.arrive()).toBe(0);
      sentAt.push(clock.now - 20_000_000);
    }
    expect(sentAt).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    // The first deferred one comes back (its slot is 1100): its slot is kept, waited for in process.
    const back = await limiter.reserve("s", limit, 12);
    expect(back.deferMs).toBe(0);
    expect(await back.arrive()).toBe(0);
    expect(clock.now - 20_000_000).toBe(1_100);
  });

  it("puts the slot after the caller's lead (a typing indicator) and waits only for the rest", async () => {
    const { clock, limiter } = waitingLimiterAt(21_000_000);
    const turn = await limiter.reserve("s", { perSecond: 10 }, 1, { leadMs: 3_000 });
    expect(turn.deferMs).toBe(0);
    clock.now += 3_010; // the typing call took its 3 s and a little
    expect(await turn.arrive()).toBe(0);
    expect(clock.now - 21_000_000).toBe(3_050); // the lead plus its 50 ms margin
  });

  it("gives a caller that missed its slot a new one instead of sending next to the next holder", async () => {
    const { clock, limiter } = waitingLimiterAt(22_000_000);
    const limit = { perSecond: 10 };
    const first = await limiter.reserve("s", limit, 1);
    const second = await limiter.reserve("s", limit, 2);
    const third = await limiter.reserve("s", limit, 3);
    expect(await first.arrive()).toBe(0);
    // The second caller is held up 80 ms past its slot (100): it must not go at 180, 20 ms before the third.
    clock.now = 22_000_000 + 180;
    expect(await second.arrive()).toBe(0);
    // It waited for the next free slot, after the third caller's (200).
    expect(clock.now - 22_000_000).toBe(300);
    expect(third.deferMs).toBe(0);
  });

  it("sends that keep their turns arrive at most rate × window + burst in any sliding window", async () => {
    // Real Redis clock and real timers: 30 callers, each coming back from "delayed" with up to 30 ms of
    // jitter and spending up to 10 ms between its turn and its arrival at the provider.
    const limiter = new SenderLimiter({ redis, prefix: redisPrefix("arrive") });
    const limit = { perSecond: 20, burst: 1 };
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const arrivals: number[] = [];
    let reserves = 0;
    await Promise.all(
      Array.from({ length: 30 }, async (_, id) => {
        for (;;) {
          reserves++;
          const turn = await limiter.reserve("s", limit, id);
          if (turn.deferMs > 0) {
            await sleep(turn.deferMs + Math.random() * 30);
            continue;
          }
          await sleep(Math.random() * 10);
          const missed = await turn.arrive();
          if (missed > 0) {
            await sleep(missed);
            continue;
          }
          arrivals.push(performance.now());
          return;
        }
      }),
    );
    arrivals.sort((a, b) => a - b);
    const busiest = (windowMs: number) => {
      let most = 0;
      for (let i = 0, j = 0; i < arrivals.length; i++) {
        while (j < arrivals.length && arrivals[j]! < arrivals[i]! + windowMs) j++;
        most = Math.max(most, j - i);
      }
      return most;
    };
    expect(arrivals).toHaveLength(30);
    expect(busiest(1_000)).toBeLessThanOrEqual(20 + 1);
    expect(busiest(250)).toBeLessThanOrEqual(5 + 1);
    // Each caller came back about once, not again and again (how fully the rate is used is timing, so the
    // benchmark measures it: bench/worker-throughput.ts).
    expect(reserves).toBeLessThanOrEqual(30 * 3);
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
