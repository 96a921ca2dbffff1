/**
 * Two controller processes (real subprocesses of the CLI): one leads; when it is killed with SIGKILL
 * (no chance to release its Lease), the other takes over within 20 s and finishes the campaign.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as k8s from "@kubernetes/client-node";
import { REPO_ROOT } from "../harness/tools.js";
import { testEnv } from "../harness/fixtures.js";
import { waitFor } from "../harness/wait.js";
import { startLocalStack, syntheticList, uniqueName, type LocalStack } from "../e2e/stack.js";

let stack: LocalStack;
const children: ChildProcess[] = [];

function startController(podName: string): ChildProcess {
  // One process (node with tsx's loader), so that SIGKILL reaches the controller itself: the tsx launcher
  // would leave its child running.
  const child = spawn(
    `${REPO_ROOT}/node_modules/.bin/node`,
    ["--import", "tsx", "cli/main.ts", "controller"],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        ...stack.env,
        KUBECONFIG: testEnv().kubeconfig,
        LEADER_ELECTION: "true",
        POD_NAME: podName,
        POD_NAMESPACE: stack.namespace,
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  children.push(child);
  return child;
}

async function leaseHolder(): Promise<string | undefined> {
  const api = stack.kc.makeApiClient(k8s.CoordinationV1Api);
  try {
    const lease = await api.readNamespacedLease({
      name: "busca-ativa-controller",
      namespace: stack.namespace,
    });
    return lease.spec?.holderIdentity || undefined;
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  stack = await startLocalStack({
    controller: false,
    timeScale: 0.02,
    sandbox: {
      patients: {
        shares: { yes: 1, no: 0, unknown: 0, optOut: 0, freeText: 0, silence: 0 },
        replyDelayMs: { min: 50, max: 200 },
      },
    },
  });
}, 120_000);

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await stack?.stop();
});

describe("leader election", () => {
  it("has one leader, and the other takes over within 20 s when the leader is killed", async () => {
    const processes = {
      "controller-a": startController("controller-a"),
      "controller-b": startController("controller-b"),
    };
    const first = await waitFor(leaseHolder, { timeoutMs: 60_000, what: "a leader to be elected" });
    expect(Object.keys(processes)).toContain(first);

    const name = uniqueName("failover");
    await stack.createCampaign(name, syntheticList(20, 4000));
    await waitFor(async () => ((await stack.campaignStatus(name))?.counts?.sent ?? 0) >= 1, {
      timeoutMs: 90_000,
      what: "the leader to start the campaign",
    });

    const killedAt = Date.now();
    processes[first as keyof typeof processes].kill("SIGKILL");
    const second = await waitFor(
      async () => {
        const holder = await leaseHolder();
        return holder && holder !== first ? holder : undefined;
      },
      { timeoutMs: 30_000, what: "the standby to take the lease", intervalMs: 200 },
    );
    const takeoverMs = Date.now() - killedAt;
    expect(second).not.toBe(first);
    expect(takeoverMs).toBeLessThan(20_000);

    await waitFor(
      async () => {
        const status = await stack.campaignStatus(name);
        return status?.phase === "Completed" && status.counts?.confirmed === 20;
      },
      { timeoutMs: 120_000, what: "the new leader to finish the campaign", intervalMs: 500 },
    );
    const received = await stack.sandbox.client.receivedCounts();
    expect(received.duplicates).toEqual([]);
  }, 240_000);
});
