/**
 * Test support: a throwaway custom resource, `widgets.runtime-test.buscaativa.io` (v1, namespaced,
 * with a status subresource), so runtime tests do not depend on the product's CRDs. Installing it is
 * idempotent and safe from parallel test files.
 */
import { ApiextensionsV1Api, type KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { waitFor } from "../../../test/harness/wait.js";
import { isAlreadyExists } from "../api-errors.js";

export const WIDGET = {
  group: "runtime-test.buscaativa.io",
  version: "v1",
  plural: "widgets",
  kind: "Widget",
  apiVersion: "runtime-test.buscaativa.io/v1",
} as const;

export interface Widget extends KubernetesObject {
  spec?: { size?: number; color?: string };
  status?: Record<string, unknown>;
}

/** Creates the Widget CRD if missing and waits until the API server serves it. */
export async function installWidgetCrd(kubeConfig: KubeConfig): Promise<void> {
  const api = kubeConfig.makeApiClient(ApiextensionsV1Api);
  const name = `${WIDGET.plural}.${WIDGET.group}`;
  try {
    await api.createCustomResourceDefinition({
      body: {
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        metadata: { name },
        spec: {
          group: WIDGET.group,
          scope: "Namespaced",
          names: { plural: WIDGET.plural, singular: "widget", kind: WIDGET.kind, listKind: "WidgetList" },
          versions: [
            {
              name: WIDGET.version,
              served: true,
              storage: true,
              subresources: { status: {} },
              schema: {
                openAPIV3Schema: {
                  type: "object",
                  properties: {
                    spec: { type: "object", x_kubernetes_preserve_unknown_fields: true },
                    status: { type: "object", x_kubernetes_preserve_unknown_fields: true },
                  },
                },
              },
            },
          ],
        },
      },
    });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  await waitFor(
    async () => {
      const crd = await api.readCustomResourceDefinition({ name });
      return crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True");
    },
    { timeoutMs: 60_000, what: `the CRD ${name} to be Established` },
  );
}

/** The collection path of Widgets in `namespace`. */
export function widgetsPath(namespace: string): string {
  return `/apis/${WIDGET.group}/${WIDGET.version}/namespaces/${namespace}/${WIDGET.plural}`;
}
