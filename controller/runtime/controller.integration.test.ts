/**
 * The runtime's pieces together against the API server: informers on a custom resource and on the
 * ConfigMaps it owns, a controller with a small reconciler that writes status only when it changed and
 * server-side applies an owned ConfigMap.
 */
import { afterEach, describe, expect, it } from "vitest";
import { CoreV1Api, CustomObjectsApi, type V1ConfigMap } from "@kubernetes/client-node";
import { Registry } from "prom-client";
import { adminKubeConfig, freshNamespace } from "../../test/harness/fixtures.js";
import { waitFor } from "../../test/harness/wait.js";
import { createLogger } from "../../lib/logger.js";
import { Controller } from "./controller.js";
import { Informer } from "./informer.js";
import { setCondition, statusEqual, type Condition } from "./conditions.js";
import { applyObject, mergePatchStatus } from "./patch.js";
import { controllerReference } from "./owner.js";
import { splitKey } from "./keys.js";
import { installWidgetCrd, WIDGET, widgetsPath, type Widget } from "./testing/widget-crd.js";
import { metricValue } from "./testing/metrics.js";

const logger = createLogger({ component: "controller-it", level: process.env.TEST_LOG_LEVEL ?? "silent" });
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (stops.length > 0) await stops.pop()?.();
});

describe("Controller with informers against the API server", () => {
  it("reconciles a resource, owns a ConfigMap, corrects drift and writes no status at rest", async () => {
    const kc = adminKubeConfig();
    await installWidgetCrd(kc);
    const ns = (await freshNamespace("ctl")).value;
    const custom = kc.makeApiClient(CustomObjectsApi);
    const core = kc.makeApiClient(CoreV1Api);
    const registry = new Registry();

    const widgets = new Informer<Widget>({
      name: "widgets",
      kubeConfig: kc,
      path: widgetsPath(ns),
      logger,
      registry,
      resyncPeriodMs: 1000,
    });
    const configMaps = new Informer<V1ConfigMap>({
      name: "configmaps",
      kubeConfig: kc,
      path: `/api/v1/namespaces/${ns}/configmaps`,
      logger,
      registry,
    });
    let statusWrites = 0;
    let reconciles = 0;
    const controller = new Controller({
      name: "widget",
      logger,
      registry,
      workers: 2,
      reconcile: async (key) => {
        reconciles += 1;
        const widget = widgets.get(key);
        if (!widget) return;
        const { namespace, name } = splitKey(key);
        await applyObject(
          kc,
          {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: `${name}-config`, namespace, ownerReferences: [controllerReference(widget)] },
            data: { size: String(widget.spec?.size ?? 0) },
          },
          "widget-controller",
        );
        const current = (widget.status ?? {}) as { observedSize?: number; conditions?: Condition[] };
        const desired = {
          observedSize: widget.spec?.size ?? 0,
          conditions: setCondition(
            current.conditions,
            {
              type: "Ready",
              status: "True",
              reason: "Configured",
              observedGeneration: widget.metadata?.generation,
            },
            Date.now(),
          ),
        };
        if (statusEqual(current, desired)) return;
        // The widget was read before the await above: guard the write with its resourceVersion, so a
        // stale read fails with 409 and the controller retries with a fresh cache.
        await mergePatchStatus(
          kc,
          { group: WIDGET.group, version: WIDGET.version, plural: WIDGET.plural, namespace, name },
          desired,
          { resourceVersion: widget.metadata?.resourceVersion },
        );
        statusWrites += 1;
      },
    });
    controller.watch(widgets).watchOwned(configMaps, { group: WIDGET.group, kind: WIDGET.kind });
    widgets.start();
    configMaps.start();
    stops.push(
      () => widgets.stop(),
      () => configMaps.stop(),
      () => controller.stop(),
    );

    await custom.createNamespacedCustomObject({
      group: WIDGET.group,
      version: WIDGET.version,
      plural: WIDGET.plural,
      namespace: ns,
      body: { apiVersion: WIDGET.apiVersion, kind: WIDGET.kind, metadata: { name: "w1" }, spec: { size: 3 } },
    });
    await controller.start();

    // 1. Status written and the owned ConfigMap created with an owner reference.
    const ready = await waitFor(
      () => {
        const w = widgets.get(`${ns}/w1`);
        const status = w?.status as { observedSize?: number; conditions?: Condition[] } | undefined;
        return status?.observedSize === 3 ? status : undefined;
      },
      { timeoutMs: 20_000, what: "the widget's status" },
    );
    const readySince = ready.conditions?.[0]?.lastTransitionTime;
    const owned = await waitFor(() => configMaps.get(`${ns}/w1-config`), {
      timeoutMs: 10_000,
      what: "the owned ConfigMap",
    });
    expect(owned.data).toEqual({ size: "3" });
    expect(owned.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: "Widget",
      name: "w1",
      controller: true,
    });

    // 2. At rest: several resyncs reconcile the widget again, and no status is written.
    const writesAtRest = statusWrites;
    const rvAtRest = widgets.get(`${ns}/w1`)?.metadata?.resourceVersion;
    const reconcilesAtRest = reconciles;
    await waitFor(
      async () =>
        (await metricValue(registry, "informer_relists_total", { informer: "widgets", reason: "resync" })) >=
        3,
      {
        timeoutMs: 15_000,
        what: "three resyncs",
      },
    );
    await waitFor(() => reconciles >= reconcilesAtRest + 3, {
      timeoutMs: 10_000,
      what: "reconciles from the resyncs",
    });
    expect(statusWrites).toBe(writesAtRest);
    expect(widgets.get(`${ns}/w1`)?.metadata?.resourceVersion).toBe(rvAtRest);

    // 3. Drift of the owned ConfigMap is corrected through the owner's reconcile.
    await core.replaceNamespacedConfigMap({
      namespace: ns,
      name: "w1-config",
      body: { ...owned, data: { size: "999" } },
    });
    await waitFor(() => configMaps.get(`${ns}/w1-config`)?.data?.size === "3", {
      timeoutMs: 10_000,
      what: "the drift to be corrected",
    });

    // 4. A spec change updates status; the Ready condition keeps its lastTransitionTime.
    await custom.patchNamespacedCustomObject({
      group: WIDGET.group,
      version: WIDGET.version,
      plural: WIDGET.plural,
      namespace: ns,
      name: "w1",
      body: [{ op: "replace", path: "/spec/size", value: 4 }],
    });
    const resized = await waitFor(
      () => {
        const status = widgets.get(`${ns}/w1`)?.status as
          { observedSize?: number; conditions?: Condition[] } | undefined;
        return status?.observedSize === 4 ? status : undefined;
      },
      { timeoutMs: 10_000, what: "the new size in status" },
    );
    expect(resized.conditions?.[0]).toMatchObject({
      status: "True",
      observedGeneration: 2,
      lastTransitionTime: readySince,
    });
    // Conflicts from stale reads may have been retried; nothing failed for good.
    expect(
      await metricValue(registry, "controller_runtime_terminal_reconcile_errors_total", {
        controller: "widget",
      }),
    ).toBe(0);
  });
});
