/**
 * Bad input is refused by the real API server with a message that names the field and the rule, and
 * the runtime parse (zod) refuses the same objects, so the controller never holds an object the API
 * server would not have accepted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { campaignSchema } from "../../crds/campaign/resource.js";
import { followUpScheduleSchema } from "../../crds/followupschedule/resource.js";
import { DEFAULT_FOLLOW_UP_STEPS } from "../../crds/defaults.js";
import { installCrds } from "../../crds/install.js";
import { adminKubeConfig, freshNamespace, uniqueSuffix } from "../harness/fixtures.js";
import type { Disposable } from "../harness/fixtures.js";
import {
  createCustomObject,
  minimalCampaign,
  minimalFollowUpSchedule,
  refusal,
  replaceCustomObject,
  withValues,
} from "./objects.js";
import type { Manifest } from "./objects.js";

interface InvalidCase {
  name: string;
  manifest: Manifest;
  /** The field the message must name. */
  field: string;
  /** Words of the rule the message must contain. */
  rule: string | RegExp;
  /** Only the API server can refuse it (unknown fields: the runtime parse drops them, as pruning does). */
  apiServerOnly?: boolean;
}

const campaign = (values: Record<string, unknown>) => withValues(minimalCampaign("invalida"), values);
const schedule = (values: Record<string, unknown>) => withValues(minimalFollowUpSchedule("invalido"), values);
const steps = (...delays: [string, boolean][]) =>
  delays.map(([afterFirstMessage, final], i) => ({
    name: `passo-${i + 1}`,
    afterFirstMessage,
    final,
    template: "Olá, {nome}! Ainda aguardamos sua resposta.",
  }));

const CASES: InvalidCase[] = [
  // Schedule: window, quota, interval, pace.
  {
    name: "window start not HH:MM",
    manifest: campaign({ "spec.schedule.window.start": "8:00" }),
    field: "spec.schedule.window.start",
    rule: "HH:MM",
  },
  {
    name: "window end past 23:59",
    manifest: campaign({ "spec.schedule.window.end": "24:00" }),
    field: "spec.schedule.window.end",
    rule: "HH:MM",
  },
  {
    name: "window start equal to end",
    manifest: campaign({ "spec.schedule.window": { start: "09:00", end: "09:00" } }),
    field: "spec.schedule.window.end",
    rule: "start and end must differ",
  },
  {
    name: "daily quota 0",
    manifest: campaign({ "spec.schedule.dailyQuota": 0 }),
    field: "spec.schedule.dailyQuota",
    rule: "greater than or equal to 1",
  },
  {
    name: "daily quota over 10000",
    manifest: campaign({ "spec.schedule.dailyQuota": 10_001 }),
    field: "spec.schedule.dailyQuota",
    rule: "less than or equal to 10000",
  },
  {
    name: "interval under 5 s",
    manifest: campaign({ "spec.schedule.interval": "3s" }),
    field: "spec.schedule.interval",
    rule: "from 5s to 24h",
  },
  {
    name: "interval in words",
    manifest: campaign({ "spec.schedule.interval": "5 minutos" }),
    field: "spec.schedule.interval",
    rule: "must be a duration",
  },
  {
    name: "jitter over 50%",
    manifest: campaign({ "spec.schedule.jitterPercent": 80 }),
    field: "spec.schedule.jitterPercent",
    rule: "less than or equal to 50",
  },
  {
    name: "typing warm-up over 30 s",
    manifest: campaign({ "spec.schedule.typingWarmup": "2m" }),
    field: "spec.schedule.typingWarmup",
    rule: "from 0s to 30s",
  },
  {
    name: "time zone not IANA-shaped",
    manifest: campaign({ "spec.schedule.timeZone": "horário de Fortaleza" }),
    field: "spec.schedule.timeZone",
    rule: "IANA time-zone name",
  },
  {
    name: "unknown day of the week",
    manifest: campaign({ "spec.schedule.daysOfWeek": ["Segunda"] }),
    field: "spec.schedule.daysOfWeek[0]",
    rule: /Unsupported value: "Segunda"/,
  },
  {
    name: "day of the week twice",
    manifest: campaign({ "spec.schedule.daysOfWeek": ["Mon", "Mon"] }),
    field: "spec.schedule.daysOfWeek[1]",
    rule: "Duplicate value",
  },
  {
    name: "start time not a date",
    manifest: campaign({ "spec.schedule.startTime": "amanhã às 8h" }),
    field: "spec.schedule.startTime",
    rule: /date-time|RFC 3339/,
  },
  {
    name: "duration of days negative",
    manifest: campaign({ "spec.schedule.durationDays": -1 }),
    field: "spec.schedule.durationDays",
    rule: "greater than or equal to 0",
  },
  // Sender.
  {
    name: "unknown provider",
    manifest: campaign({ "spec.sender.provider": "twilio" }),
    field: "spec.sender.provider",
    rule: /Unsupported value: "twilio"/,
  },
  {
    name: "evolution without instance",
    manifest: campaign({ "spec.sender.provider": "evolution", "spec.sender.instance": undefined }),
    field: "spec.sender.instance",
    rule: "instance is required",
  },
  {
    name: "evolution without base URL",
    manifest: campaign({ "spec.sender.provider": "evolution", "spec.sender.baseUrl": undefined }),
    field: "spec.sender.baseUrl",
    rule: "baseUrl is required",
  },
  {
    name: "base URL not http(s)",
    manifest: campaign({ "spec.sender.baseUrl": "ftp://evolution.hospital" }),
    field: "spec.sender.baseUrl",
    rule: "should match",
  },
  {
    name: "meta-cloud without phone-number id",
    manifest: campaign({
      "spec.sender.provider": "meta-cloud",
      "spec.message.metaTemplate": { name: "busca_ativa" },
    }),
    field: "spec.sender.phoneNumberId",
    rule: "phoneNumberId is required",
  },
  {
    name: "meta-cloud without an approved template",
    manifest: campaign({ "spec.sender.provider": "meta-cloud", "spec.sender.phoneNumberId": "1234567890" }),
    field: "spec.message.metaTemplate",
    rule: "metaTemplate is required",
  },
  {
    name: "evolution with Meta's signature auth",
    manifest: campaign({
      "spec.sender.provider": "evolution",
      "spec.sender.webhook": { authentication: "signature" },
    }),
    field: "spec.sender.webhook.authentication",
    rule: "token or jwt for evolution",
  },
  {
    name: "no credentials Secret",
    manifest: campaign({ "spec.sender.credentialsSecretRef": undefined }),
    field: "spec.sender.credentialsSecretRef",
    rule: "Required value",
  },
  // Message.
  {
    name: "empty template",
    manifest: campaign({ "spec.message.template": "" }),
    field: "spec.message.template",
    rule: /at least 1 chars long|must not be empty/,
  },
  {
    name: "template of spaces only",
    manifest: campaign({ "spec.message.template": "  \n  " }),
    field: "spec.message.template",
    rule: "must not be empty",
  },
  {
    name: "template with an unclosed placeholder",
    manifest: campaign({ "spec.message.template": "Olá {nome, tudo bem?" }),
    field: "spec.message.template",
    rule: "close every placeholder",
  },
  {
    name: "template with an empty placeholder",
    manifest: campaign({ "spec.message.template": "Olá {}!" }),
    field: "spec.message.template",
    rule: "empty placeholder",
  },
  {
    name: "no message",
    manifest: campaign({ "spec.message": undefined }),
    field: "spec.message",
    rule: "Required value",
  },
  {
    name: "template longer than WhatsApp allows",
    manifest: campaign({ "spec.message.template": "a".repeat(4097) }),
    field: "spec.message.template",
    rule: "4096",
  },
  // Audience.
  {
    name: "two list sources",
    manifest: campaign({ "spec.audience.listRef": { name: "fila-cirurgica" } }),
    field: "spec.audience",
    rule: "exactly one of secretKeyRef, configMapKeyRef or listRef",
  },
  {
    name: "no list source",
    manifest: campaign({ "spec.audience.secretKeyRef": undefined }),
    field: "spec.audience",
    rule: "exactly one of secretKeyRef, configMapKeyRef or listRef",
  },
  {
    name: "file format with an imported list",
    manifest: campaign({ "spec.audience": { listRef: { name: "fila" }, format: "csv" } }),
    field: "spec.audience.format",
    rule: "leave it out (auto) with listRef",
  },
  {
    name: "unknown file format",
    manifest: campaign({ "spec.audience.format": "ods" }),
    field: "spec.audience.format",
    rule: /Unsupported value: "ods"/,
  },
  {
    name: "Secret name not a Kubernetes name",
    manifest: campaign({ "spec.audience.secretKeyRef.name": "Lista Pacientes" }),
    field: "spec.audience.secretKeyRef.name",
    rule: "should match",
  },
  // Replies and validation.
  {
    name: "keyword meaning SIM and NÃO",
    manifest: campaign({
      "spec.replies.keywords": { confirm: ["SIM", "TALVEZ"], decline: ["NÃO", "TALVEZ"] },
    }),
    field: "spec.replies.keywords",
    rule: "only one of confirm, decline, notMe and optOut",
  },
  {
    name: "empty keyword list",
    manifest: campaign({ "spec.replies.keywords.optOut": [] }),
    field: "spec.replies.keywords.optOut",
    rule: "at least 1 items",
  },
  {
    name: "one keyword for two decline reasons",
    manifest: campaign({
      "spec.replies.declineReason.options": [
        { code: "a", label: "A", keywords: ["1"] },
        { code: "b", label: "B", keywords: ["1"] },
      ],
    }),
    field: "spec.replies.declineReason.options",
    rule: "only one decline reason",
  },
  {
    name: "decline-reason timeout under 1 h",
    manifest: campaign({ "spec.replies.declineReason.timeout": "10m" }),
    field: "spec.replies.declineReason.timeout",
    rule: "from 1h to 720h",
  },
  {
    name: "validation batch size 0",
    manifest: campaign({ "spec.validation.batchSize": 0 }),
    field: "spec.validation.batchSize",
    rule: "greater than or equal to 1",
  },
  // Unknown fields and names.
  {
    name: "unknown spec field",
    manifest: campaign({ "spec.metaDiaria": 50 }),
    field: "spec.metaDiaria",
    rule: "unknown field",
    apiServerOnly: true,
  },
  {
    name: "unknown nested field",
    manifest: campaign({ "spec.schedule.quota": 50 }),
    field: "spec.schedule.quota",
    rule: "unknown field",
    apiServerOnly: true,
  },
  {
    name: "campaign name over 63 characters",
    manifest: withValues(minimalCampaign("c".repeat(64)), {}),
    field: "metadata.name",
    rule: "metadata.name of a Campaign may be at most 63 characters",
  },
  // FollowUpSchedule.
  {
    name: "cron with four fields",
    manifest: schedule({ "spec.schedule": "0 9 * *" }),
    field: "spec.schedule",
    rule: "5 fields",
  },
  {
    name: "cron minute 61",
    manifest: schedule({ "spec.schedule": "61 9 * * *" }),
    field: "spec.schedule",
    rule: "5 fields",
  },
  {
    name: "cron with TZ= prefix",
    manifest: schedule({ "spec.schedule": "TZ=UTC 0 9 * * *" }),
    field: "spec.schedule",
    rule: "not with TZ=",
  },
  {
    name: "step delays not increasing",
    manifest: schedule({ "spec.steps": steps(["24h", false], ["24h", false], ["96h", true]) }),
    field: "spec.steps",
    rule: "strictly increasing",
  },
  {
    name: "step delays decreasing",
    manifest: schedule({ "spec.steps": steps(["72h", false], ["24h", true]) }),
    field: "spec.steps",
    rule: "strictly increasing",
  },
  {
    name: "two final steps",
    manifest: schedule({ "spec.steps": steps(["24h", true], ["96h", true]) }),
    field: "spec.steps",
    rule: "only one step may be final",
  },
  {
    name: "last step not final",
    manifest: schedule({ "spec.steps": steps(["24h", false], ["96h", false]) }),
    field: "spec.steps",
    rule: "last step must be final",
  },
  {
    name: "no steps",
    manifest: schedule({ "spec.steps": [] }),
    field: "spec.steps",
    rule: "at least 1 items",
  },
  {
    name: "step delay in days",
    manifest: schedule({ "spec.steps": steps(["1d", false], ["96h", true]) }),
    field: "spec.steps[0].afterFirstMessage",
    rule: "must be a duration",
  },
  {
    name: "step with an empty template",
    manifest: schedule({ "spec.steps": [{ ...steps(["96h", true])[0], template: " " }] }),
    field: "spec.steps[0].template",
    rule: "must not be empty",
  },
  {
    name: "two steps with one name",
    manifest: schedule({
      "spec.steps": [DEFAULT_FOLLOW_UP_STEPS[0], { ...DEFAULT_FOLLOW_UP_STEPS[2], name: "reminder-1" }],
    }),
    field: "spec.steps[1]",
    rule: "Duplicate value",
  },
  {
    name: "selector and names both",
    manifest: schedule({
      "spec.campaigns": { selector: { matchLabels: { fila: "cirurgica" } }, names: ["a"] },
    }),
    field: "spec.campaigns",
    rule: "exactly one of selector or names",
  },
  {
    name: "In expression without values",
    manifest: schedule({
      "spec.campaigns": { selector: { matchExpressions: [{ key: "fila", operator: "In" }] } },
    }),
    field: "spec.campaigns.selector.matchExpressions[0].values",
    rule: "values must be given for In and NotIn",
  },
  {
    name: "schedule time zone not IANA-shaped",
    manifest: schedule({ "spec.timeZone": "GMT-3" }),
    field: "spec.timeZone",
    rule: "IANA time-zone name",
  },
  {
    name: "unknown schedule field",
    manifest: schedule({ "spec.retries": 3 }),
    field: "spec.retries",
    rule: "unknown field",
    apiServerOnly: true,
  },
  {
    name: "schedule name over 52 characters",
    manifest: withValues(minimalFollowUpSchedule("f".repeat(53)), {}),
    field: "metadata.name",
    rule: "metadata.name of a FollowUpSchedule may be at most 52 characters",
  },
];

describe("invalid manifests", () => {
  let namespace: Disposable<string>;
  const kc = adminKubeConfig();

  beforeAll(async () => {
    await installCrds(kc);
    namespace = await freshNamespace("invalid");
  });
  afterAll(async () => {
    await namespace?.dispose();
  });

  it("has at least 25 cases", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(25);
  });

  it.each(CASES)("the API server refuses: $name", async ({ manifest, field, rule }) => {
    const { code, message } = await refusal(createCustomObject(kc, namespace.value, manifest));
    expect([400, 422]).toContain(code);
    expect(message).toContain(field);
    if (typeof rule === "string") expect(message).toContain(rule);
    else expect(message).toMatch(rule);
  });

  it.each(CASES.filter((c) => !c.apiServerOnly))("the runtime parse refuses too: $name", ({ manifest }) => {
    const schema = manifest.kind === "Campaign" ? campaignSchema : followUpScheduleSchema;
    expect(schema.safeParse(manifest).success).toBe(false);
  });
});

describe("updates the API server refuses", () => {
  const kc = adminKubeConfig();
  let namespace: Disposable<string>;

  beforeAll(async () => {
    await installCrds(kc);
    namespace = await freshNamespace("updates");
  });
  afterAll(async () => {
    await namespace?.dispose();
  });

  const UPDATES: { name: string; change: Record<string, unknown>; field: string; rule: string }[] = [
    {
      name: "another patient list",
      change: { "spec.audience.secretKeyRef.key": "outra-lista.csv" },
      field: "spec.audience",
      rule: "audience cannot change once the campaign exists",
    },
    {
      name: "another provider",
      change: { "spec.sender.provider": "evolution" },
      field: "spec.sender.provider",
      rule: "provider cannot change once the campaign exists",
    },
  ];

  it.each(UPDATES)("refuses $name on an existing campaign", async ({ change, field, rule }) => {
    const created = await createCustomObject(kc, namespace.value, minimalCampaign(`upd-${uniqueSuffix()}`));
    const { code, message } = await refusal(
      replaceCustomObject(kc, namespace.value, withValues(created, change)),
    );
    expect(code).toBe(422);
    expect(message).toContain(field);
    expect(message).toContain(rule);
  });

  it("accepts a new quota, window and suspend on an existing campaign", async () => {
    const created = await createCustomObject(kc, namespace.value, minimalCampaign("editavel"));
    const updated = await replaceCustomObject(
      kc,
      namespace.value,
      withValues(created, {
        "spec.schedule.dailyQuota": 120,
        "spec.schedule.window": { start: "20:00", end: "06:00" },
        "spec.suspend": true,
      }),
    );
    expect(updated.spec).toMatchObject({ suspend: true, schedule: { dailyQuota: 120 } });
  });
});
