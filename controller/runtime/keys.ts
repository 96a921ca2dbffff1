/**
 * Work queue keys: `namespace/name` for namespaced objects, `name` for cluster-scoped ones (the same
 * form as client-go's MetaNamespaceKeyFunc).
 */
import type { KubernetesObject } from "@kubernetes/client-node";

export interface ObjectName {
  /** Empty for cluster-scoped objects. */
  namespace: string;
  name: string;
}

export function keyOf(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** The key of an object; throws when the object has no name. */
export function objectKey(obj: KubernetesObject): string {
  const name = obj.metadata?.name;
  if (!name) throw new Error("The object has no metadata.name, so it has no work queue key");
  return keyOf(obj.metadata?.namespace, name);
}

export function splitKey(key: string): ObjectName {
  const slash = key.indexOf("/");
  if (slash < 0) return { namespace: "", name: key };
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
