/**
 * The generated files stay in step with their sources: hack/render-manifests.sh --check passes on the
 * repository and, in a scratch copy, fails naming each stale file. The shell scripts pass shellcheck.
 * Pure (needs helm, and shellcheck for the last test): `TESTENV=off npx vitest run test/chart/rendered.test.ts`.
 */
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { REPO_ROOT, kubeTool } from "../harness/tools.js";
import { run } from "./helm.js";

const SCRIPT = "hack/render-manifests.sh";
const scratches: string[] = [];
afterEach(() => {
  for (const dir of scratches.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A copy of what the render script reads and writes, in a temporary folder. */
function scratchRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), "render-"));
  scratches.push(dir);
  for (const path of ["hack/render-manifests.sh", "charts/busca-ativa", "manifests/install.yaml"]) {
    cpSync(join(REPO_ROOT, path), join(dir, path), { recursive: true });
  }
  mkdirSync(join(dir, "crds"));
  cpSync(join(REPO_ROOT, "charts/busca-ativa/crds"), join(dir, "crds"), { recursive: true });
  return dir;
}

function render(dir: string, ...args: string[]) {
  return run("bash", [join(dir, SCRIPT), ...args]);
}

process.env.HELM ??= kubeTool("helm");

describe("hack/render-manifests.sh", () => {
  it("finds the committed chart CRDs and manifests/install.yaml up to date", async () => {
    const result = await render(REPO_ROOT, "--check");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  it("--check fails naming manifests/install.yaml when the chart changed without a render", async () => {
    const dir = scratchRepo();
    const values = join(dir, "charts/busca-ativa/values.yaml");
    writeFileSync(values, readFileSync(values, "utf8").replace("replicas: 2", "replicas: 3"));
    const result = await render(dir, "--check");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("stale: manifests/install.yaml");
  });

  it("--check fails naming the chart's CRD copy when crds/ changed, and a render fixes both", async () => {
    const dir = scratchRepo();
    appendFileSync(join(dir, "crds/campaigns.buscaativa.io.yaml"), "# changed\n");
    const stale = await render(dir, "--check");
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain("stale: charts/busca-ativa/crds/campaigns.buscaativa.io.yaml");
    expect(stale.stderr).toContain("stale: manifests/install.yaml");
    expect((await render(dir)).code).toBe(0);
    expect((await render(dir, "--check")).code).toBe(0);
  });

  it("--check fails naming a CRD copy whose source was removed from crds/", async () => {
    const dir = scratchRepo();
    writeFileSync(
      join(dir, "charts/busca-ativa/crds/gone.buscaativa.io.yaml"),
      "kind: CustomResourceDefinition\n",
    );
    const result = await render(dir, "--check");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("stale: charts/busca-ativa/crds/gone.buscaativa.io.yaml (not in crds/)");
  });
});

const shellcheck = await run("shellcheck", ["--version"]);

describe("shell scripts", () => {
  it.skipIf(shellcheck.code !== 0)("pass shellcheck (skipped when shellcheck is not installed)", async () => {
    const result = await run("shellcheck", [join(REPO_ROOT, SCRIPT), join(REPO_ROOT, "hack/kind-e2e.sh")]);
    expect(result.stdout + result.stderr).toBe("");
    expect(result.code).toBe(0);
  });
});
