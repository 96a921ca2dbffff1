import { describe, expect, it } from "vitest";
import {
  campaignsCoveredBy,
  matchesLabelSelector,
  scheduleCoversCampaign,
  type CampaignLike,
  type LabelSelector,
  type ScheduleLike,
} from "./selection.js";

const labels = { fila: "cirurgica", hospital: "huwc" };

describe("matchesLabelSelector", () => {
  it.each<[string, LabelSelector, boolean]>([
    ["an empty selector matches everything", {}, true],
    ["matchLabels all present", { matchLabels: { fila: "cirurgica", hospital: "huwc" } }, true],
    ["matchLabels with a different value", { matchLabels: { fila: "consulta" } }, false],
    ["matchLabels with a missing key", { matchLabels: { ala: "b" } }, false],
    [
      "In with the value listed",
      { matchExpressions: [{ key: "fila", operator: "In", values: ["x", "cirurgica"] }] },
      true,
    ],
    [
      "In with the value not listed",
      { matchExpressions: [{ key: "fila", operator: "In", values: ["x"] }] },
      false,
    ],
    ["In with the key missing", { matchExpressions: [{ key: "ala", operator: "In", values: ["x"] }] }, false],
    [
      "NotIn with the value listed",
      { matchExpressions: [{ key: "fila", operator: "NotIn", values: ["cirurgica"] }] },
      false,
    ],
    [
      "NotIn with the key missing",
      { matchExpressions: [{ key: "ala", operator: "NotIn", values: ["x"] }] },
      true,
    ],
    ["Exists with the key present", { matchExpressions: [{ key: "hospital", operator: "Exists" }] }, true],
    ["Exists with the key missing", { matchExpressions: [{ key: "ala", operator: "Exists" }] }, false],
    [
      "DoesNotExist with the key present",
      { matchExpressions: [{ key: "hospital", operator: "DoesNotExist" }] },
      false,
    ],
    [
      "DoesNotExist with the key missing",
      { matchExpressions: [{ key: "ala", operator: "DoesNotExist" }] },
      true,
    ],
    [
      "labels and expressions must all hold",
      {
        matchLabels: { fila: "cirurgica" },
        matchExpressions: [{ key: "hospital", operator: "In", values: ["hgf"] }],
      },
      false,
    ],
  ])("%s", (_what, selector, expected) => {
    expect(matchesLabelSelector(labels, selector)).toBe(expected);
  });

  it("treats missing labels as no labels", () => {
    expect(matchesLabelSelector(undefined, {})).toBe(true);
    expect(matchesLabelSelector(undefined, { matchLabels: { a: "b" } })).toBe(false);
  });
});

const campaign = (
  name: string,
  options: { labels?: Record<string, string>; ref?: string } = {},
): CampaignLike => ({
  metadata: { name, labels: options.labels ?? {} },
  spec: options.ref ? { followUpScheduleRef: { name: options.ref } } : {},
});
const schedule = (name: string, campaigns?: ScheduleLike["spec"]["campaigns"]): ScheduleLike => ({
  metadata: { name },
  spec: campaigns ? { campaigns } : {},
});

describe("scheduleCoversCampaign", () => {
  it("covers a campaign that names the schedule, with or without a selection", () => {
    expect(scheduleCoversCampaign(schedule("lembretes"), campaign("a", { ref: "lembretes" }))).toBe(true);
    expect(
      scheduleCoversCampaign(schedule("lembretes", { names: ["b"] }), campaign("a", { ref: "lembretes" })),
    ).toBe(true);
  });

  it("never takes a campaign that names another schedule, even when its selector matches", () => {
    const bySelector = schedule("geral", { selector: { matchLabels: { fila: "cirurgica" } } });
    expect(scheduleCoversCampaign(bySelector, campaign("a", { labels, ref: "outra" }))).toBe(false);
    expect(scheduleCoversCampaign(schedule("geral", { names: ["a"] }), campaign("a", { ref: "outra" }))).toBe(
      false,
    );
  });

  it("covers campaigns without a reference by names or by selector", () => {
    expect(scheduleCoversCampaign(schedule("s", { names: ["a", "b"] }), campaign("b"))).toBe(true);
    expect(scheduleCoversCampaign(schedule("s", { names: ["a"] }), campaign("b"))).toBe(false);
    const bySelector = schedule("s", { selector: { matchLabels: { fila: "cirurgica" } } });
    expect(scheduleCoversCampaign(bySelector, campaign("c", { labels }))).toBe(true);
    expect(scheduleCoversCampaign(bySelector, campaign("d", { labels: { fila: "exame" } }))).toBe(false);
  });

  it("covers nothing without a reference or a selection", () => {
    expect(scheduleCoversCampaign(schedule("s"), campaign("a", { labels }))).toBe(false);
  });

  it("keeps the given order when filtering", () => {
    const list = [campaign("c"), campaign("a"), campaign("b")];
    expect(
      campaignsCoveredBy(schedule("s", { names: ["a", "c"] }), list).map((c) => c.metadata.name),
    ).toEqual(["c", "a"]);
  });
});
