/**
 * `busca-ativa status`, `pause`, `resume` and `cancel` end to end against the test control plane, with
 * statuses written the way the controller writes them (merge patch of /status). No controller runs here:
 * test/cli/real-campaign.test.ts runs them on a campaign of the whole stack.
 */
import * as k8s from "@kubernetes/client-node";
import { beforeAll, describe, expect, it } from "vitest";
import { CAMPAIGN_PLURAL, GROUP, VERSION, type CampaignStatus } from "../../crds/index.js";
import { installCrds } from "../../crds/install.js";
import { mergePatch, mergePatchStatus } from "../../controller/runtime/patch.js";
import { adminKubeConfig, freshNamespace, testEnv } from "../harness/fixtures.js";
import { waitFor } from "../harness/wait.js";
import { createCustomObject, minimalCampaign } from "../api/objects.js";
import { runCli, startCli } from "./run-cli.js";

let kc: k8s.KubeConfig;

beforeAll(async () => {
  kc = adminKubeConfig();
  await installCrds(kc);
});

const env = () => ({ KUBECONFIG: testEnv().kubeconfig });
const ref = (namespace: string, name: string) => ({
  group: GROUP,
  version: VERSION,
  plural: CAMPAIGN_PLURAL,
  namespace,
  name,
});

async function campaignWithStatus(
  namespace: string,
  name: string,
  status: CampaignStatus,
  finalizers?: string[],
) {
  const body = minimalCampaign(name);
  if (finalizers) (body.metadata as Record<string, unknown>).finalizers = finalizers;
  await createCustomObject(kc, namespace, body);
  await mergePatchStatus(kc, ref(namespace, name), status as Record<string, unknown>);
}

async function readSpec(namespace: string, name: string) {
  const obj = (await kc
    .makeApiClient(k8s.CustomObjectsApi)
    .getNamespacedCustomObject(ref(namespace, name))) as {
    spec: { suspend?: boolean };
  };
  return obj.spec;
}

const sending: CampaignStatus = {
  phase: "Sending",
  progress: 40,
  nextSendTime: "2099-01-01T12:00:00Z",
  counts: { contacts: 50, sent: 30, replied: 20, confirmed: 12, declined: 5, noResponse: 3 },
};

describe("busca-ativa status", { timeout: 180_000 }, () => {
  it("shows a progress bar and the counts of each campaign, and JSON that parses", async () => {
    const { value: namespace } = await freshNamespace("cli-status");
    await campaignWithStatus(namespace, "joelho", sending);
    await campaignWithStatus(namespace, "catarata", {
      phase: "Paused",
      pauseReason: "OutsideWindow",
      progress: 0,
    });

    const all = await runCli(["status", "-n", namespace], { env: env() });
    expect(all.code).toBe(0);
    expect(all.stdout).toContain(`${namespace}/joelho  Sending  [##########..............]  40%`);
    expect(all.stdout).toContain(
      "contacts 50 · sent 30 · replied 20 · confirmed 12 · declined 5 · no response 3",
    );
    expect(all.stdout).toContain("next send 2099-01-01 09:00 (in");
    expect(all.stdout).toContain(
      `${namespace}/catarata  Paused (OutsideWindow)  [........................]   0%`,
    );
    // Sorted by name: catarata first.
    expect(all.stdout.indexOf("catarata")).toBeLessThan(all.stdout.indexOf("joelho"));

    const json = await runCli(["status", "-n", namespace, "--json"], { env: env() });
    const list = JSON.parse(json.stdout) as { name: string; status: CampaignStatus }[];
    expect(list.map((c) => c.name)).toEqual(["catarata", "joelho"]);
    expect(list[1]!.status.counts?.confirmed).toBe(12);

    const one = await runCli(["status", "joelho", "-n", namespace, "--json"], { env: env() });
    expect(JSON.parse(one.stdout)).toMatchObject({
      namespace,
      name: "joelho",
      suspend: false,
      status: { progress: 40 },
    });

    const everywhere = await runCli(["status", "-A"], { env: env() });
    expect(everywhere.stdout).toContain(`${namespace}/joelho`);
  });

  it("exits 3 for a campaign that does not exist, and 2 for a name with -A", async () => {
    const { value: namespace } = await freshNamespace("cli-status");
    const missing = await runCli(["status", "nada", "-n", namespace], { env: env() });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain(`CAMPAIGN_NOT_FOUND: Campaign ${namespace}/nada does not exist`);
    expect((await runCli(["status", "nada", "-A"], { env: env() })).code).toBe(2);
    const empty = await runCli(["status", "-n", namespace], { env: env() });
    expect(empty.stdout).toContain(`No campaigns in namespace ${namespace}`);
  });

  it("--watch prints a line per change into a pipe and stops on SIGINT with exit 0", async () => {
    const { value: namespace } = await freshNamespace("cli-status");
    await campaignWithStatus(namespace, "joelho", sending);
    const watch = startCli(["status", "joelho", "-n", namespace, "--watch", "--interval", "0.3"], {
      env: env(),
    });
    await watch.waitForOutput(/joelho {2}Sending {2}\[#+\.+\] 40%/);
    await mergePatchStatus(kc, ref(namespace, "joelho"), {
      progress: 60,
      counts: { ...sending.counts, sent: 35 },
    });
    await watch.waitForOutput(/\] 60% {2}contacts 50 · sent 35/);
    const lines = watch.stdout().trim().split("\n");
    expect(lines).toHaveLength(2);
    watch.signal("SIGINT");
    expect(await watch.exited).toBe(0);
  });
});

describe("busca-ativa pause, resume and cancel", { timeout: 180_000 }, () => {
  it("pause and resume set spec.suspend with a merge patch and say when nothing changed", async () => {
    const { value: namespace } = await freshNamespace("cli-life");
    await campaignWithStatus(namespace, "joelho", sending);

    const paused = await runCli(["pause", "joelho", "-n", namespace, "--json"], { env: env() });
    expect(paused.code).toBe(0);
    expect(JSON.parse(paused.stdout)).toEqual({ namespace, name: "joelho", suspend: true, changed: true });
    expect((await readSpec(namespace, "joelho")).suspend).toBe(true);

    const again = await runCli(["pause", "joelho", "-n", namespace], { env: env() });
    expect(again.stdout).toContain("is already paused");

    const resumed = await runCli(["resume", "joelho", "-n", namespace], { env: env() });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`Resumed campaign ${namespace}/joelho`);
    expect((await readSpec(namespace, "joelho")).suspend).toBe(false);

    expect((await runCli(["pause", "nada", "-n", namespace], { env: env() })).code).toBe(3);
  });

  it("pause --wait waits for the controller's observedGeneration and times out without one", async () => {
    const { value: namespace } = await freshNamespace("cli-life");
    await campaignWithStatus(namespace, "joelho", { ...sending, observedGeneration: 1 });
    const waiting = runCli(["pause", "joelho", "-n", namespace, "--wait", "--timeout", "60"], { env: env() });
    // Play the controller: observe the new generation once the patch landed.
    await waitFor(async () => (await readSpec(namespace, "joelho")).suspend === true, {
      timeoutMs: 30_000,
      what: "the pause to be applied",
    });
    await mergePatchStatus(kc, ref(namespace, "joelho"), { observedGeneration: 2, phase: "Paused" });
    expect((await waiting).code).toBe(0);

    const timedOut = await runCli(["resume", "joelho", "-n", namespace, "--wait", "--timeout", "1"], {
      env: env(),
    });
    expect(timedOut.code).toBe(1);
    expect(timedOut.stderr).toContain("The controller has not acted on");
  });

  it("cancel asks for --yes without a terminal, deletes with it, and --wait waits for the finalizer", async () => {
    const { value: namespace } = await freshNamespace("cli-life");
    await campaignWithStatus(namespace, "joelho", sending);

    const refused = await runCli(["cancel", "joelho", "-n", namespace], { env: env() });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("pass --yes");
    expect(await readSpec(namespace, "joelho")).toBeDefined();

    const cancelled = await runCli(["cancel", "joelho", "-n", namespace, "--yes", "--wait", "--json"], {
      env: env(),
    });
    expect(cancelled.code).toBe(0);
    expect(JSON.parse(cancelled.stdout)).toEqual({ namespace, name: "joelho", deleted: true, gone: true });
    await expect(readSpec(namespace, "joelho")).rejects.toMatchObject({ code: 404 });
    expect((await runCli(["cancel", "joelho", "-n", namespace, "--yes"], { env: env() })).code).toBe(3);

    // A finalizer nobody removes: --wait gives up with a hint and exit 1.
    await campaignWithStatus(namespace, "preso", sending, ["buscaativa.io/test-hold"]);
    const stuck = await runCli(["cancel", "preso", "-n", namespace, "--yes", "--wait", "--timeout", "1"], {
      env: env(),
    });
    expect(stuck.code).toBe(1);
    expect(stuck.stderr).toContain("still there after 1s (finalizers: buscaativa.io/test-hold)");
    const deleting = await runCli(["status", "preso", "-n", namespace], { env: env() });
    expect(deleting.stdout).toContain("Deleting");
    await mergePatch(kc, ref(namespace, "preso"), { metadata: { finalizers: null } });
  });
});
