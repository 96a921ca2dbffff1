import { describe, expect, it } from "vitest";
import { containsIntent } from "./in-sync.js";
import { whatChanges } from "./checks.js";
import {
  CRONJOB_NAME_MAX_LENGTH,
  cronJobName,
  desiredCronJob,
  intentHashOf,
  type FollowUpControllerConfig,
  type ScheduleIdentity,
} from "./cronjob.js";

const config: FollowUpControllerConfig = {
  image: "registry.example/busca-ativa:1.0.0",
  serviceAccountName: "followup",
  envSecretName: "followup-env",
  queuePrefix: "busca-ativa",
  logLevel: "info",
};
const schedule = (spec: Partial<ScheduleIdentity["spec"]> = {}): ScheduleIdentity => ({
  apiVersion: "buscaativa.io/v1alpha1",
  kind: "FollowUpSchedule",
  metadata: { name: "lembretes", namespace: "hospital", uid: "0b7f5c1e-0000-4000-8000-000000000001" },
  spec: { schedule: "0 9 * * *", timeZone: "America/Fortaleza", suspend: false, ...spec },
});

describe("cronJobName", () => {
  it("is the schedule's own name when it fits", () => {
    expect(cronJobName("lembretes")).toBe("lembretes");
    expect(cronJobName("a".repeat(52))).toBe("a".repeat(52));
  });

  it("cuts longer names to 52 characters with a hash, so two long names never collide", () => {
    const a = cronJobName(`${"a".repeat(50)}-primeiro`);
    const b = cronJobName(`${"a".repeat(50)}-segundo`);
    expect(a.length).toBeLessThanOrEqual(CRONJOB_NAME_MAX_LENGTH);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });
});

describe("desiredCronJob", () => {
  it("runs the follow-up command for this schedule and has a stable intent hash", () => {
    const a = desiredCronJob(schedule(), config);
    const b = desiredCronJob(schedule(), config);
    expect(a.spec?.jobTemplate.spec?.template.spec?.containers[0]?.args).toEqual([
      "followup",
      "run",
      "--schedule",
      "hospital/lembretes",
    ]);
    expect(intentHashOf(a)).toMatch(/^[0-9a-f]{16}$/);
    expect(intentHashOf(a)).toBe(intentHashOf(b));
  });

  it.each<[string, Partial<ScheduleIdentity["spec"]>, Partial<FollowUpControllerConfig>]>([
    ["the cron schedule", { schedule: "0 10 * * *" }, {}],
    ["the time zone", { timeZone: "America/Recife" }, {}],
    ["suspend", { suspend: true }, {}],
    ["the image", {}, { image: "registry.example/busca-ativa:1.0.1" }],
    ["the env Secret", {}, { envSecretName: "other" }],
    ["the log level", {}, { logLevel: "debug" }],
  ])("changes its hash when %s changes", (_what, spec, overrides) => {
    expect(intentHashOf(desiredCronJob(schedule(spec), { ...config, ...overrides }))).not.toBe(
      intentHashOf(desiredCronJob(schedule(), config)),
    );
  });
});

describe("containsIntent", () => {
  const intent = { a: 1, list: ["x", "y"], named: [{ name: "c", image: "i" }], nested: { b: "v" } };
  it.each<[string, unknown, boolean]>([
    ["an equal object", structuredClone(intent), true],
    ["extra defaulted fields", { ...intent, defaulted: true, nested: { b: "v", other: 1 } }, true],
    [
      "an extra named item someone added",
      { ...intent, named: [{ name: "c", image: "i" }, { name: "d" }] },
      true,
    ],
    ["a changed value", { ...intent, a: 2 }, false],
    ["a missing field", { list: intent.list, named: intent.named, nested: intent.nested }, false],
    ["a changed nested value", { ...intent, nested: { b: "w" } }, false],
    ["an extra item in an atomic list", { ...intent, list: ["x", "y", "z"] }, false],
    ["a reordered atomic list", { ...intent, list: ["y", "x"] }, false],
    ["a named item changed", { ...intent, named: [{ name: "c", image: "j" }] }, false],
    ["a named item gone", { ...intent, named: [{ name: "d", image: "i" }] }, false],
    ["not an object", "text", false],
  ])("%s", (_what, live, expected) => {
    expect(containsIntent(intent, live)).toBe(expected);
  });

  it("accepts what the API server returns for the real intent (defaults added)", () => {
    const desired = desiredCronJob(schedule(), config);
    const live = structuredClone(desired) as unknown as Record<string, never>;
    const pod = (live as any).spec.jobTemplate.spec.template.spec; // eslint-disable-line @typescript-eslint/no-explicit-any
    pod.dnsPolicy = "ClusterFirst";
    pod.containers[0].terminationMessagePath = "/dev/termination-log";
    (live as any).metadata.uid = "u"; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(containsIntent(desired, live)).toBe(true);
    expect(whatChanges(desired, live, true)).toBe("none");
  });
});

describe("whatChanges", () => {
  const desired = desiredCronJob(schedule(), config);
  it("creates what is missing, and calls a missing CronJob it made before drift", () => {
    expect(whatChanges(desired, undefined, false)).toBe("created");
    expect(whatChanges(desired, undefined, true)).toBe("drift");
  });
  it("calls a new intent an update and a changed live object drift", () => {
    expect(whatChanges(desiredCronJob(schedule({ suspend: true }), config), desired, true)).toBe("updated");
    const edited = structuredClone(desired);
    edited.spec!.schedule = "*/1 * * * *";
    expect(whatChanges(desired, edited, true)).toBe("drift");
  });
});
