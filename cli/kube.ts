/**
 * The Kubernetes side of the operator commands: the kubeconfig (KUBECONFIG, ~/.kube/config or the pod's
 * service account, as kubectl finds it), the namespace to use, and Campaign reads with errors that say
 * what to do (not found: exit 3; API not installed or unreachable: exit 1).
 */
import * as k8s from "@kubernetes/client-node";
import { CAMPAIGN_NAMES, CAMPAIGN_PLURAL, GROUP, VERSION, type CampaignStatus } from "../crds/index.js";
import { AppError } from "../lib/errors.js";
import { apiStatus, apiStatusCode, describeApiError } from "../controller/runtime/api-errors.js";
import type { CustomObjectRef } from "../controller/runtime/patch.js";

/** The field manager of every write the CLI makes (kubectl shows it in managedFields). */
export const CLI_FIELD_MANAGER = "busca-ativa-cli";

export function loadKubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  try {
    kc.loadFromDefault();
  } catch (err) {
    throw new AppError(
      "KUBECONFIG_INVALID",
      `Could not load the kubeconfig (${(err as Error).message}): set KUBECONFIG to a valid file`,
      {},
      { cause: err },
    );
  }
  if (!kc.getCurrentCluster()) {
    throw new AppError(
      "KUBECONFIG_INVALID",
      "No Kubernetes cluster is configured: set KUBECONFIG, or run inside a pod with a service account",
    );
  }
  return kc;
}

/** `--namespace`, else the kubeconfig context's namespace, else "default" (as kubectl does). */
export function resolveNamespace(kc: k8s.KubeConfig | undefined, given: string | undefined): string {
  if (given) return given;
  const context = kc?.getContextObject(kc.getCurrentContext());
  return context?.namespace || "default";
}

/** The namespace for commands that may run without a kubeconfig (database-only commands). */
export function namespaceWithoutCluster(given: string | undefined): string {
  if (given) return given;
  try {
    const kc = new k8s.KubeConfig();
    kc.loadFromDefault();
    return resolveNamespace(kc, undefined);
  } catch {
    return "default";
  }
}

export function campaignRef(namespace: string, name: string): CustomObjectRef {
  return { group: GROUP, version: VERSION, plural: CAMPAIGN_PLURAL, namespace, name };
}

/** A Campaign as the CLI reads it (only what it shows). */
export interface CampaignObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    finalizers?: string[];
  };
  spec?: { suspend?: boolean; schedule?: { timeZone?: string } } & Record<string, unknown>;
  status?: CampaignStatus;
}

/** Turns an API failure into an AppError that says what to do. */
export function kubeError(err: unknown, what: string, namespace: string, name?: string): AppError {
  const code = apiStatusCode(err);
  const status = apiStatus(err) as
    (ReturnType<typeof apiStatus> & { details?: { kind?: string } }) | undefined;
  if (code === 404 && status?.details?.kind === "namespaces") {
    return new AppError("NAMESPACE_NOT_FOUND", `Namespace ${namespace} does not exist: create it or use -n`);
  }
  if (code === 404 && name !== undefined && status?.reason === "NotFound") {
    return new AppError(
      "CAMPAIGN_NOT_FOUND",
      `Campaign ${namespace}/${name} does not exist: check the name with busca-ativa status -n ${namespace}`,
      { namespace, name },
    );
  }
  if (code === 404) {
    return new AppError(
      "CAMPAIGN_API_NOT_FOUND",
      `The Campaign API (${CAMPAIGN_NAMES.crdName}) is not installed in this cluster: install the busca-ativa chart or its CRDs`,
    );
  }
  if (code === 401 || code === 403) {
    return new AppError(
      "KUBE_FORBIDDEN",
      `Not allowed to ${what} in namespace ${namespace} (${describeApiError(err)}): ask for the busca-ativa operator role`,
    );
  }
  if (code !== undefined) {
    return new AppError(
      "KUBE_REQUEST_FAILED",
      `Could not ${what}: ${describeApiError(err)}`,
      {},
      { cause: err },
    );
  }
  return new AppError(
    "KUBE_UNREACHABLE",
    `Could not reach the Kubernetes API to ${what} (${(err as Error)?.message ?? String(err)}): check KUBECONFIG and the cluster`,
    {},
    { cause: err },
  );
}

export class CampaignClient {
  private readonly api: k8s.CustomObjectsApi;

  constructor(readonly kc: k8s.KubeConfig) {
    this.api = kc.makeApiClient(k8s.CustomObjectsApi);
  }

  /** The Campaign, or an AppError CAMPAIGN_NOT_FOUND. */
  async get(namespace: string, name: string): Promise<CampaignObject> {
    try {
      return (await this.api.getNamespacedCustomObject(campaignRef(namespace, name))) as CampaignObject;
    } catch (err) {
      throw kubeError(err, `read Campaign ${name}`, namespace, name);
    }
  }

  /** The Campaign, or undefined when it does not exist. */
  async find(namespace: string, name: string): Promise<CampaignObject | undefined> {
    try {
      return await this.get(namespace, name);
    } catch (err) {
      if (err instanceof AppError && err.code === "CAMPAIGN_NOT_FOUND") return undefined;
      throw err;
    }
  }

  /** Campaigns of a namespace, or of every namespace when `namespace` is undefined; sorted. */
  async list(namespace: string | undefined): Promise<CampaignObject[]> {
    try {
      const list = (
        namespace === undefined
          ? await this.api.listClusterCustomObject({
              group: GROUP,
              version: VERSION,
              plural: CAMPAIGN_PLURAL,
            })
          : await this.api.listNamespacedCustomObject({
              group: GROUP,
              version: VERSION,
              plural: CAMPAIGN_PLURAL,
              namespace,
            })
      ) as { items?: CampaignObject[] };
      return (list.items ?? []).sort(
        (a, b) =>
          a.metadata.namespace.localeCompare(b.metadata.namespace) ||
          a.metadata.name.localeCompare(b.metadata.name),
      );
    } catch (err) {
      throw kubeError(err, "list Campaigns", namespace ?? "(all)");
    }
  }

  /** Deletes the Campaign (its finalizer then runs in the controller). */
  async delete(namespace: string, name: string): Promise<void> {
    try {
      await this.api.deleteNamespacedCustomObject({
        ...campaignRef(namespace, name),
        propagationPolicy: "Background",
      });
    } catch (err) {
      throw kubeError(err, `delete Campaign ${name}`, namespace, name);
    }
  }
}
