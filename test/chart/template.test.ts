/**
 * `helm template` across the values matrix: the properties every rendering must have, whatever is on.
 * Pure (needs helm only): `TESTENV=off npx vitest run test/chart/template.test.ts`.
 */
import { describe, expect, it } from "vitest";
import { renderChart, type K8sObject } from "./helm.js";
import { MATRIX } from "./matrix.js";
import {
  allContainers,
  byKind,
  containers,
  envOf,
  find,
  grants,
  podTemplates,
  rulesOf,
  selects,
} from "./objects.js";

const rendered = new Map<string, Promise<K8sObject[]>>();
function render(name: string): Promise<K8sObject[]> {
  if (!rendered.has(name)) rendered.set(name, renderChart(MATRIX[name]!));
  return rendered.get(name)!;
}

describe.each(Object.keys(MATRIX))("helm template with values: %s", (name) => {
  it("hardens every pod and container (non-root numeric user, read-only root, no privileges, seccomp)", async () => {
    const objects = await render(name);
    const templates = podTemplates(objects);
    expect(templates.length).toBeGreaterThan(0);
    for (const t of templates) {
      const pod = t.spec.securityContext;
      expect(pod, t.owner).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
      expect(pod.runAsUser, t.owner).toBeGreaterThan(0);
      for (const c of containers(t)) {
        const where = `${c.owner} container ${c.name}`;
        expect(c.securityContext, where).toMatchObject({
          runAsNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
          seccompProfile: { type: "RuntimeDefault" },
        });
        expect(Number.isInteger(c.securityContext.runAsUser) && c.securityContext.runAsUser > 0, where).toBe(
          true,
        );
        expect(c.resources?.requests?.cpu, where).toBeDefined();
        expect(c.resources?.requests?.memory, where).toBeDefined();
        expect(c.resources?.limits?.memory, where).toBeDefined();
      }
    }
  });

  it("gives long-running containers liveness and readiness probes, and product containers a /tmp", async () => {
    const objects = await render(name);
    for (const t of podTemplates(objects)) {
      const longRunning = t.owner.startsWith("Deployment/") || t.owner.startsWith("StatefulSet/");
      for (const c of containers(t)) {
        if (longRunning) {
          expect(c.livenessProbe, `${c.owner} liveness`).toBeDefined();
          expect(c.readinessProbe, `${c.owner} readiness`).toBeDefined();
        }
        if (c.image.includes("busca-ativa") && t.owner.startsWith("Pod/") === false) {
          expect(
            c.volumeMounts?.map((m) => m.mountPath),
            `${c.owner} /tmp`,
          ).toContain("/tmp");
        }
      }
    }
  });

  it("grants no one list or watch on Secrets, and no wildcard anywhere", async () => {
    const objects = await render(name);
    for (const role of [...byKind(objects, "ClusterRole"), ...byKind(objects, "Role")]) {
      for (const rule of rulesOf(role)) {
        const where = `${role.kind}/${role.metadata.name}`;
        expect(grants(rule, "", "secrets", "list"), `${where} lists secrets`).toBe(false);
        expect(grants(rule, "", "secrets", "watch"), `${where} watches secrets`).toBe(false);
        for (const field of [rule.apiGroups, rule.resources, rule.verbs]) {
          expect(field ?? [], `${where} has a wildcard`).not.toContain("*");
        }
      }
    }
  });

  it("has a selector on every Service, PDB and NetworkPolicy that matches a pod template", async () => {
    const objects = await render(name);
    const labels = podTemplates(objects).map((t) => t.labels);
    const selectorOf = (o: K8sObject): Record<string, string> => {
      const spec = o.spec as { selector?: { matchLabels?: Record<string, string> } & Record<string, string> };
      if (o.kind === "Service") return spec.selector as Record<string, string>;
      if (o.kind === "NetworkPolicy")
        return (o.spec as { podSelector: { matchLabels: Record<string, string> } }).podSelector.matchLabels;
      return spec.selector!.matchLabels!;
    };
    for (const o of [
      ...byKind(objects, "Service"),
      ...byKind(objects, "PodDisruptionBudget"),
      ...byKind(objects, "NetworkPolicy"),
    ]) {
      const selector = selectorOf(o);
      expect(Object.keys(selector).length, `${o.kind}/${o.metadata.name}`).toBeGreaterThan(0);
      expect(
        labels.some((l) => selects(selector, l)),
        `${o.kind}/${o.metadata.name} selects no pod`,
      ).toBe(true);
    }
  });

  it("gives the controller, both worker groups and the webhook a PodDisruptionBudget unless disabled", async () => {
    const objects = await render(name);
    const pdbs = byKind(objects, "PodDisruptionBudget").map((o) => o.metadata.name);
    const disabled = name === "pdbs off, fixed replicas";
    for (const component of ["controller", "worker-outbound", "worker-inbound", "webhook"]) {
      const expected = pdbs.some((n) => n.endsWith(`-${component}`));
      expect(expected, component).toBe(!disabled);
    }
  });

  it("keeps worker pods alive longer than their shutdown grace", async () => {
    const objects = await render(name);
    for (const group of ["outbound", "inbound"]) {
      const deployment = find(objects, "Deployment", `busca-ativa-worker-${group}`);
      const [template] = podTemplates([deployment]);
      const [worker] = containers(template!);
      const grace = Number(envOf(worker!).SHUTDOWN_GRACE_SECONDS);
      expect(template!.spec.terminationGracePeriodSeconds).toBeGreaterThan(grace);
      expect(worker!.securityContext).toBeDefined();
    }
  });

  it("renders every product container from the chart's image", async () => {
    const objects = await render(name);
    const product = allContainers(objects).filter((c) => !/redis|postgres/.test(c.image));
    for (const c of product) expect(c.image, c.owner).toMatch(/^ghcr\.io\/busca-ativa\/busca-ativa[:@]/);
  });
});

describe("helm template output", () => {
  it("is the same on every run with default values (manifests/install.yaml can be checked)", async () => {
    const [a, b] = await Promise.all([renderChart({}), renderChart({})]);
    expect(JSON.stringify(a)).toEqual(JSON.stringify(b));
  });
});
