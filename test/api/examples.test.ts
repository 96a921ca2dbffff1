/**
 * The examples and a minimal Campaign are accepted by the real API server, which applies the same
 * defaults as the runtime parse; the kinds are discoverable by short name and category; the status
 * subresource and the printer columns work.
 */
import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CustomObjectsApi, KubernetesObjectApi } from "@kubernetes/client-node";
import type { KubernetesObject } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { campaignSchema } from "../../crds/campaign/resource.js";
import { CAMPAIGN_NAMES, CATEGORY, FOLLOW_UP_SCHEDULE_NAMES, GROUP, VERSION } from "../../crds/constants.js";
import { followUpScheduleSchema } from "../../crds/followupschedule/resource.js";
import { installCrds } from "../../crds/install.js";
import { adminKubeConfig, freshNamespace } from "../harness/fixtures.js";
import type { Disposable } from "../harness/fixtures.js";
import {
  createCustomObject,
  getTable,
  minimalCampaign,
  minimalFollowUpSchedule,
  refusal,
} from "./objects.js";
import type { Manifest } from "./objects.js";

const EXAMPLES_DIR = new URL("../../manifests/examples/", import.meta.url);

function loadExamples(): { file: string; manifest: Manifest }[] {
  return readdirSync(EXAMPLES_DIR)
    .filter((file) => file.endsWith(".yaml"))
    .sort()
    .flatMap((file) =>
      parseAllDocuments(readFileSync(new URL(file, EXAMPLES_DIR), "utf8")).map((doc) => ({
        file,
        manifest: doc.toJS() as Manifest,
      })),
    );
}

const isCustom = (m: Manifest) => m.apiVersion.startsWith(`${GROUP}/`);
const schemaFor = (m: Manifest) => (m.kind === CAMPAIGN_NAMES.kind ? campaignSchema : followUpScheduleSchema);

describe("examples and defaults against the API server", () => {
  const kc = adminKubeConfig();
  let namespace: Disposable<string>;

  beforeAll(async () => {
    await installCrds(kc);
    namespace = await freshNamespace("examples");
  });
  afterAll(async () => {
    await namespace?.dispose();
  });

  it("has a campaign, its follow-up schedule and the Secrets they reference", () => {
    const kinds = loadExamples().map(({ manifest }) => manifest.kind);
    expect(kinds).toEqual(expect.arrayContaining(["Campaign", "FollowUpSchedule", "Secret", "Secret"]));
    const campaign = loadExamples().find(({ manifest }) => manifest.kind === "Campaign")?.manifest;
    const secrets = loadExamples()
      .filter(({ manifest }) => manifest.kind === "Secret")
      .map(({ manifest }) => manifest.metadata.name);
    const spec = campaignSchema.parse(campaign).spec;
    expect(secrets).toContain(spec.sender.credentialsSecretRef.name);
    expect(secrets).toContain(spec.audience.secretKeyRef?.name);
  });

  it("applies every example, and the API server stores what the parse produces", async () => {
    const objects = KubernetesObjectApi.makeApiClient(kc);
    const custom = kc.makeApiClient(CustomObjectsApi);
    for (const { file, manifest } of loadExamples()) {
      const body = { ...manifest, metadata: { ...manifest.metadata, namespace: namespace.value } };
      if (!isCustom(body)) {
        await objects.create(body as KubernetesObject);
        continue;
      }
      const expected = schemaFor(body).parse(body);
      await createCustomObject(kc, namespace.value, body);
      const stored = (await custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: namespace.value,
        plural: body.kind === CAMPAIGN_NAMES.kind ? CAMPAIGN_NAMES.plural : FOLLOW_UP_SCHEDULE_NAMES.plural,
        name: body.metadata.name,
      })) as Manifest;
      expect(stored.spec, `${file}: defaults applied by the API server`).toEqual(expected.spec);
    }
  });

  it("accepts a minimal Campaign and FollowUpSchedule and fills every default like the parse", async () => {
    for (const manifest of [minimalCampaign("minima"), minimalFollowUpSchedule("padrao")]) {
      const stored = await createCustomObject(kc, namespace.value, manifest);
      const parsed = schemaFor(manifest).parse(manifest);
      expect(stored.spec).toEqual(parsed.spec);
    }
    const stored = campaignSchema.parse(
      await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: namespace.value,
        plural: CAMPAIGN_NAMES.plural,
        name: "minima",
      }),
    );
    expect(stored.spec.schedule).toMatchObject({
      timeZone: "America/Fortaleza",
      window: { start: "08:00", end: "18:00" },
      dailyQuota: 50,
      typingWarmup: "3s",
    });
    expect(stored.spec.validation).toEqual({ enabled: true, batchSize: 50 });
    expect(stored.spec.replies.keywords.confirm).toContain("1\uFE0F\u20E3");
  });

  it("serves both kinds with their short names, the buscaativa category and a status subresource", async () => {
    const list = await kc.makeApiClient(CustomObjectsApi).getAPIResources({ group: GROUP, version: VERSION });
    for (const names of [CAMPAIGN_NAMES, FOLLOW_UP_SCHEDULE_NAMES]) {
      const resource = list.resources.find((r) => r.name === names.plural);
      expect(resource?.namespaced).toBe(true);
      expect(resource?.kind).toBe(names.kind);
      expect(resource?.shortNames).toEqual([...names.shortNames]);
      expect(resource?.categories).toEqual([CATEGORY]);
      expect(list.resources.map((r) => r.name)).toContain(`${names.plural}/status`);
    }
  });

  it("keeps status apart from spec, validates it, and shows it in the printer columns", async () => {
    const custom = kc.makeApiClient(CustomObjectsApi);
    const ref = { group: GROUP, version: VERSION, namespace: namespace.value, plural: CAMPAIGN_NAMES.plural };
    const created = await createCustomObject(kc, namespace.value, {
      ...minimalCampaign("com-status"),
      status: { phase: "Completed" },
    });
    expect(created.status).toBeUndefined();

    const status = {
      observedGeneration: 1,
      phase: "Sending",
      progress: 42,
      counts: { contacts: 120, sent: 60, replied: 30, confirmed: 20 },
      nextSendTime: "2026-08-03T11:12:00Z",
      conditions: [
        {
          type: "Ready",
          status: "True",
          reason: "Ready",
          message: "",
          lastTransitionTime: "2026-08-03T11:00:00Z",
        },
      ],
    };
    expect(campaignSchema.shape.status.parse(status)).toEqual(status);
    const current = (await custom.getNamespacedCustomObject({ ...ref, name: "com-status" })) as Manifest;
    await custom.replaceNamespacedCustomObjectStatus({
      ...ref,
      name: "com-status",
      body: { ...current, status },
    });

    const table = await getTable(
      kc,
      `/apis/${GROUP}/${VERSION}/namespaces/${namespace.value}/${CAMPAIGN_NAMES.plural}`,
    );
    const columns = table.columnDefinitions.map((c) => c.name);
    expect(columns).toEqual(
      expect.arrayContaining([
        "Name",
        "Phase",
        "Contacts",
        "Sent",
        "Replied",
        "Confirmed",
        "Progress",
        "Next Send",
        "Age",
      ]),
    );
    const row = table.rows.find((r) => r.cells[0] === "com-status");
    const cell = (name: string) => row?.cells[columns.indexOf(name)];
    expect([
      cell("Phase"),
      cell("Contacts"),
      cell("Sent"),
      cell("Replied"),
      cell("Confirmed"),
      cell("Progress"),
    ]).toEqual(["Sending", 120, 60, 30, 20, 42]);
    expect(cell("Next Send")).toBe("2026-08-03T11:12:00Z");

    const bad = await refusal(
      custom.replaceNamespacedCustomObjectStatus({
        ...ref,
        name: "com-status",
        body: {
          ...((await custom.getNamespacedCustomObject({ ...ref, name: "com-status" })) as object),
          status: { phase: "Running" },
        },
      }),
    );
    expect(bad.message).toContain("status.phase");
  });

  it("shows the schedule, time zone and last run of a FollowUpSchedule", async () => {
    await createCustomObject(kc, namespace.value, minimalFollowUpSchedule("colunas"));
    const table = await getTable(
      kc,
      `/apis/${GROUP}/${VERSION}/namespaces/${namespace.value}/${FOLLOW_UP_SCHEDULE_NAMES.plural}`,
    );
    const columns = table.columnDefinitions.map((c) => c.name);
    expect(columns).toEqual(expect.arrayContaining(["Name", "Schedule", "Time Zone", "Last Run", "Age"]));
    const row = table.rows.find((r) => r.cells[0] === "colunas");
    expect(row?.cells[columns.indexOf("Schedule")]).toBe("0 9 * * *");
    expect(row?.cells[columns.indexOf("Time Zone")]).toBe("America/Fortaleza");
  });
});
