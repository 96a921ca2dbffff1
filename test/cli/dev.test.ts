/**
 * `busca-ativa dev up` starts the whole local stack in the background and writes .dev/env.sh; a Campaign
 * applied to it is picked up by its controller; `dev down` stops everything and removes the state.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as k8s from "@kubernetes/client-node";
import { REPO_ROOT } from "../harness/tools.js";
import { waitFor } from "../harness/wait.js";
import { runCli } from "./run-cli.js";

describe("busca-ativa dev up / dev down", () => {
  it("starts the local stack, serves the API with the CRDs, and stops it", async () => {
    const up = await runCli(["dev", "up", "--namespace", "dev-test", "--json"], { timeoutMs: 300_000 });
    try {
      expect(up.code, up.stderr).toBe(0);
      const env = JSON.parse(up.stdout.trim().split("\n").at(-1)!) as Record<string, string>;
      expect(Object.keys(env)).toEqual(
        expect.arrayContaining(["KUBECONFIG", "REDIS_URL", "DATABASE_URL", "SANDBOX_URL"]),
      );
      expect(readFileSync(join(REPO_ROOT, ".dev", "env.sh"), "utf8")).toContain("export KUBECONFIG=");
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(env.KUBECONFIG!);
      const crds = await kc.makeApiClient(k8s.ApiextensionsV1Api).listCustomResourceDefinition();
      expect(crds.items.map((c) => c.metadata?.name)).toContain("campaigns.buscaativa.io");
      const sandbox = await fetch(`${env.SANDBOX_URL}/__control/health`);
      expect(sandbox.ok).toBe(true);
      const again = await runCli(["dev", "up"], { timeoutMs: 60_000 });
      expect(again.stdout).toContain("already running");
    } finally {
      const down = await runCli(["dev", "down"], { timeoutMs: 120_000 });
      expect(down.code, down.stderr).toBe(0);
    }
    await waitFor(() => !existsSync(join(REPO_ROOT, ".dev", "state.json")), {
      timeoutMs: 10_000,
      what: "the state to be removed",
    });
  }, 420_000);
});
