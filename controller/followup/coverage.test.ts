import { describe, expect, it } from "vitest";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Campaign } from "../../crds/index.js";
import { coveredCampaigns, followUpCovers } from "./coverage.js";

const schedule = (namespace: string, name: string, spec: unknown = {}) =>
  ({
    apiVersion: "buscaativa.io/v1alpha1",
    kind: "FollowUpSchedule",
    metadata: { namespace, name },
    spec,
  }) as KubernetesObject & {
    spec?: unknown;
  };
const schedules = [
  schedule("a", "por-rotulo", { campaigns: { selector: { matchLabels: { fila: "cirurgica" } } } }),
  schedule("b", "por-nome", { campaigns: { names: ["x"] } }),
];
const informer = {
  list: (namespace?: string) => schedules.filter((s) => s.metadata?.namespace === namespace),
};

describe("followUpCovers (for the Campaign reconciler)", () => {
  it("says whether a schedule of the campaign's own namespace covers it", () => {
    const covers = followUpCovers(informer);
    expect(covers({ metadata: { namespace: "a", name: "c", labels: { fila: "cirurgica" } }, spec: {} })).toBe(
      true,
    );
    expect(covers({ metadata: { namespace: "b", name: "c", labels: { fila: "cirurgica" } }, spec: {} })).toBe(
      false,
    );
    expect(covers({ metadata: { namespace: "b", name: "x" }, spec: {} })).toBe(true);
    expect(
      covers({ metadata: { namespace: "b", name: "x" }, spec: { followUpScheduleRef: { name: "outra" } } }),
    ).toBe(false);
  });

  it("takes a parsed Campaign", () => {
    const fn: (campaign: Campaign) => boolean = followUpCovers(informer);
    expect(typeof fn).toBe("function");
  });
});

describe("coveredCampaigns", () => {
  it("reads names, labels, references and the provider from plain objects", () => {
    const covered = coveredCampaigns({ metadata: { name: "s" }, spec: { campaigns: { names: ["m"] } } }, [
      { metadata: { name: "m" }, spec: { sender: { provider: "meta-cloud" } } },
      { metadata: { name: "n" }, spec: {} },
    ]);
    expect(covered).toEqual([{ metadata: { name: "m" }, spec: { sender: { provider: "meta-cloud" } } }]);
  });
});
