import { describe, expect, it } from "vitest";
import { DEFAULT_FOLLOW_UP_STEPS, campaignSpecSchema, type FollowUpStep } from "../../crds/index.js";
import { parseScheduleRef } from "./kube.js";
import {
  campaignGate,
  campaignWindow,
  planSteps,
  reminderNotBefore,
  renderReminder,
  type CampaignFacts,
} from "./plan.js";

const spec = campaignSpecSchema.parse({
  audience: { secretKeyRef: { name: "lista", key: "pacientes.csv" } },
  message: { template: "Olá, {nome}!" },
  sender: {
    provider: "sandbox",
    credentialsSecretRef: { name: "cred" },
    instance: "central",
    baseUrl: "http://sandbox:8080",
  },
});
const active = { state: "active" as const, suspended: false, sendBlockedReason: null };
const facts = (overrides: Partial<CampaignFacts> = {}): CampaignFacts => ({
  row: active,
  spec,
  deleting: false,
  ...overrides,
});
const defaultSteps: FollowUpStep[] = DEFAULT_FOLLOW_UP_STEPS.map((s) => ({ ...s }));
const withTemplates = [{ metaTemplate: { name: "t", language: "pt_BR", bodyParameters: [] } }];

describe("campaignGate", () => {
  it.each<[string, CampaignFacts, CampaignFacts["spec"]["sender"]["provider"] | undefined, string]>([
    ["an active campaign", facts(), undefined, "follow-up"],
    ["no campaigns row", facts({ row: undefined }), undefined, "not-recorded"],
    ["a cancelled campaign", facts({ row: { ...active, state: "cancelled" } }), undefined, "not-active"],
    ["a completed campaign", facts({ row: { ...active, state: "completed" } }), undefined, "not-active"],
    ["a campaign being deleted", facts({ deleting: true }), undefined, "not-active"],
    [
      "a row suspended by the controller",
      facts({ row: { ...active, suspended: true } }),
      undefined,
      "suspended",
    ],
    ["spec.suspend", facts({ spec: { ...spec, suspend: true } }), undefined, "suspended"],
    [
      "a blocked sender",
      facts({ row: { ...active, sendBlockedReason: "stop_sending:banned" } }),
      undefined,
      "send-blocked",
    ],
    [
      "an unknown time zone",
      facts({ spec: { ...spec, schedule: { ...spec.schedule, timeZone: "America/Atlantis" } } }),
      undefined,
      "invalid-time-zone",
    ],
    ["meta-cloud with steps lacking a template", facts(), "meta-cloud", "missing-meta-template"],
  ])("%s", (_what, input, provider, expected) => {
    const f = provider
      ? { ...input, spec: { ...input.spec, sender: { ...input.spec.sender, provider } } }
      : input;
    expect(campaignGate(f, defaultSteps, true)).toBe(expected);
  });

  it("lets meta-cloud campaigns through when every step has a template", () => {
    const meta = { ...spec, sender: { ...spec.sender, provider: "meta-cloud" as const } };
    expect(campaignGate(facts({ spec: meta }), withTemplates, true)).toBe("follow-up");
  });

  it("ignores the time zone when the schedule does not respect windows", () => {
    const odd = { ...spec, schedule: { ...spec.schedule, timeZone: "America/Atlantis" } };
    expect(campaignGate(facts({ spec: odd }), defaultSteps, false)).toBe("follow-up");
  });
});

describe("reminderNotBefore", () => {
  const window = campaignWindow({
    ...spec.schedule,
    window: { start: "22:00", end: "02:00" },
    daysOfWeek: ["Fri"],
  });

  it.each([
    ["inside the window: now", "2026-03-07T02:30:00Z", "2026-03-07T02:30:00Z"],
    [
      "inside after midnight (the Friday window runs into Saturday): now",
      "2026-03-07T04:30:00Z",
      "2026-03-07T04:30:00Z",
    ],
    ["before the window: when it opens", "2026-03-06T15:00:00Z", "2026-03-07T01:00:00Z"],
    ["after it closed: the next allowed day's opening", "2026-03-07T06:00:00Z", "2026-03-14T01:00:00Z"],
  ])("%s", (_what, now, expected) => {
    expect(reminderNotBefore(new Date(now), window).toISOString()).toBe(new Date(expected).toISOString());
  });

  it("is now when windows are not respected", () => {
    const now = new Date("2026-03-07T06:00:00Z");
    expect(reminderNotBefore(now, undefined)).toEqual(now);
  });

  it("maps day names to ISO weekdays", () => {
    expect(campaignWindow({ ...spec.schedule, daysOfWeek: ["Mon", "Sun"] }).daysOfWeek).toEqual([1, 7]);
  });
});

describe("planSteps and renderReminder", () => {
  it("numbers steps from 1 and counts each delay from the first message", () => {
    const now = new Date("2026-03-10T12:00:00Z");
    expect(
      planSteps(
        DEFAULT_FOLLOW_UP_STEPS.map((s) => ({ ...s })),
        now,
      ).map((s) => [s.step, s.final, s.firstContactedBy.toISOString()]),
    ).toEqual([
      [1, false, "2026-03-09T12:00:00.000Z"],
      [2, false, "2026-03-07T12:00:00.000Z"],
      [3, true, "2026-03-06T12:00:00.000Z"],
    ]);
  });

  it("scales the delays for demos", () => {
    const now = new Date("2026-03-10T12:00:00Z");
    const steps = planSteps(
      DEFAULT_FOLLOW_UP_STEPS.map((s) => ({ ...s })),
      now,
      0.001,
    );
    expect(steps.map((s) => now.getTime() - s.firstContactedBy.getTime())).toEqual([
      86_400, 259_200, 345_600,
    ]);
  });

  it("fills the contact's values, with the procedure fallback and list columns", () => {
    const reminder = renderReminder(
      { template: "{nome}: {procedimento} em {Unidade}" },
      { name: "Rita", procedure: null, fields: { unidade: "HUWC" } },
    );
    expect(reminder).toEqual({ body: "Rita: o procedimento em HUWC", template: null });
  });
});

describe("parseScheduleRef", () => {
  it("reads namespace/name", () => {
    expect(parseScheduleRef("hospital/lembretes")).toEqual({ namespace: "hospital", name: "lembretes" });
  });
  it.each(["lembretes", "a/b/c", "/x", "Hospital/x", ""])("refuses %j", (text) => {
    expect(() => parseScheduleRef(text)).toThrow(/namespace\/name/);
  });
});
