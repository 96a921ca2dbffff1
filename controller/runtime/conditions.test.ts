import { describe, expect, it } from "vitest";
import {
  findCondition,
  formatConditionTime,
  isConditionTrue,
  removeCondition,
  setCondition,
  statusEqual,
  type Condition,
  type ConditionInput,
} from "./conditions.js";

const T0 = "2026-03-01T10:00:00Z";
const NOW = Date.parse("2026-03-01T12:34:56.789Z");
const NOW_TEXT = "2026-03-01T12:34:56Z";

const ready = (overrides: Partial<Condition> = {}): Condition => ({
  type: "Ready",
  status: "True",
  reason: "Sending",
  message: "sending",
  observedGeneration: 1,
  lastTransitionTime: T0,
  ...overrides,
});

describe("setCondition", () => {
  const cases: Array<{
    name: string;
    before: Condition[] | undefined;
    input: ConditionInput;
    after: Condition[];
  }> = [
    {
      name: "adds a new condition stamped with now",
      before: undefined,
      input: { type: "Ready", status: "False", reason: "Validating", observedGeneration: 2 },
      after: [
        {
          type: "Ready",
          status: "False",
          reason: "Validating",
          message: "",
          observedGeneration: 2,
          lastTransitionTime: NOW_TEXT,
        },
      ],
    },
    {
      name: "keeps lastTransitionTime when only reason and message change",
      before: [ready()],
      input: {
        type: "Ready",
        status: "True",
        reason: "QuotaReached",
        message: "daily quota used",
        observedGeneration: 3,
      },
      after: [ready({ reason: "QuotaReached", message: "daily quota used", observedGeneration: 3 })],
    },
    {
      name: "moves lastTransitionTime when the status changes",
      before: [ready()],
      input: {
        type: "Ready",
        status: "False",
        reason: "Paused",
        message: "suspended",
        observedGeneration: 1,
      },
      after: [
        ready({ status: "False", reason: "Paused", message: "suspended", lastTransitionTime: NOW_TEXT }),
      ],
    },
    {
      name: "moves lastTransitionTime from Unknown to True",
      before: [ready({ status: "Unknown" })],
      input: { type: "Ready", status: "True", reason: "Sending", message: "sending", observedGeneration: 1 },
      after: [ready({ lastTransitionTime: NOW_TEXT })],
    },
    {
      name: "uses the given lastTransitionTime for a change",
      before: [],
      input: {
        type: "Ready",
        status: "True",
        reason: "Sending",
        message: "sending",
        observedGeneration: 1,
        lastTransitionTime: T0,
      },
      after: [ready()],
    },
    {
      name: "leaves other conditions and their order alone",
      before: [ready({ type: "Validated" }), ready(), ready({ type: "Completed", status: "False" })],
      input: { type: "Ready", status: "False", reason: "Paused", message: "", observedGeneration: 1 },
      after: [
        ready({ type: "Validated" }),
        ready({ status: "False", reason: "Paused", message: "", lastTransitionTime: NOW_TEXT }),
        ready({ type: "Completed", status: "False" }),
      ],
    },
    {
      name: "drops observedGeneration when the input has none (like meta.SetStatusCondition)",
      before: [ready()],
      input: { type: "Ready", status: "True", reason: "Sending", message: "sending" },
      after: [
        { type: "Ready", status: "True", reason: "Sending", message: "sending", lastTransitionTime: T0 },
      ],
    },
  ];

  it.each(cases)("$name", ({ before, input, after }) => {
    const snapshot = JSON.stringify(before);
    expect(setCondition(before, input, NOW)).toEqual(after);
    expect(JSON.stringify(before)).toBe(snapshot);
  });

  it("produces a status equal to the previous one when nothing changed", () => {
    const before = [ready()];
    const after = setCondition(
      before,
      { type: "Ready", status: "True", reason: "Sending", message: "sending", observedGeneration: 1 },
      NOW + 60_000,
    );
    expect(statusEqual({ conditions: before }, { conditions: after })).toBe(true);
  });
});

describe("findCondition, isConditionTrue, removeCondition", () => {
  const list = [ready(), ready({ type: "Paused", status: "False" })];
  it.each([
    { type: "Ready", found: true, isTrue: true },
    { type: "Paused", found: true, isTrue: false },
    { type: "Missing", found: false, isTrue: false },
  ])("$type", ({ type, found, isTrue }) => {
    expect(findCondition(list, type) !== undefined).toBe(found);
    expect(isConditionTrue(list, type)).toBe(isTrue);
    expect(removeCondition(list, type).some((c) => c.type === type)).toBe(false);
  });
  it("handles a missing list", () => {
    expect(findCondition(undefined, "Ready")).toBeUndefined();
    expect(removeCondition(undefined, "Ready")).toEqual([]);
  });
});

describe("formatConditionTime", () => {
  it.each([
    { input: NOW, out: NOW_TEXT },
    { input: new Date("2026-12-31T23:59:59.999Z"), out: "2026-12-31T23:59:59Z" },
  ])("formats $out", ({ input, out }) => {
    expect(formatConditionTime(input)).toBe(out);
  });
});

describe("statusEqual", () => {
  it.each([
    { a: { x: 1, y: "a" }, b: { y: "a", x: 1 }, equal: true, why: "key order does not matter" },
    { a: { x: 1, y: undefined }, b: { x: 1 }, equal: true, why: "undefined counts as absent" },
    { a: { x: [1, 2] }, b: { x: [2, 1] }, equal: false, why: "array order matters" },
    { a: { x: { y: { z: 1 } } }, b: { x: { y: { z: 2 } } }, equal: false, why: "nested difference" },
    { a: { x: null }, b: { x: undefined }, equal: false, why: "null is a value" },
    { a: { x: null }, b: {}, equal: false, why: "null is not absent" },
    { a: [], b: {}, equal: false, why: "array is not object" },
    { a: 1, b: "1", equal: false, why: "no type coercion" },
    { a: undefined, b: undefined, equal: true, why: "both absent" },
    { a: { n: 0 }, b: { n: -0 }, equal: true, why: "zero is zero" },
    { a: { d: new Date(5) }, b: { d: new Date(5) }, equal: true, why: "same dates" },
    {
      a: { c: [ready()] },
      b: { c: [ready({ message: "other" })] },
      equal: false,
      why: "condition message change",
    },
    { a: { c: [ready()] }, b: { c: [ready()] }, equal: true, why: "same conditions" },
  ])("$why → $equal", ({ a, b, equal }) => {
    expect(statusEqual(a, b)).toBe(equal);
    expect(statusEqual(b, a)).toBe(equal);
  });
});
