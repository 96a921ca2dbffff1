/**
 * The informer's cache: objects by namespace and name, and the diff a relist produces. Pure; objects
 * are stored as the informer's transform left them (by default without managedFields) and must be
 * treated as read-only by everyone reading them.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import { keyOf, splitKey } from "./keys.js";

export type UpsertResult<T> = { kind: "added" } | { kind: "updated"; old: T } | { kind: "unchanged"; old: T };

export interface ReplaceResult<T> {
  added: T[];
  updated: Array<{ obj: T; old: T }>;
  unchanged: T[];
  deleted: T[];
}

export class ObjectStore<T extends KubernetesObject> {
  private byNamespace = new Map<string, Map<string, T>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The object with key `namespace/name` (or `name` when cluster-scoped). */
  get(key: string): T | undefined {
    const { namespace, name } = splitKey(key);
    return this.byNamespace.get(namespace)?.get(name);
  }

  /** Every object, or those of one namespace. */
  list(namespace?: string): T[] {
    if (namespace !== undefined) return [...(this.byNamespace.get(namespace)?.values() ?? [])];
    const all: T[] = [];
    for (const objects of this.byNamespace.values()) all.push(...objects.values());
    return all;
  }

  keys(): string[] {
    const keys: string[] = [];
    for (const [namespace, objects] of this.byNamespace) {
      for (const name of objects.keys()) keys.push(keyOf(namespace, name));
    }
    return keys;
  }

  /** Stores `obj`; "unchanged" when the stored copy has the same resourceVersion. */
  upsert(obj: T): UpsertResult<T> {
    const namespace = obj.metadata?.namespace ?? "";
    const name = obj.metadata?.name ?? "";
    let objects = this.byNamespace.get(namespace);
    if (!objects) {
      objects = new Map();
      this.byNamespace.set(namespace, objects);
    }
    const old = objects.get(name);
    if (old && sameVersion(old, obj)) return { kind: "unchanged", old };
    objects.set(name, obj);
    if (!old) {
      this.count += 1;
      return { kind: "added" };
    }
    return { kind: "updated", old };
  }

  /** Removes the object with `obj`'s namespace and name; returns the stored copy, if any. */
  delete(obj: T): T | undefined {
    const namespace = obj.metadata?.namespace ?? "";
    const name = obj.metadata?.name ?? "";
    const objects = this.byNamespace.get(namespace);
    const old = objects?.get(name);
    if (!objects || !old) return undefined;
    objects.delete(name);
    if (objects.size === 0) this.byNamespace.delete(namespace);
    this.count -= 1;
    return old;
  }

  /** Makes the store hold exactly `items` (a full list) and says what changed. */
  replace(items: readonly T[]): ReplaceResult<T> {
    const result: ReplaceResult<T> = { added: [], updated: [], unchanged: [], deleted: [] };
    const seen = new Set<string>();
    for (const obj of items) {
      seen.add(keyOf(obj.metadata?.namespace, obj.metadata?.name ?? ""));
      const outcome = this.upsert(obj);
      if (outcome.kind === "added") result.added.push(obj);
      else if (outcome.kind === "updated") result.updated.push({ obj, old: outcome.old });
      else result.unchanged.push(outcome.old);
    }
    for (const key of this.keys()) {
      if (seen.has(key)) continue;
      const old = this.get(key) as T;
      this.delete(old);
      result.deleted.push(old);
    }
    return result;
  }
}

function sameVersion(a: KubernetesObject, b: KubernetesObject): boolean {
  const rv = a.metadata?.resourceVersion;
  return rv !== undefined && rv !== "" && rv === b.metadata?.resourceVersion;
}
