/**
 * Owner references: building the one a controller puts on the objects it creates, and mapping an owned
 * object back to its owner's work queue key (controller-runtime's EnqueueRequestForOwner with
 * OnlyControllerOwner).
 */
import type { KubernetesObject, V1OwnerReference } from "@kubernetes/client-node";
import { keyOf } from "./keys.js";

export interface OwnerType {
  /** API group of the owner, e.g. "buscaativa.io" ("" for the core group). */
  group: string;
  kind: string;
}

/** The group part of an apiVersion ("batch/v1" → "batch", "v1" → ""). */
export function groupOf(apiVersion: string | undefined): string {
  if (!apiVersion) return "";
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

/**
 * The key of `obj`'s controlling owner when that owner is of `owner` type (any version), else
 * undefined. Owners live in the same namespace as what they own.
 */
export function controllerOwnerKey(obj: KubernetesObject, owner: OwnerType): string | undefined {
  const ref = obj.metadata?.ownerReferences?.find(
    (r) => r.controller === true && r.kind === owner.kind && groupOf(r.apiVersion) === owner.group,
  );
  return ref ? keyOf(obj.metadata?.namespace, ref.name) : undefined;
}

/**
 * The owner reference a controller sets on an object it creates: controller=true and
 * blockOwnerDeletion=true, like controllerutil.SetControllerReference (the controller then needs
 * permission to delete the owner, or the API server refuses the reference with 422).
 */
export function controllerReference(owner: KubernetesObject): V1OwnerReference {
  const { apiVersion, kind } = owner;
  const name = owner.metadata?.name;
  const uid = owner.metadata?.uid;
  if (!apiVersion || !kind || !name || !uid) {
    throw new Error("An owner reference needs the owner's apiVersion, kind, metadata.name and metadata.uid");
  }
  return { apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true };
}
