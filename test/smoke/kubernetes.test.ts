/**
 * Proves the control plane is real: CRDs are served, watches deliver events, the API server validates
 * custom resources, and RBAC decides what a ServiceAccount may do.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as k8s from "@kubernetes/client-node";
import {
  adminKubeConfig,
  freshNamespace,
  kubeConfigFromFile,
  kubeconfigForServiceAccount,
  kubeconfigForUser,
} from "../harness/fixtures.js";
import { waitFor } from "../harness/wait.js";

const GROUP = "smoke.buscaativa.io";

const gadgetCrd: k8s.V1CustomResourceDefinition = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: `gadgets.${GROUP}` },
  spec: {
    group: GROUP,
    scope: "Namespaced",
    names: { plural: "gadgets", singular: "gadget", kind: "Gadget" },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: {
                type: "object",
                required: ["size"],
                properties: { size: { type: "integer", minimum: 1, maximum: 10 } },
              },
            },
          },
        },
      },
    ],
  },
};

async function installCrd(kc: k8s.KubeConfig): Promise<void> {
  const api = kc.makeApiClient(k8s.ApiextensionsV1Api);
  try {
    await api.createCustomResourceDefinition({ body: gadgetCrd });
  } catch (err) {
    if (!(err instanceof k8s.ApiException && err.code === 409)) throw err;
  }
  await waitFor(
    async () => {
      const crd = await api.readCustomResourceDefinition({ name: gadgetCrd.metadata!.name! });
      return crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True");
    },
    { timeoutMs: 30_000, what: "the Gadget CRD to be established" },
  );
}

function gadget(name: string, size: unknown) {
  return { apiVersion: `${GROUP}/v1`, kind: "Gadget", metadata: { name }, spec: { size } };
}

describe("the test control plane", () => {
  beforeAll(async () => {
    await installCrd(adminKubeConfig());
  });

  it("serves an applied CRD and delivers its custom resources through a watch", async () => {
    const kc = adminKubeConfig();
    const { value: namespace } = await freshNamespace("watch");
    const seen: string[] = [];
    const watch = new k8s.Watch(kc);
    let request: AbortController | undefined;
    let stopped = false;
    // A brand-new resource's watch cache answers 429 until it is ready; a client retries, as informers do.
    const startWatch = async (): Promise<void> => {
      if (stopped) return;
      request = await watch.watch(
        `/apis/${GROUP}/v1/namespaces/${namespace}/gadgets`,
        {},
        (phase, obj: { metadata: { name: string } }) => seen.push(`${phase} ${obj.metadata.name}`),
        (err: unknown) => {
          if (err && !stopped) setTimeout(() => void startWatch(), 200);
        },
      );
    };
    await startWatch();
    try {
      const api = kc.makeApiClient(k8s.CustomObjectsApi);
      await api.createNamespacedCustomObject({
        group: GROUP,
        version: "v1",
        namespace,
        plural: "gadgets",
        body: gadget("first", 3),
      });
      await waitFor(() => seen.includes("ADDED first"), {
        timeoutMs: 20_000,
        what: `the ADDED event (seen: ${seen.join(", ")})`,
      });
    } finally {
      stopped = true;
      request?.abort();
    }
  });

  it("refuses a custom resource that breaks the CRD's schema, naming the field", async () => {
    const api = adminKubeConfig().makeApiClient(k8s.CustomObjectsApi);
    const { value: namespace } = await freshNamespace("invalid");
    const attempt = api.createNamespacedCustomObject({
      group: GROUP,
      version: "v1",
      namespace,
      plural: "gadgets",
      body: gadget("too-big", 11),
    });
    await expect(attempt).rejects.toMatchObject({ code: 422 });
    await expect(attempt).rejects.toThrow(/spec\.size/);
  });

  it("denies a ServiceAccount without a permission and allows it once a Role grants it", async () => {
    const admin = adminKubeConfig();
    const core = admin.makeApiClient(k8s.CoreV1Api);
    const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
    const { value: namespace } = await freshNamespace("rbac");
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: "reader" } } });
    const saConfig = kubeConfigFromFile(await kubeconfigForServiceAccount(namespace, "reader"));
    const asReader = saConfig.makeApiClient(k8s.CoreV1Api);

    await expect(asReader.listNamespacedConfigMap({ namespace })).rejects.toMatchObject({ code: 403 });

    await rbac.createNamespacedRole({
      namespace,
      body: {
        metadata: { name: "read-configmaps" },
        rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["list"] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: "reader-reads-configmaps" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "read-configmaps" },
        subjects: [{ kind: "ServiceAccount", name: "reader", namespace }],
      },
    });
    await waitFor(() => asReader.listNamespacedConfigMap({ namespace }).then(() => true), {
      timeoutMs: 10_000,
      what: "the Role to take effect",
    });
    // Still denied outside what the Role grants.
    await expect(asReader.listNamespacedSecret({ namespace })).rejects.toMatchObject({ code: 403 });
  });

  it("authenticates a user by client certificate and authorizes by its groups", async () => {
    const user = kubeConfigFromFile(kubeconfigForUser("jane", ["hospital-ops"]));
    const core = user.makeApiClient(k8s.CoreV1Api);
    await expect(core.listNamespace()).rejects.toMatchObject({ code: 403 });
    const admin = kubeConfigFromFile(kubeconfigForUser("root", ["system:masters"]));
    const list = await admin.makeApiClient(k8s.CoreV1Api).listNamespace();
    expect(list.items.map((n) => n.metadata?.name)).toContain("default");
  });

  it("runs kube-controller-manager: a deleted namespace's objects are garbage collected", async () => {
    const admin = adminKubeConfig();
    const core = admin.makeApiClient(k8s.CoreV1Api);
    const { value: namespace, dispose } = await freshNamespace("gc");
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: "doomed" } } });
    await dispose();
    await waitFor(
      () =>
        core.readNamespace({ name: namespace }).then(
          () => false,
          (err: unknown) => err instanceof k8s.ApiException && err.code === 404,
        ),
      { timeoutMs: 60_000, what: "the namespace to be finalized by the namespace controller" },
    );
  });
});
