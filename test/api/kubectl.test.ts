/**
 * What a hospital operator types: the generated YAML and the examples go through kubectl (Go's YAML
 * reader, client-side apply), `kubectl get buscaativa` lists both kinds, short names work and
 * `kubectl explain` shows the field descriptions.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installCrds } from "../../crds/install.js";
import { adminKubeConfig, freshNamespace, testEnv } from "../harness/fixtures.js";
import type { Disposable } from "../harness/fixtures.js";
import { kubeTool } from "../harness/tools.js";

const run = promisify(execFile);
const repo = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run(kubeTool("kubectl"), ["--kubeconfig", testEnv().kubeconfig, ...args], {
    timeout: 30_000,
  });
  return stdout;
}

describe("kubectl", () => {
  let namespace: Disposable<string>;

  beforeAll(async () => {
    await installCrds(adminKubeConfig());
    namespace = await freshNamespace("kubectl");
  });
  afterAll(async () => {
    await namespace?.dispose();
  });

  it("reads the generated CRD YAML as the API server expects (server-side dry run)", async () => {
    const out = await kubectl("apply", "--dry-run=server", "-f", repo("crds/"));
    expect(out).toContain("customresourcedefinition.apiextensions.k8s.io/campaigns.buscaativa.io");
    expect(out).toContain("customresourcedefinition.apiextensions.k8s.io/followupschedules.buscaativa.io");
  });

  it("applies the examples and lists both kinds with `kubectl get buscaativa`", async () => {
    await kubectl("apply", "-n", namespace.value, "-f", repo("manifests/examples/"));
    const all = await kubectl("get", "buscaativa", "-n", namespace.value, "-o", "name");
    expect(all.trim().split("\n").sort()).toEqual([
      "campaign.buscaativa.io/fila-cirurgica-ortopedia-2026-08",
      "followupschedule.buscaativa.io/lembretes-fila-cirurgica",
    ]);
    const campaigns = await kubectl("get", "camp", "-n", namespace.value);
    expect(campaigns.split("\n")[0]).toMatch(
      /^NAME\s+PHASE\s+CONTACTS\s+SENT\s+REPLIED\s+CONFIRMED\s+PROGRESS\s+NEXT SEND\s+AGE/,
    );
    const schedules = await kubectl("get", "fus", "-n", namespace.value);
    expect(schedules).toMatch(/lembretes-fila-cirurgica\s+0 9 \* \* 1-5\s+America\/Fortaleza/);
  });

  it("explains fields with the descriptions from the zod schemas", async () => {
    const out = await kubectl("explain", "campaign.spec.schedule.window.end");
    expect(out.replace(/\s+/g, " ")).toContain("An end before the start crosses midnight");
  });
});
