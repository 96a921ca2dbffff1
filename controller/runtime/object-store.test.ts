import { describe, expect, it } from "vitest";
import type { KubernetesObject } from "@kubernetes/client-node";
import { ObjectStore } from "./object-store.js";
import { keyOf, objectKey, splitKey } from "./keys.js";

const obj = (namespace: string, name: string, rv: string): KubernetesObject => ({
  metadata: { namespace: namespace || undefined, name, resourceVersion: rv },
});

describe("ObjectStore", () => {
  it.each([
    { name: "new object", before: [], item: obj("a", "x", "1"), kind: "added" },
    {
      name: "same resourceVersion",
      before: [obj("a", "x", "1")],
      item: obj("a", "x", "1"),
      kind: "unchanged",
    },
    { name: "new resourceVersion", before: [obj("a", "x", "1")], item: obj("a", "x", "2"), kind: "updated" },
    {
      name: "same name, other namespace",
      before: [obj("a", "x", "1")],
      item: obj("b", "x", "1"),
      kind: "added",
    },
    { name: "cluster-scoped", before: [], item: obj("", "x", "1"), kind: "added" },
  ])("upsert of a $name is $kind", ({ before, item, kind }) => {
    const store = new ObjectStore();
    for (const o of before) store.upsert(o);
    expect(store.upsert(item).kind).toBe(kind);
    expect(store.get(objectKey(item))).toBe(kind === "unchanged" ? before[0] : item);
  });

  it("replace reports added, updated, unchanged and deleted objects", () => {
    const store = new ObjectStore();
    store.upsert(obj("a", "same", "1"));
    store.upsert(obj("a", "changed", "1"));
    store.upsert(obj("a", "gone", "1"));
    store.upsert(obj("b", "gone-too", "1"));
    const result = store.replace([obj("a", "same", "1"), obj("a", "changed", "2"), obj("c", "new", "1")]);
    expect(result.added.map(objectKey)).toEqual(["c/new"]);
    expect(result.updated.map((u) => `${objectKey(u.obj)}@${u.old.metadata?.resourceVersion}`)).toEqual([
      "a/changed@1",
    ]);
    expect(result.unchanged.map(objectKey)).toEqual(["a/same"]);
    expect(result.deleted.map(objectKey).sort()).toEqual(["a/gone", "b/gone-too"]);
    expect(store.keys().sort()).toEqual(["a/changed", "a/same", "c/new"]);
    expect(store.size).toBe(3);
    expect(store.list("b")).toEqual([]);
  });

  it("delete returns the stored copy once", () => {
    const store = new ObjectStore();
    const stored = obj("a", "x", "1");
    store.upsert(stored);
    expect(store.delete(obj("a", "x", "9"))).toBe(stored);
    expect(store.delete(obj("a", "x", "9"))).toBeUndefined();
    expect(store.size).toBe(0);
  });
});

describe("keys", () => {
  it.each([
    { namespace: "ns", name: "n", key: "ns/n" },
    { namespace: "", name: "cluster-wide", key: "cluster-wide" },
  ])("$key", ({ namespace, name, key }) => {
    expect(keyOf(namespace, name)).toBe(key);
    expect(splitKey(key)).toEqual({ namespace, name });
  });
  it("refuses an object without a name", () => {
    expect(() => objectKey({ metadata: {} })).toThrow(/no metadata.name/);
  });
});
