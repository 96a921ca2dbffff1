import { describe, expect, it } from "vitest";
import { Batcher } from "./batcher.js";

/** A batch function that records its batches and answers when told to. */
function recorder() {
  const batches: number[][] = [];
  const pending: (() => void)[] = [];
  const run = (requests: readonly number[]) =>
    new Promise<string[]>((resolve) => {
      batches.push([...requests]);
      pending.push(() => resolve(requests.map((r) => `r${r}`)));
    });
  /** Answers every batch, including those that start meanwhile, until none is left. */
  const releaseAll = async () => {
    await new Promise((r) => setImmediate(r));
    while (pending.length > 0) {
      pending.shift()!();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { batches, run, releaseAll };
}

describe("Batcher", () => {
  it("sends requests of one tick together and gives each its own result", async () => {
    const r = recorder();
    const batcher = new Batcher({ run: r.run, keyOf: (n: number) => n });
    const results = Promise.all([1, 2, 3].map((n) => batcher.load(n)));
    await r.releaseAll();
    expect(await results).toEqual(["r1", "r2", "r3"]);
    expect(r.batches).toEqual([[1, 2, 3]]);
  });

  it("queues requests while maxInFlight batches run and sends them in one batch afterwards", async () => {
    const r = recorder();
    const batcher = new Batcher({ run: r.run, keyOf: (n: number) => n, maxInFlight: 1 });
    const first = batcher.load(1);
    await new Promise((res) => setImmediate(res));
    const later = [2, 3, 4].map((n) => batcher.load(n));
    await new Promise((res) => setImmediate(res));
    expect(r.batches).toEqual([[1]]);
    await r.releaseAll();
    expect(await Promise.all([first, ...later])).toEqual(["r1", "r2", "r3", "r4"]);
    expect(r.batches).toEqual([[1], [2, 3, 4]]);
  });

  it("never puts two requests with the same key in one batch, and caps the batch size", async () => {
    const r = recorder();
    const batcher = new Batcher({ run: r.run, keyOf: (n: number) => n, maxBatch: 2, maxInFlight: 1 });
    const all = Promise.all([7, 7, 8, 9].map((n) => batcher.load(n)));
    await r.releaseAll();
    await all;
    expect(r.batches).toEqual([
      [7, 8],
      [7, 9],
    ]);
  });

  it("runs a batch again when its failure is retryable; otherwise each request alone, so only the bad one fails", async () => {
    let runs = 0;
    const flaky = new Batcher({
      keyOf: (n: number) => n,
      retryable: (err) => (err as { code?: string }).code === "40P01",
      run: async (requests: readonly number[]) => {
        runs++;
        if (runs === 1) throw Object.assign(new Error("deadlock detected"), { code: "40P01" });
        return requests.map((n) => n * 10);
      },
    });
    expect(await Promise.all([flaky.load(1), flaky.load(2)])).toEqual([10, 20]);
    expect(runs).toBe(2);

    const poisoned = new Batcher({
      keyOf: (n: number) => n,
      run: async (requests: readonly number[]) => {
        if (requests.includes(13)) throw new Error("row 13 breaks a constraint");
        return requests.map((n) => n * 10);
      },
    });
    const mixed = await Promise.allSettled([poisoned.load(12), poisoned.load(13), poisoned.load(14)]);
    expect(mixed.map((o) => (o.status === "fulfilled" ? o.value : "rejected"))).toEqual([
      120,
      "rejected",
      140,
    ]);

    const broken = new Batcher({
      keyOf: (n: number) => n,
      run: async (): Promise<number[]> => {
        throw new Error("connection lost");
      },
    });
    const outcomes = await Promise.allSettled([broken.load(1), broken.load(2)]);
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected"]);
  });
});
