import { describe, expect, it } from "vitest";
import {
  DEFAULT_COLUMN_ALIASES,
  DEFAULT_CONFIRM_KEYWORDS,
  DEFAULT_DECLINE_REASON_OPTIONS,
  DEFAULT_REPLY_TEXTS,
} from "../defaults.js";
import { formatIssues } from "../issues.js";
import { campaignSpecSchema } from "./spec.js";
import type { CampaignSpecInput } from "./spec.js";

const minimal: CampaignSpecInput = {
  audience: { secretKeyRef: { name: "lista", key: "pacientes.csv" } },
  message: { template: "Olá, {nome}! Ainda aguarda {procedimento}?" },
  sender: {
    provider: "evolution",
    credentialsSecretRef: { name: "evolution" },
    instance: "central",
    baseUrl: "https://evolution.hospital.example",
  },
};

function refusal(spec: unknown): string {
  const result = campaignSpecSchema.safeParse(spec);
  if (result.success) throw new Error("the spec was accepted");
  return formatIssues(result.error);
}

const change = (values: object) => structuredClone({ ...minimal, ...values });

describe("Campaign spec defaults", () => {
  const spec = campaignSpecSchema.parse(minimal);

  it("fills the schedule: Fortaleza, 08:00 to 18:00 on weekdays, 50 contacts a day, 3 s typing", () => {
    expect(spec.schedule).toEqual({
      timeZone: "America/Fortaleza",
      window: { start: "08:00", end: "18:00" },
      daysOfWeek: ["Mon", "Tue", "Wed", "Thu", "Fri"],
      dailyQuota: 50,
      jitterPercent: 20,
      durationDays: 0,
      typingWarmup: "3s",
    });
  });

  it("fills validation on in batches of 50, not suspended, and the header aliases", () => {
    expect(spec.validation).toEqual({ enabled: true, batchSize: 50 });
    expect(spec.suspend).toBe(false);
    expect(spec.audience.format).toBe("auto");
    expect(spec.audience.columnMapping).toEqual({
      name: [...DEFAULT_COLUMN_ALIASES.name],
      phone: [...DEFAULT_COLUMN_ALIASES.phone],
      procedure: [...DEFAULT_COLUMN_ALIASES.procedure],
      birthDate: [...DEFAULT_COLUMN_ALIASES.birthDate],
    });
  });

  it("fills the Portuguese reply keywords (keycap emoji included), reasons and texts", () => {
    expect(spec.replies.keywords.confirm).toEqual([...DEFAULT_CONFIRM_KEYWORDS]);
    expect(spec.replies.keywords.confirm).toContain("1️⃣");
    expect(spec.replies.keywords.decline).toContain("NÃO");
    expect(spec.replies.keywords.notMe).toContain("DESCONHEÇO");
    expect(spec.replies.keywords.optOut).toEqual(expect.arrayContaining(["SAIR", "PARAR", "CANCELAR"]));
    expect(spec.replies.declineReason.options.map((o) => o.code)).toEqual(
      DEFAULT_DECLINE_REASON_OPTIONS.map((o) => o.code),
    );
    expect(spec.replies.declineReason.timeout).toBe("48h");
    expect(spec.replies.texts).toEqual(DEFAULT_REPLY_TEXTS);
  });

  it("gives every parse its own copy of the defaults", () => {
    const first = campaignSpecSchema.parse(minimal);
    first.replies.keywords.confirm.push("TALVEZ");
    first.schedule.daysOfWeek.push("Sat");
    const second = campaignSpecSchema.parse(minimal);
    expect(second.replies.keywords.confirm).not.toContain("TALVEZ");
    expect(second.schedule.daysOfWeek).not.toContain("Sat");
  });

  it("keeps what the user wrote over the defaults", () => {
    const spec = campaignSpecSchema.parse(
      change({ schedule: { window: { start: "20:00", end: "06:00" }, dailyQuota: 200, interval: "90s" } }),
    );
    expect(spec.schedule.window).toEqual({ start: "20:00", end: "06:00" });
    expect(spec.schedule.dailyQuota).toBe(200);
    expect(spec.schedule.interval).toBe("90s");
    expect(spec.schedule.timeZone).toBe("America/Fortaleza");
  });
});

describe("Campaign spec rules", () => {
  it.each([
    [
      "a window time without a leading zero",
      { schedule: { window: { start: "8:00" } } },
      "schedule.window.start",
    ],
    [
      "a window of zero length",
      { schedule: { window: { start: "10:00", end: "10:00" } } },
      "schedule.window.end",
    ],
    ["a quota above 10000", { schedule: { dailyQuota: 10_001 } }, "schedule.dailyQuota"],
    ["an interval of 4 s", { schedule: { interval: "4s" } }, "schedule.interval"],
    ["days twice", { schedule: { daysOfWeek: ["Mon", "Mon"] } }, "schedule.daysOfWeek[1]"],
    ["a template of blanks", { message: { template: "   " } }, "message.template"],
    ["an unclosed placeholder", { message: { template: "Olá {nome" } }, "message.template"],
    ["a variant with {}", { message: { template: "Olá", variants: ["Oi {}"] } }, "message.variants[0]"],
    [
      "two list sources",
      { audience: { secretKeyRef: { name: "a", key: "b" }, listRef: { name: "c" } } },
      "audience",
    ],
    [
      "a keyword in two answers",
      { replies: { keywords: { confirm: ["1"], notMe: ["1"] } } },
      "replies.keywords",
    ],
  ])("refuses %s, naming the field", (_what, values, field) => {
    expect(refusal(change(values))).toContain(`${field}:`);
  });

  it("requires a phone-number id and a Meta template for meta-cloud", () => {
    const message = refusal(
      change({ sender: { provider: "meta-cloud", credentialsSecretRef: { name: "meta" } } }),
    );
    expect(message).toContain("sender.phoneNumberId: phoneNumberId is required");
    expect(message).toContain("message.metaTemplate: message.metaTemplate is required");
  });

  it("counts an emoji as one character, as the API server does", () => {
    const emoji = "😀".repeat(64);
    expect(
      campaignSpecSchema.safeParse(change({ replies: { keywords: { confirm: [emoji] } } })).success,
    ).toBe(true);
    expect(
      campaignSpecSchema.safeParse(change({ replies: { keywords: { confirm: [`${emoji}!`] } } })).success,
    ).toBe(false);
  });

  it("accepts a window across midnight", () => {
    expect(
      campaignSpecSchema.safeParse(change({ schedule: { window: { start: "22:00", end: "02:00" } } }))
        .success,
    ).toBe(true);
  });
});
