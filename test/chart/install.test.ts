/**
 * The chart installed with the real helm into the test control plane: every object accepted and stored,
 * every pod admitted under Pod Security "restricted", the hooks accepted, the followup env Secret copied
 * through helm's lookup, the CronJob admission policy enforced, and upgrades in place.
 * Pods never run here (no kubelet): objects are checked, not readiness.
 * Needs the test environment: `npx vitest run test/chart/install.test.ts`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiException, BatchV1Api, CoreV1Api, KubernetesObjectApi } from "@kubernetes/client-node";
import type { V1CronJob } from "@kubernetes/client-node";
import {
  adminKubeConfig,
  freshNamespace,
  kubeConfigFromFile,
  kubeconfigForServiceAccount,
  testEnv,
} from "../harness/fixtures.js";
import { waitFor } from "../harness/wait.js";
import { CHART_DIR, helm, valuesFile, type K8sObject, type Values } from "./helm.js";
import { KEDA_EXTERNAL } from "./matrix.js";
import { createHookObjects, installChart, type InstalledRelease } from "./release.js";

/** Waits until each Deployment and StatefulSet of the release has its pods created (admitted). */
export async function expectPodsAdmitted(installed: InstalledRelease): Promise<void> {
  const core = adminKubeConfig().makeApiClient(CoreV1Api);
  const workloads = installed.objects.filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet");
  expect(workloads.length).toBeGreaterThan(0);
  for (const w of workloads) {
    const spec = w.spec as { replicas?: number; selector: { matchLabels: Record<string, string> } };
    const selector = Object.entries(spec.selector.matchLabels)
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
    const want = spec.replicas ?? 1;
    await waitFor(
      async () => {
        const pods = await core.listNamespacedPod({
          namespace: installed.namespace,
          labelSelector: selector,
        });
        return pods.items.length >= want;
      },
      { timeoutMs: 30_000, what: `${want} pod(s) of ${w.kind}/${w.metadata.name} to be admitted` },
    );
  }
}

async function expectAllStored(objects: K8sObject[]): Promise<void> {
  const client = KubernetesObjectApi.makeApiClient(adminKubeConfig());
  for (const o of objects) {
    const stored = await client.read({
      apiVersion: o.apiVersion,
      kind: o.kind,
      metadata: { name: o.metadata.name, namespace: o.metadata.namespace },
    });
    expect(stored.metadata?.uid, `${o.kind}/${o.metadata.name}`).toBeTruthy();
  }
}

function followupCronJob(serviceAccountName: string, image: string): V1CronJob {
  return {
    metadata: { name: `followup-${serviceAccountName.length}-${Date.now().toString(36)}` },
    spec: {
      schedule: "0 9 * * *",
      timeZone: "America/Fortaleza",
      concurrencyPolicy: "Forbid",
      jobTemplate: {
        spec: {
          template: {
            spec: {
              serviceAccountName,
              restartPolicy: "Never",
              containers: [{ name: "followup", image, args: ["followup", "run", "--schedule", "x/y"] }],
            },
          },
        },
      },
    },
  };
}

describe("the chart installed in production mode with every optional object", () => {
  let installed: InstalledRelease;
  let followupNs: { value: string; dispose: () => Promise<void> };
  const values = (ns: string): Values => ({
    keda: KEDA_EXTERNAL,
    webhook: { ingress: { enabled: true } },
    metrics: { serviceMonitor: { enabled: true } },
    followup: { namespaces: [ns] },
  });

  beforeAll(async () => {
    followupNs = await freshNamespace("followup");
    installed = await installChart({ values: values(followupNs.value) });
  }, 180_000);
  afterAll(async () => {
    await installed?.dispose();
    await followupNs?.dispose();
  });

  it("stores every object of the release, including KEDA and ServiceMonitor objects", async () => {
    const kinds = new Set(installed.objects.map((o) => o.kind));
    for (const kind of [
      "ScaledObject",
      "TriggerAuthentication",
      "ServiceMonitor",
      "Ingress",
      "NetworkPolicy",
    ])
      expect(kinds).toContain(kind);
    await expectAllStored(installed.objects);
  });

  it("has every Deployment's pods admitted under Pod Security restricted", async () => {
    await expectPodsAdmitted(installed);
  });

  it("accepts the hooks: the migrate Job (its pod admitted) and the helm test pod", async () => {
    const hooks = await createHookObjects(installed, { ...values(followupNs.value), followup: {} });
    expect(hooks.map((h) => h.kind).sort()).toEqual(["Job", "Pod", "ServiceAccount"]);
    const core = adminKubeConfig().makeApiClient(CoreV1Api);
    const job = hooks.find((h) => h.kind === "Job")!;
    await waitFor(
      async () =>
        (
          await core.listNamespacedPod({
            namespace: installed.namespace,
            labelSelector: `job-name=${job.metadata.name}`,
          })
        ).items.length > 0,
      { timeoutMs: 30_000, what: "the migrate Job's pod to be admitted" },
    );
  });

  it("copies the followup env Secret into each followup namespace (helm lookup at install)", async () => {
    const core = adminKubeConfig().makeApiClient(CoreV1Api);
    const source = await core.readNamespacedSecret({
      namespace: installed.namespace,
      name: "busca-ativa-connections",
    });
    const copy = await core.readNamespacedSecret({
      namespace: followupNs.value,
      name: "busca-ativa-connections",
    });
    expect(copy.data).toEqual({ DATABASE_URL: source.data!.DATABASE_URL, REDIS_URL: source.data!.REDIS_URL });
    const sa = await core.readNamespacedServiceAccount({
      namespace: followupNs.value,
      name: `${installed.release}-busca-ativa-followup`,
    });
    expect(sa.metadata?.name).toBeTruthy();
  });

  it("lets the controller create followup CronJobs only (ValidatingAdmissionPolicy)", async () => {
    const { release, namespace } = installed;
    const kc = kubeConfigFromFile(
      await kubeconfigForServiceAccount(namespace, `${release}-busca-ativa-controller`),
    );
    const batch = kc.makeApiClient(BatchV1Api);
    const image = "ghcr.io/busca-ativa/busca-ativa:0.1.0";
    const followupSa = `${release}-busca-ativa-followup`;
    const denial = async (cronJob: V1CronJob) => {
      try {
        await batch.createNamespacedCronJob({ namespace: followupNs.value, body: cronJob });
        return "created";
      } catch (err) {
        if (err instanceof ApiException) return String(err.body);
        throw err;
      }
    };
    // The API server picks up a new policy within a second or so.
    const refused = await waitFor(
      async () => {
        const answer = await denial(followupCronJob("default", image));
        return answer.includes("ValidatingAdmissionPolicy") ? answer : false;
      },
      {
        timeoutMs: 20_000,
        what: "the admission policy to refuse a CronJob running as another ServiceAccount",
      },
    );
    expect(refused).toContain(`may only create CronJobs that run as the ServiceAccount \\"${followupSa}\\"`);
    expect(await denial(followupCronJob(followupSa, "docker.io/library/busybox:latest"))).toContain(
      "may only create CronJobs that run the image",
    );
    expect(await denial(followupCronJob(followupSa, image))).toBe("created");
  });

  it("upgrades in place with the same values", async () => {
    const result = await helm([
      "upgrade",
      installed.release,
      CHART_DIR,
      "--kubeconfig",
      testEnv().kubeconfig,
      "--namespace",
      installed.namespace,
      "--no-hooks",
      "-f",
      valuesFile(values(followupNs.value)),
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });
});

describe("the chart installed in evaluation mode", () => {
  let installed: InstalledRelease;
  const values: Values = {
    evaluation: { enabled: true },
    sandbox: { enabled: true },
    keda: { enabled: true },
  };

  beforeAll(async () => {
    installed = await installChart({ values });
  }, 180_000);
  afterAll(async () => installed?.dispose());

  it("has the Redis, PostgreSQL and sandbox pods admitted under Pod Security restricted", async () => {
    const names = installed.objects.filter((o) => o.kind === "StatefulSet").map((o) => o.metadata.name);
    expect(names.sort()).toEqual([
      `${installed.release}-busca-ativa-postgresql`,
      `${installed.release}-busca-ativa-redis`,
    ]);
    await expectPodsAdmitted(installed);
  });

  it("keeps the generated passwords across upgrades", async () => {
    const core = adminKubeConfig().makeApiClient(CoreV1Api);
    const name = `${installed.release}-busca-ativa-evaluation`;
    const before = await core.readNamespacedSecret({ namespace: installed.namespace, name });
    expect(Buffer.from(before.data!.POSTGRES_PASSWORD!, "base64").toString()).toMatch(/^[A-Za-z0-9]{32}$/);
    const result = await helm([
      "upgrade",
      installed.release,
      CHART_DIR,
      "--kubeconfig",
      testEnv().kubeconfig,
      "--namespace",
      installed.namespace,
      "--no-hooks",
      "-f",
      valuesFile(values),
    ]);
    expect(result.code, result.stderr).toBe(0);
    const after = await core.readNamespacedSecret({ namespace: installed.namespace, name });
    expect(after.data).toEqual(before.data);
  });
});
