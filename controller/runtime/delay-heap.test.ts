import { describe, expect, it } from "vitest";
import { heapPop, heapPush, type DelayedEntry } from "./delay-heap.js";

describe("delay heap", () => {
  it.each([[[5, 1, 4, 1, 3]], [[]], [[7]], [Array.from({ length: 200 }, (_, i) => (i * 7919) % 101)]])(
    "pops %j in ascending order",
    (times) => {
      const heap: DelayedEntry[] = [];
      times.forEach((readyAt, i) => heapPush(heap, { readyAt, key: `k${i}` }));
      const popped: number[] = [];
      for (let e = heapPop(heap); e; e = heapPop(heap)) popped.push(e.readyAt);
      expect(popped).toEqual([...times].sort((a, b) => a - b));
    },
  );
});
