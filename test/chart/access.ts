/**
 * Asking the API server what a ServiceAccount may do: a SubjectAccessReview for the identity a real
 * token of that ServiceAccount carries (user system:serviceaccount:<ns>:<name>, its groups). The same
 * decision `kubectl auth can-i --as=system:serviceaccount:<ns>:<name>` shows.
 */
import { AuthorizationV1Api } from "@kubernetes/client-node";
import { adminKubeConfig } from "../harness/fixtures.js";

export interface Access {
  verb: string;
  /** "" for the core group. */
  group: string;
  resource: string;
  subresource?: string;
  /** Namespace of the request; "" for cluster-wide (list across namespaces, cluster-scoped kinds). */
  namespace: string;
}

/** "get secrets in team-x" style label for failure messages. */
export function describeAccess(a: Access): string {
  const resource = `${a.resource}${a.subresource ? `/${a.subresource}` : ""}${a.group ? `.${a.group}` : ""}`;
  return `${a.verb} ${resource} ${a.namespace ? `in ${a.namespace}` : "cluster-wide"}`;
}

export async function serviceAccountCan(namespace: string, name: string, access: Access): Promise<boolean> {
  const api = adminKubeConfig().makeApiClient(AuthorizationV1Api);
  const review = await api.createSubjectAccessReview({
    body: {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SubjectAccessReview",
      spec: {
        user: `system:serviceaccount:${namespace}:${name}`,
        groups: ["system:serviceaccounts", `system:serviceaccounts:${namespace}`, "system:authenticated"],
        resourceAttributes: {
          verb: access.verb,
          group: access.group,
          resource: access.resource,
          subresource: access.subresource,
          namespace: access.namespace || undefined,
        },
      },
    },
  });
  return review.status?.allowed === true;
}

/** Expands "get,list campaigns.buscaativa.io" shorthand into Access entries. */
export function accesses(verbs: string, resourceWithGroup: string, namespaces: string[]): Access[] {
  const [resourcePart, ...groupParts] = resourceWithGroup.split(".");
  const [resource, subresource] = resourcePart!.split("/");
  const group = groupParts.join(".");
  return verbs
    .split(",")
    .flatMap((verb) =>
      namespaces.map((namespace) => ({ verb, group, resource: resource!, subresource, namespace })),
    );
}
