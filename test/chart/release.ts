/**
 * Installing the chart into the test control plane, as a cluster admin would, with the real helm.
 *
 * - `--no-hooks`: the migrate hook is a Job, and Jobs never complete here (no kubelet), so helm would
 *   wait for it until its timeout. Hook objects are created separately (`createHookObjects`).
 * - Never `--wait`: pods never become ready without a kubelet; tests check objects, not readiness.
 * - KEDA and prometheus-operator are not installed here: minimal stand-in CRDs for ScaledObject,
 *   TriggerAuthentication and ServiceMonitor (any spec accepted) let the API server store those objects,
 *   proving helm's objects reach it; their own validation (KEDA's webhook, the operator's schema) is not
 *   exercised.
 */
import { ApiextensionsV1Api, ApiException, CoreV1Api } from "@kubernetes/client-node";
import type { V1CustomResourceDefinition } from "@kubernetes/client-node";
import { adminKubeConfig, freshNamespace, testEnv, uniqueSuffix } from "../harness/fixtures.js";
import { waitFor } from "../harness/wait.js";
import {
  CHART_DIR,
  helm,
  kubectl,
  parseObjects,
  template,
  valuesFile,
  type K8sObject,
  type Values,
} from "./helm.js";

const STAND_INS = [
  { group: "keda.sh", version: "v1alpha1", kind: "ScaledObject", plural: "scaledobjects" },
  { group: "keda.sh", version: "v1alpha1", kind: "TriggerAuthentication", plural: "triggerauthentications" },
  { group: "monitoring.coreos.com", version: "v1", kind: "ServiceMonitor", plural: "servicemonitors" },
];

function standInCrd(c: (typeof STAND_INS)[number]): V1CustomResourceDefinition {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${c.plural}.${c.group}`, labels: { "buscaativa.io/test-stand-in": "true" } },
    spec: {
      group: c.group,
      scope: "Namespaced",
      names: { kind: c.kind, plural: c.plural, singular: c.kind.toLowerCase(), listKind: `${c.kind}List` },
      versions: [
        {
          name: c.version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: "object", x_kubernetes_preserve_unknown_fields: true } },
        },
      ],
    },
  };
}

/** Installs the stand-in CRDs once per cluster (idempotent, safe from parallel test files). */
export async function installStandInCrds(): Promise<void> {
  const api = adminKubeConfig().makeApiClient(ApiextensionsV1Api);
  for (const c of STAND_INS) {
    const crd = standInCrd(c);
    try {
      await api.createCustomResourceDefinition({ body: crd });
    } catch (err) {
      if (!(err instanceof ApiException && err.code === 409)) throw err;
    }
    await waitFor(
      async () => {
        const got = await api.readCustomResourceDefinition({ name: crd.metadata!.name! });
        return got.status?.conditions?.some((x) => x.type === "Established" && x.status === "True");
      },
      { timeoutMs: 30_000, what: `the stand-in CRD ${crd.metadata!.name} to be established` },
    );
  }
}

export interface InstalledRelease {
  release: string;
  namespace: string;
  /** The objects helm installed (its manifest), hooks excluded. */
  objects: K8sObject[];
  dispose: () => Promise<void>;
}

export interface InstallOptions {
  values?: Values;
  /** Label the namespace to enforce Pod Security "restricted" (default true). */
  restricted?: boolean;
  /** Called with the namespace before helm runs (create Secrets, other namespaces, ...). */
  prepare?: (namespace: string) => Promise<void>;
}

export async function createConnectionsSecret(
  namespace: string,
  name = "busca-ativa-connections",
): Promise<void> {
  const core = adminKubeConfig().makeApiClient(CoreV1Api);
  await core.createNamespacedSecret({
    namespace,
    body: {
      metadata: { name },
      stringData: {
        DATABASE_URL: "postgresql://app:secret@postgres.data.svc:5432/busca_ativa",
        REDIS_URL: "redis://:secret@redis.data.svc:6379/0",
      },
    },
  });
}

/** A fresh namespace with the chart installed in it (production mode, Secrets created first). */
export async function installChart(options: InstallOptions = {}): Promise<InstalledRelease> {
  await installStandInCrds();
  const ns = await freshNamespace("chart");
  const namespace = ns.value;
  const release = `ba-${uniqueSuffix()}`;
  if (options.restricted !== false) {
    const labelled = await kubectl([
      "--kubeconfig",
      testEnv().kubeconfig,
      "label",
      "namespace",
      namespace,
      "pod-security.kubernetes.io/enforce=restricted",
    ]);
    if (labelled.code !== 0) throw new Error(`Labelling the namespace failed: ${labelled.stderr}`);
  }
  await createConnectionsSecret(namespace);
  await options.prepare?.(namespace);
  const result = await helm([
    "install",
    release,
    CHART_DIR,
    "--kubeconfig",
    testEnv().kubeconfig,
    "--namespace",
    namespace,
    "--no-hooks",
    "--timeout",
    "60s",
    "-f",
    valuesFile(options.values ?? {}),
  ]);
  if (result.code !== 0) throw new Error(`helm install failed (${result.code}):\n${result.stderr}`);
  const manifest = await helm([
    "get",
    "manifest",
    release,
    "--kubeconfig",
    testEnv().kubeconfig,
    "--namespace",
    namespace,
  ]);
  const dispose = async () => {
    await helm(["uninstall", release, "--kubeconfig", testEnv().kubeconfig, "--namespace", namespace]);
    await ns.dispose();
  };
  return { release, namespace, objects: parseObjects(manifest.stdout), dispose };
}

/**
 * Creates the release's hook objects (the migrate ServiceAccount and Job, the helm test Pod) with
 * kubectl, as helm would: they must be accepted by the API server too.
 */
export async function createHookObjects(
  installed: InstalledRelease,
  values: Values = {},
): Promise<K8sObject[]> {
  const rendered = await template(values, { release: installed.release, namespace: installed.namespace });
  if (rendered.code !== 0) throw new Error(rendered.stderr);
  const hooks = parseObjects(rendered.stdout).filter((o) => o.metadata.annotations?.["helm.sh/hook"]);
  const yamlText = hooks.map((o) => JSON.stringify(o)).join("\n---\n");
  const result = await kubectl(["--kubeconfig", testEnv().kubeconfig, "create", "-f", "-"], yamlText);
  if (result.code !== 0) throw new Error(`kubectl create of the hooks failed:\n${result.stderr}`);
  return hooks;
}
