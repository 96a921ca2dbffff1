import { describe, expect, it } from "vitest";
import { staleFiles } from "./generate.js";
import { CRD_SOURCES, buildCrd } from "./generate/crd.js";
import type { JsonSchema } from "./generate/structural.js";

describe("generated files", () => {
  it("are up to date with the zod schemas (run `npm run generate` when this fails)", () => {
    expect(staleFiles()).toEqual([]);
  });

  it("report a stale file by its path", () => {
    const missing = staleFiles("/nonexistent-root");
    expect(missing).toEqual([
      "crds/campaigns.buscaativa.io.yaml",
      "crds/followupschedules.buscaativa.io.yaml",
      "docs/api.md",
    ]);
  });
});

describe("CRDs", () => {
  const crds = CRD_SOURCES.map((s) => buildCrd(s) as { spec: { versions: Record<string, unknown>[] } });

  it("describe every field", () => {
    for (const crd of crds) {
      const schema = (crd.spec.versions[0]?.schema as { openAPIV3Schema: JsonSchema }).openAPIV3Schema;
      visit(schema, "", (node, path) => {
        if (path.endsWith("]") || path === "") return;
        if (path === ".metadata") return;
        expect(node.description, `${path} has a description`).toEqual(expect.any(String));
      });
    }
  });

  it("have a status subresource and the printer columns, Age last among the default ones", () => {
    const [campaign, schedule] = crds;
    const columns = (crd: (typeof crds)[number]) =>
      (crd.spec.versions[0]?.additionalPrinterColumns as { name: string; priority?: number }[])
        .filter((c) => !c.priority)
        .map((c) => c.name);
    expect(campaign && columns(campaign)).toEqual([
      "Phase",
      "Contacts",
      "Sent",
      "Replied",
      "Confirmed",
      "Progress",
      "Next Send",
      "Age",
    ]);
    expect(schedule && columns(schedule)).toEqual(["Schedule", "Time Zone", "Last Run", "Age"]);
    for (const crd of crds) expect(crd.spec.versions[0]?.subresources).toEqual({ status: {} });
  });
});

function visit(node: JsonSchema, path: string, fn: (node: JsonSchema, path: string) => void): void {
  fn(node, path);
  for (const [name, child] of Object.entries((node.properties as Record<string, JsonSchema>) ?? {})) {
    visit(child, `${path}.${name}`, fn);
  }
  if (node.items) visit(node.items as JsonSchema, `${path}[*]`, fn);
}
