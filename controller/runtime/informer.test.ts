import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type V1ConfigMap } from "@kubernetes/client-node";
import { Registry } from "prom-client";
import { adminKubeConfig, freshNamespace } from "../../test/harness/fixtures.js";
import { waitFor } from "../../test/harness/wait.js";
import { createLogger } from "../../lib/logger.js";
import { Informer, type InformerOptions } from "./informer.js";
import { TcpProxy } from "./testing/tcp-proxy.js";
import { installWidgetCrd, WIDGET, widgetsPath, type Widget } from "./testing/widget-crd.js";
import { metricValue } from "./testing/metrics.js";

const logger = createLogger({ component: "informer-test", level: process.env.TEST_LOG_LEVEL ?? "silent" });

interface Recorded {
  events: string[];
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

function startInformer<T extends V1ConfigMap | Widget>(
  options: Partial<InformerOptions<T>> & Pick<InformerOptions<T>, "kubeConfig" | "path">,
): { informer: Informer<T>; recorded: Recorded; registry: Registry } {
  const registry = new Registry();
  const informer = new Informer<T>({ name: "test", logger, registry, ...options });
  const recorded: Recorded = { events: [] };
  informer.on("add", (obj) => recorded.events.push(`add ${obj.metadata?.name}`));
  informer.on("update", (obj, old) =>
    recorded.events.push(obj === old ? `resync ${obj.metadata?.name}` : `update ${obj.metadata?.name}`),
  );
  informer.on("delete", (obj) => recorded.events.push(`delete ${obj.metadata?.name}`));
  informer.start();
  cleanups.push(() => informer.stop());
  return { informer, recorded, registry };
}

function configMapData(informer: Informer<V1ConfigMap>, key: string): Record<string, string> | undefined {
  return informer.get(key)?.data;
}

describe("Informer against the API server", () => {
  let kc: KubeConfig;
  let core: CoreV1Api;

  beforeAll(() => {
    kc = adminKubeConfig();
    core = kc.makeApiClient(CoreV1Api);
  });

  const createConfigMap = (namespace: string, name: string, value: string) =>
    core.createNamespacedConfigMap({ namespace, body: { metadata: { name }, data: { value } } });
  const updateConfigMap = (namespace: string, name: string, value: string) =>
    core.replaceNamespacedConfigMap({ namespace, name, body: { metadata: { name }, data: { value } } });

  it("lists, syncs, then delivers add, update and delete events and keeps its cache", async () => {
    const ns = (await freshNamespace("inf")).value;
    await createConfigMap(ns, "before", "1");
    const { informer, recorded } = startInformer<V1ConfigMap>({
      kubeConfig: kc,
      path: `/api/v1/namespaces/${ns}/configmaps`,
    });
    await informer.waitForSync(30_000);
    expect(informer.hasSynced()).toBe(true);
    expect(configMapData(informer, `${ns}/before`)).toEqual({ value: "1" });

    await createConfigMap(ns, "after", "a");
    await waitFor(() => informer.get(`${ns}/after`), { timeoutMs: 10_000, what: "the add event" });
    await updateConfigMap(ns, "after", "b");
    await waitFor(() => configMapData(informer, `${ns}/after`)?.value === "b", {
      timeoutMs: 10_000,
      what: "the update event",
    });
    await core.deleteNamespacedConfigMap({ namespace: ns, name: "before" });
    await waitFor(() => informer.get(`${ns}/before`) === undefined, {
      timeoutMs: 10_000,
      what: "the delete event",
    });

    expect(recorded.events.filter((e) => !e.includes("kube-root-ca"))).toEqual([
      "add before",
      "add after",
      "update after",
      "delete before",
    ]);
    expect(
      informer
        .list(ns)
        .map((cm) => cm.metadata?.name)
        .sort(),
    ).toContain("after");
  });

  it("caches objects without managedFields unless told to keep them whole", async () => {
    const ns = (await freshNamespace("inf")).value;
    await createConfigMap(ns, "listed", "1");
    const stripped = startInformer<V1ConfigMap>({
      kubeConfig: kc,
      path: `/api/v1/namespaces/${ns}/configmaps`,
    });
    const whole = startInformer<V1ConfigMap>({
      kubeConfig: kc,
      path: `/api/v1/namespaces/${ns}/configmaps`,
      transform: (obj) => obj,
    });
    await stripped.informer.waitForSync(30_000);
    await whole.informer.waitForSync(30_000);
    await createConfigMap(ns, "watched", "2");
    await waitFor(() => stripped.informer.get(`${ns}/watched`) && whole.informer.get(`${ns}/watched`), {
      timeoutMs: 10_000,
      what: "the add event in both informers",
    });
    for (const name of ["listed", "watched"]) {
      expect(whole.informer.get(`${ns}/${name}`)?.metadata?.managedFields?.length).toBeGreaterThan(0);
      const cached = stripped.informer.get(`${ns}/${name}`);
      expect(cached?.metadata?.managedFields).toBeUndefined();
      expect(cached?.data).toEqual({ value: name === "listed" ? "1" : "2" });
      expect(cached?.metadata?.resourceVersion).toBe(
        whole.informer.get(`${ns}/${name}`)?.metadata?.resourceVersion,
      );
    }
  });

  it("recovers after its connections are broken and catches up on what changed meanwhile", async () => {
    const ns = (await freshNamespace("inf")).value;
    await createConfigMap(ns, "keep", "1");
    await createConfigMap(ns, "change", "1");
    await createConfigMap(ns, "remove", "1");
    const { proxy, kubeConfig } = await TcpProxy.forKubeConfig(kc);
    cleanups.push(() => proxy.close());
    const { informer, recorded, registry } = startInformer<V1ConfigMap>({
      kubeConfig,
      path: `/api/v1/namespaces/${ns}/configmaps`,
      backoff: { initialMs: 200, maxMs: 1000 },
    });
    await informer.waitForSync(30_000);
    await waitFor(() => proxy.connections > 0, { timeoutMs: 10_000, what: "the watch connection" });

    proxy.refuse(); // breaks the watch and keeps the API server unreachable
    await waitFor(
      async () => (await metricValue(registry, "informer_restarts_total", { reason: "error" })) >= 1,
      {
        timeoutMs: 10_000,
        what: "the informer to notice the broken watch",
      },
    );
    await createConfigMap(ns, "new", "1");
    await updateConfigMap(ns, "change", "2");
    await core.deleteNamespacedConfigMap({ namespace: ns, name: "remove" });
    expect(informer.get(`${ns}/new`)).toBeUndefined();

    proxy.open();
    await waitFor(
      () =>
        informer.get(`${ns}/new`) !== undefined &&
        configMapData(informer, `${ns}/change`)?.value === "2" &&
        informer.get(`${ns}/remove`) === undefined,
      { timeoutMs: 20_000, what: "the informer to catch up after the outage" },
    );
    expect(recorded.events).toEqual(expect.arrayContaining(["add new", "update change", "delete remove"]));
    expect(configMapData(informer, `${ns}/keep`)).toEqual({ value: "1" });
  });

  it("restarts a watch that went silent (stalled network) and catches up", async () => {
    const ns = (await freshNamespace("inf")).value;
    const { proxy, kubeConfig } = await TcpProxy.forKubeConfig(kc);
    cleanups.push(() => proxy.close());
    const { informer, registry } = startInformer<V1ConfigMap>({
      kubeConfig,
      path: `/api/v1/namespaces/${ns}/configmaps`,
      stallTimeoutMs: 1500,
    });
    await informer.waitForSync(30_000);
    await waitFor(() => proxy.connections > 0, { timeoutMs: 10_000, what: "the watch connection" });

    proxy.freeze(); // connections stay open but no byte moves: no error, no event, nothing
    await createConfigMap(ns, "during-stall", "1");
    await waitFor(
      async () => (await metricValue(registry, "informer_restarts_total", { reason: "stalled" })) >= 1,
      {
        timeoutMs: 15_000,
        what: "the watchdog to restart the silent watch (before client-node's own 30 s timeout)",
      },
    );
    expect(informer.get(`${ns}/during-stall`)).toBeUndefined();
    proxy.open();
    await waitFor(() => informer.get(`${ns}/during-stall`), {
      timeoutMs: 20_000,
      what: "the informer to catch up after the stall",
    });
  });

  it("relists after 410 Gone and reports objects deleted while it was away", async () => {
    await installWidgetCrd(kc);
    const ns = (await freshNamespace("inf")).value;
    const custom = kc.makeApiClient(CustomObjectsApi);
    const createWidget = (name: string) =>
      custom.createNamespacedCustomObject({
        group: WIDGET.group,
        version: WIDGET.version,
        plural: WIDGET.plural,
        namespace: ns,
        body: { apiVersion: WIDGET.apiVersion, kind: WIDGET.kind, metadata: { name }, spec: { size: 1 } },
      });
    await createWidget("old");
    await createWidget("stays");
    const { proxy, kubeConfig } = await TcpProxy.forKubeConfig(kc);
    cleanups.push(() => proxy.close());
    const { informer, recorded, registry } = startInformer<Widget>({
      kubeConfig,
      path: widgetsPath(ns),
      backoff: { initialMs: 200, maxMs: 1000 },
    });
    await informer.waitForSync(30_000);
    expect(await metricValue(registry, "informer_relists_total", { reason: "initial" })).toBe(1);

    proxy.refuse();
    await custom.deleteNamespacedCustomObject({
      group: WIDGET.group,
      version: WIDGET.version,
      plural: WIDGET.plural,
      namespace: ns,
      name: "old",
    });
    await createWidget("new");
    // Resume from resourceVersion 1, far older than the API server's watch cache for this new CRD:
    // the watch answers 410 Gone ("too old resource version"), which must lead to a fresh list.
    informer.restart("manual", { resourceVersion: "1" });
    proxy.open();

    await waitFor(() => informer.get(`${ns}/new`) !== undefined && informer.get(`${ns}/old`) === undefined, {
      timeoutMs: 20_000,
      what: "the relist after 410 Gone",
    });
    expect(
      await metricValue(registry, "informer_restarts_total", { reason: "expired" }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      await metricValue(registry, "informer_relists_total", { reason: "expired" }),
    ).toBeGreaterThanOrEqual(1);
    expect(recorded.events).toEqual(expect.arrayContaining(["delete old", "add new"]));
    expect(informer.get(`${ns}/stays`)).toBeDefined();
    expect(Number(informer.latestResourceVersion())).toBeGreaterThan(1);
  });

  it("resyncs periodically: relists and re-delivers unchanged objects as updates", async () => {
    const ns = (await freshNamespace("inf")).value;
    await createConfigMap(ns, "steady", "1");
    const { informer, recorded, registry } = startInformer<V1ConfigMap>({
      kubeConfig: kc,
      path: `/api/v1/namespaces/${ns}/configmaps`,
      resyncPeriodMs: 1000,
    });
    await informer.waitForSync(30_000);
    await waitFor(() => recorded.events.includes("resync steady"), {
      timeoutMs: 10_000,
      what: "a resync update for an unchanged object",
    });
    expect(
      await metricValue(registry, "informer_relists_total", { reason: "resync" }),
    ).toBeGreaterThanOrEqual(1);
    expect(informer.get(`${ns}/steady`)).toBeDefined();
  });

  it("keeps delivering when a handler throws", async () => {
    const ns = (await freshNamespace("inf")).value;
    const { informer } = startInformer<V1ConfigMap>({
      kubeConfig: kc,
      path: `/api/v1/namespaces/${ns}/configmaps`,
    });
    const seen: string[] = [];
    informer.on("add", () => {
      throw new Error("handler bug");
    });
    informer.on("add", (obj) => seen.push(obj.metadata?.name ?? ""));
    await informer.waitForSync(30_000);
    await createConfigMap(ns, "one", "1");
    await createConfigMap(ns, "two", "1");
    await waitFor(() => seen.includes("one") && seen.includes("two"), {
      timeoutMs: 10_000,
      what: "both add events despite the throwing handler",
    });
  });

  it("fails waitForSync with a clear error when the API server cannot be reached", async () => {
    const { proxy, kubeConfig } = await TcpProxy.forKubeConfig(kc);
    cleanups.push(() => proxy.close());
    proxy.refuse();
    const { informer } = startInformer<V1ConfigMap>({
      kubeConfig,
      path: "/api/v1/namespaces/default/configmaps",
      backoff: { initialMs: 100, maxMs: 200 },
    });
    await expect(informer.waitForSync(1000)).rejects.toThrow(/did not sync within 1000 ms/);
    expect(informer.hasSynced()).toBe(false);
  });
});
