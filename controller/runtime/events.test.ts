import { beforeAll, describe, expect, it } from "vitest";
import { CoreV1Api, EventsV1Api, type KubeConfig, type V1ConfigMap } from "@kubernetes/client-node";
import { adminKubeConfig, freshNamespace } from "../../test/harness/fixtures.js";
import { createLogger } from "../../lib/logger.js";
import { AppError } from "../../lib/errors.js";
import { EventRecorder, referenceTo, type EventRecorderOptions } from "./events.js";
import { FakeClock } from "./fake-clock.js";

const logger = createLogger({ component: "events-test", level: process.env.TEST_LOG_LEVEL ?? "silent" });

describe("EventRecorder against the API server", () => {
  let kc: KubeConfig;
  let eventsApi: EventsV1Api;
  let core: CoreV1Api;
  beforeAll(() => {
    kc = adminKubeConfig();
    eventsApi = kc.makeApiClient(EventsV1Api);
    core = kc.makeApiClient(CoreV1Api);
  });

  async function subject(): Promise<V1ConfigMap> {
    const namespace = (await freshNamespace("ev")).value;
    const cm = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: "subject" } } });
    return { ...cm, apiVersion: "v1", kind: "ConfigMap" };
  }

  const recorder = (extra: Partial<EventRecorderOptions> = {}) =>
    new EventRecorder({
      kubeConfig: kc,
      reportingController: "buscaativa.io/controller",
      reportingInstance: "test-pod",
      logger,
      ...extra,
    });

  const listEvents = async (namespace: string) => (await eventsApi.listNamespacedEvent({ namespace })).items;

  it("creates an events.k8s.io/v1 Event about the object with what it was given, and nothing more", async () => {
    const cm = await subject();
    const events = recorder();
    await events.record(cm, {
      type: "Warning",
      reason: "ProviderUnavailable",
      action: "Pause",
      note: "campaign c-1 paused",
    });
    const [event, ...rest] = await listEvents(cm.metadata?.namespace as string);
    expect(rest).toEqual([]);
    expect(event).toMatchObject({
      type: "Warning",
      reason: "ProviderUnavailable",
      action: "Pause",
      note: "campaign c-1 paused",
      reportingController: "buscaativa.io/controller",
      reportingInstance: "test-pod",
      regarding: {
        apiVersion: "v1",
        kind: "ConfigMap",
        name: "subject",
        namespace: cm.metadata?.namespace,
        uid: cm.metadata?.uid,
      },
    });
    expect(event?.series).toBeUndefined();
    expect(event?.metadata?.name).toMatch(/^subject\.[0-9a-f]+$/);
  });

  it("folds repeats of the same event into one Event with a series count", async () => {
    const cm = await subject();
    const ns = cm.metadata?.namespace as string;
    const events = recorder({ seriesFlushIntervalMs: 3_600_000 });
    const same = {
      type: "Normal",
      reason: "QuotaReached",
      action: "Pace",
      note: "daily quota of 500 reached",
    } as const;
    for (let i = 0; i < 5; i++) await events.record(cm, same);
    await events.record(cm, { ...same, note: "daily quota of 600 reached" });
    let list = await listEvents(ns);
    expect(list).toHaveLength(2);
    const folded = list.find((e) => e.note === same.note);
    // The 2nd occurrence is written at once; later ones wait for the flush interval.
    expect(folded?.series?.count).toBe(2);
    await events.flush();
    list = await listEvents(ns);
    expect(list).toHaveLength(2);
    expect(list.find((e) => e.note === same.note)?.series?.count).toBe(5);
    expect(list.find((e) => e.note !== same.note)?.series).toBeUndefined();
    await events.stop();
  });

  it("starts a new Event when the repeat comes after the series window", async () => {
    const cm = await subject();
    const clock = new FakeClock(Date.now());
    const events = recorder({ clock, seriesWindowMs: 60_000 });
    const same = { type: "Normal", reason: "Resumed", action: "Resume", note: "campaign resumed" } as const;
    await events.record(cm, same);
    clock.advance(61_000);
    await events.record(cm, same);
    expect(await listEvents(cm.metadata?.namespace as string)).toHaveLength(2);
  });

  it("refuses a reason that is not CamelCase, without writing anything", async () => {
    const cm = await subject();
    const events = recorder();
    await expect(
      events.record(cm, { type: "Normal", reason: "not camel", action: "Pace", note: "" }),
    ).rejects.toThrow(AppError);
    await expect(events.record(cm, { type: "Normal", reason: "Fine", action: "", note: "" })).rejects.toThrow(
      /action must be CamelCase/,
    );
    expect(await listEvents(cm.metadata?.namespace as string)).toEqual([]);
  });

  it("never fails the caller when the API server refuses the Event", async () => {
    const events = recorder();
    const missingNamespace = {
      apiVersion: "v1",
      kind: "ConfigMap",
      name: "x",
      namespace: "no-such-namespace-here",
    };
    await expect(
      events.record(missingNamespace, { type: "Normal", reason: "Anything", action: "Test", note: "n" }),
    ).resolves.toBeUndefined();
  });

  it("cuts a note longer than 1 kB", async () => {
    const cm = await subject();
    const events = recorder();
    await events.record(cm, { type: "Normal", reason: "LongNote", action: "Test", note: "x".repeat(5000) });
    const [event] = await listEvents(cm.metadata?.namespace as string);
    expect(Buffer.byteLength(event?.note ?? "")).toBeLessThanOrEqual(1024);
    expect(event?.note?.endsWith("...")).toBe(true);
  });

  it("referenceTo needs apiVersion, kind and name", () => {
    expect(() => referenceTo({ metadata: { name: "x" } })).toThrow(/apiVersion, kind and metadata.name/);
  });
});
