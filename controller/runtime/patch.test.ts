import { beforeAll, describe, expect, it } from "vitest";
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type V1ConfigMap,
} from "@kubernetes/client-node";
import { adminKubeConfig, freshNamespace } from "../../test/harness/fixtures.js";
import { isConflict } from "./api-errors.js";
import {
  addFinalizer,
  applyObject,
  hasFinalizer,
  mergePatch,
  mergePatchStatus,
  removeFinalizer,
  retryOnConflict,
  type CustomObjectRef,
} from "./patch.js";
import { installWidgetCrd, WIDGET, type Widget } from "./testing/widget-crd.js";

describe("patch helpers against the API server", () => {
  let kc: KubeConfig;
  let custom: CustomObjectsApi;
  beforeAll(async () => {
    kc = adminKubeConfig();
    custom = kc.makeApiClient(CustomObjectsApi);
    await installWidgetCrd(kc);
  });

  async function newWidget(name = "w"): Promise<CustomObjectRef> {
    const namespace = (await freshNamespace("patch")).value;
    await custom.createNamespacedCustomObject({
      group: WIDGET.group,
      version: WIDGET.version,
      plural: WIDGET.plural,
      namespace,
      body: {
        apiVersion: WIDGET.apiVersion,
        kind: WIDGET.kind,
        metadata: { name },
        spec: { size: 1, color: "blue" },
      },
    });
    return { group: WIDGET.group, version: WIDGET.version, plural: WIDGET.plural, namespace, name };
  }

  const read = async (ref: CustomObjectRef) => (await custom.getNamespacedCustomObject(ref)) as Widget;

  it("merge-patches the status subresource: only status changes, other status fields stay", async () => {
    const ref = await newWidget();
    const first = await mergePatchStatus<Widget>(kc, ref, {
      phase: "Sending",
      counts: { sent: 1, failed: 0 },
    });
    expect(first.status).toEqual({ phase: "Sending", counts: { sent: 1, failed: 0 } });
    const second = await mergePatchStatus<Widget>(custom, ref, { counts: { sent: 2 } });
    expect(second.status).toEqual({ phase: "Sending", counts: { sent: 2, failed: 0 } });
    // A status write cannot touch the spec, and does not bump the generation.
    const third = await mergePatchStatus<Widget>(kc, ref, { phase: null });
    expect(third.status).toEqual({ counts: { sent: 2, failed: 0 } });
    const stored = await read(ref);
    expect(stored.spec).toEqual({ size: 1, color: "blue" });
    expect(stored.metadata?.generation).toBe(1);
  });

  it("merge-patches the main resource without touching status", async () => {
    const ref = await newWidget();
    await mergePatchStatus(kc, ref, { phase: "Idle" });
    const patched = await mergePatch<Widget>(kc, ref, {
      spec: { size: 5 },
      metadata: { labels: { tier: "a" } },
    });
    expect(patched.spec).toEqual({ size: 5, color: "blue" });
    expect(patched.metadata?.labels).toEqual({ tier: "a" });
    expect(patched.status).toEqual({ phase: "Idle" });
    expect(patched.metadata?.generation).toBe(2);
  });

  it("refuses a patch guarded by a stale resourceVersion with 409, and retryOnConflict re-reads and wins", async () => {
    const ref = await newWidget();
    const stale = (await read(ref)).metadata?.resourceVersion;
    await mergePatchStatus(kc, ref, { phase: "MovedOn" });
    const conflict = await mergePatchStatus(kc, ref, { phase: "Stale" }, { resourceVersion: stale }).catch(
      (e: unknown) => e,
    );
    expect(conflict).toBeInstanceOf(ApiException);
    expect(isConflict(conflict)).toBe(true);

    let attempts = 0;
    const result = await retryOnConflict(async () => {
      attempts += 1;
      const rv = attempts === 1 ? stale : (await read(ref)).metadata?.resourceVersion;
      return mergePatchStatus<Widget>(kc, ref, { phase: "Fresh" }, { resourceVersion: rv });
    });
    expect(attempts).toBe(2);
    expect(result.status?.phase).toBe("Fresh");
  });

  it("retryOnConflict gives up after the given attempts and never retries other errors", async () => {
    const conflict = new ApiException(409, "conflict", JSON.stringify({ reason: "Conflict" }), {});
    let calls = 0;
    await expect(
      retryOnConflict(async () => {
        calls += 1;
        throw conflict;
      }, 3),
    ).rejects.toBe(conflict);
    expect(calls).toBe(3);
    calls = 0;
    const notFound = new ApiException(404, "missing", "{}", {});
    await expect(
      retryOnConflict(async () => {
        calls += 1;
        throw notFound;
      }),
    ).rejects.toBe(notFound);
    expect(calls).toBe(1);
  });

  it("adds and removes a finalizer once, keeping others, even with a concurrent writer", async () => {
    const ref = await newWidget();
    await mergePatch(kc, ref, { metadata: { finalizers: ["other.io/keep"] } });
    // Two adders at once: the resourceVersion guard makes one of them retry; the list ends up right.
    const results = await Promise.all([
      addFinalizer(kc, ref, "buscaativa.io/cleanup"),
      addFinalizer(kc, ref, "buscaativa.io/cleanup"),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await read(ref)).metadata?.finalizers).toEqual(["other.io/keep", "buscaativa.io/cleanup"]);
    expect(await addFinalizer(kc, ref, "buscaativa.io/cleanup")).toBe(false);
    expect(hasFinalizer(await read(ref), "buscaativa.io/cleanup")).toBe(true);

    expect(await removeFinalizer(kc, ref, "buscaativa.io/cleanup")).toBe(true);
    expect(await removeFinalizer(kc, ref, "buscaativa.io/cleanup")).toBe(false);
    expect((await read(ref)).metadata?.finalizers).toEqual(["other.io/keep"]);
  });

  it("removing the last finalizer of a deleted object lets it go; removing from a gone object is a no-op", async () => {
    const ref = await newWidget();
    await addFinalizer(kc, ref, "buscaativa.io/cleanup");
    await custom.deleteNamespacedCustomObject(ref);
    const deleting = await read(ref);
    expect(deleting.metadata?.deletionTimestamp).toBeDefined();
    expect(await addFinalizer(kc, ref, "buscaativa.io/another")).toBe(false);
    expect(await removeFinalizer(kc, ref, "buscaativa.io/cleanup")).toBe(true);
    const gone = await read(ref).catch((e: unknown) => e);
    expect((gone as ApiException<unknown>).code).toBe(404);
    expect(await removeFinalizer(kc, ref, "buscaativa.io/cleanup")).toBe(false);
  });

  it("server-side applies a ConfigMap: creates it, updates owned fields, forces over another manager", async () => {
    const namespace = (await freshNamespace("patch")).value;
    const core = kc.makeApiClient(CoreV1Api);
    const intent = (value: string, extra: Record<string, string> = {}): V1ConfigMap => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "applied", namespace },
      data: { value, ...extra },
    });
    const created = await applyObject(kc, intent("1", { dropped: "later" }), "runtime-test");
    expect(created.data).toEqual({ value: "1", dropped: "later" });

    const updated = await applyObject(kc, intent("2"), "runtime-test");
    expect(updated.data).toEqual({ value: "2" }); // a field the manager stopped applying is removed

    // Another manager takes the field; applying again without force conflicts, with force wins.
    await applyObject(kc, intent("drift"), "someone-else", true);
    expect((await core.readNamespacedConfigMap({ namespace, name: "applied" })).data?.value).toBe("drift");
    const refused = await applyObject(kc, intent("2"), "runtime-test", false).catch((e: unknown) => e);
    expect((refused as ApiException<unknown>).code).toBe(409);
    const forced = await applyObject(kc, intent("2"), "runtime-test", true);
    expect(forced.data?.value).toBe("2");
  });
});
