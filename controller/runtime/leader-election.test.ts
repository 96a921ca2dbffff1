import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { CoordinationV1Api, type KubeConfig } from "@kubernetes/client-node";
import { Registry } from "prom-client";
import { adminKubeConfig, freshNamespace } from "../../test/harness/fixtures.js";
import { waitFor } from "../../test/harness/wait.js";
import { createLogger } from "../../lib/logger.js";
import { AppError } from "../../lib/errors.js";
import {
  LeaderElector,
  validateLeaderElectionTimings,
  type LeaderElectorOptions,
  type LeadershipEnd,
} from "./leader-election.js";
import { TcpProxy } from "./testing/tcp-proxy.js";
import { metricValue } from "./testing/metrics.js";

const logger = createLogger({ component: "leader-test", level: process.env.TEST_LOG_LEVEL ?? "silent" });

/** Short timings so the tests run in seconds; the invariant still holds (2 + 0.5 < 3). */
const FAST = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 };

interface Candidate {
  elector: LeaderElector;
  stop: AbortController;
  leading: () => boolean;
  startedAt: number[];
  stoppedAt: number[];
  done: Promise<LeadershipEnd>;
  registry: Registry;
}

const running: Candidate[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) {
    c.stop.abort();
    await c.done.catch(() => undefined);
  }
});

function candidate(
  kubeConfig: KubeConfig,
  namespace: string,
  identity: string,
  extra: Partial<LeaderElectorOptions> = {},
): Candidate {
  const stop = new AbortController();
  const registry = new Registry();
  let leading = false;
  const startedAt: number[] = [];
  const stoppedAt: number[] = [];
  const elector = new LeaderElector({
    kubeConfig,
    namespace,
    name: "runtime-test-lock",
    identity,
    logger,
    registry,
    ...FAST,
    onStartedLeading: () => {
      leading = true;
      startedAt.push(Date.now());
    },
    onStoppedLeading: () => {
      leading = false;
      stoppedAt.push(Date.now());
    },
    ...extra,
  });
  const c: Candidate = {
    elector,
    stop,
    leading: () => leading,
    startedAt,
    stoppedAt,
    done: elector.run(stop.signal),
    registry,
  };
  running.push(c);
  return c;
}

describe("validateLeaderElectionTimings", () => {
  it.each([
    { timings: {}, ok: true },
    { timings: FAST, ok: true },
    {
      timings: { renewDeadlineMs: 13_000 },
      error: /renewDeadlineMs \+ retryPeriodMs must be less than leaseDurationMs/,
    },
    {
      timings: { leaseDurationMs: 12_000 },
      error: /renewDeadlineMs \+ retryPeriodMs must be less than leaseDurationMs/,
    },
    {
      timings: { retryPeriodMs: 9000, leaseDurationMs: 30_000 },
      error: /renewDeadlineMs must be more than 1.2 × retryPeriodMs/,
    },
    { timings: { retryPeriodMs: 0 }, error: /retryPeriodMs must be above 0/ },
    {
      timings: { leaseDurationMs: 500, renewDeadlineMs: 300, retryPeriodMs: 100 },
      error: /leaseDurationMs must be at least 1000/,
    },
  ])("$timings", ({ timings, ok, error }) => {
    if (ok) {
      expect(validateLeaderElectionTimings(timings)).toMatchObject({ leaseDurationMs: expect.any(Number) });
      return;
    }
    expect(() => validateLeaderElectionTimings(timings)).toThrow(error);
    expect(() => validateLeaderElectionTimings(timings)).toThrow(AppError);
  });

  it("defaults to controller-runtime's 15 s / 10 s / 2 s", () => {
    expect(validateLeaderElectionTimings({})).toEqual({
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
    });
  });
});

describe("LeaderElector against the API server", () => {
  let kc: KubeConfig;
  let leases: CoordinationV1Api;
  beforeAll(() => {
    kc = adminKubeConfig();
    leases = kc.makeApiClient(CoordinationV1Api);
  });

  const readLease = (namespace: string) =>
    leases.readNamespacedLease({ namespace, name: "runtime-test-lock" });

  it("lets exactly one of two candidates lead, and records it on the Lease", async () => {
    const ns = (await freshNamespace("le")).value;
    const a = candidate(kc, ns, "a");
    const b = candidate(kc, ns, "b");
    const leader = await waitFor(() => (a.leading() ? a : b.leading() ? b : undefined), {
      timeoutMs: 20_000,
      what: "a leader",
    });
    const follower = leader === a ? b : a;
    const lease = await readLease(ns);
    expect(lease.spec?.holderIdentity).toBe(leader.elector.identity);
    expect(lease.spec?.leaseDurationSeconds).toBe(3);
    expect(String(lease.spec?.renewTime)).toMatch(/\.\d{6}Z$/);
    const renewBefore = String(lease.spec?.renewTime);
    await waitFor(async () => String((await readLease(ns)).spec?.renewTime) !== renewBefore, {
      timeoutMs: 5_000,
      what: "the leader to renew",
    });
    // The follower's first try may come late on a loaded machine; it must then see the leader, not take over.
    await waitFor(() => follower.elector.currentLeader() === leader.elector.identity, {
      timeoutMs: 5_000,
      what: "the follower to see the leader",
    });
    // Several renew periods later, still exactly one leader, and it never changed.
    expect(follower.leading()).toBe(false);
    expect(follower.startedAt).toEqual([]);
    expect(leader.leading()).toBe(true);
    expect(leader.startedAt).toHaveLength(1);
    expect(await metricValue(leader.registry, "leader_election_master_status")).toBe(1);
    expect(await metricValue(follower.registry, "leader_election_master_status")).toBe(0);
  });

  it("hands over at once when the leader stops and releases the Lease", async () => {
    const ns = (await freshNamespace("le")).value;
    // A long lease: without the release the follower would wait 15 s; the 5 s deadline proves the release.
    const slow = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 500 };
    const a = candidate(kc, ns, "a", slow);
    await waitFor(() => a.leading(), { timeoutMs: 20_000, what: "a to lead" });
    const b = candidate(kc, ns, "b", slow);
    await waitFor(() => b.elector.currentLeader() === "a", { timeoutMs: 5_000, what: "b to see a leading" });

    a.stop.abort();
    expect(await a.done).toBe("cancelled");
    expect(a.leading()).toBe(false);
    const released = await readLease(ns);
    expect(released.spec?.holderIdentity ?? "").toBe("");
    expect(released.spec?.leaseDurationSeconds).toBe(1);

    await waitFor(() => b.leading(), { timeoutMs: 5_000, what: "b to take over the released Lease" });
    expect((await readLease(ns)).spec?.leaseTransitions).toBe(1);
  });

  it("takes over within leaseDuration + retryPeriod when the leader dies without releasing", async () => {
    const ns = (await freshNamespace("le")).value;
    const a = candidate(kc, ns, "a", { releaseOnCancel: false });
    await waitFor(() => a.leading(), { timeoutMs: 20_000, what: "a to lead" });
    const b = candidate(kc, ns, "b");
    await waitFor(() => b.elector.currentLeader() === "a", { timeoutMs: 5_000, what: "b to see a leading" });

    a.stop.abort(); // a stops renewing and leaves the Lease held, like a killed process
    expect(await a.done).toBe("cancelled");
    expect((await readLease(ns)).spec?.holderIdentity).toBe("a");
    await waitFor(() => b.leading(), { timeoutMs: 20_000, what: "b to take over the expired Lease" });
    expect((await readLease(ns)).spec?.holderIdentity).toBe("b");
  });

  it("stops leading when it cannot renew, and another candidate takes over", async () => {
    const ns = (await freshNamespace("le")).value;
    const { proxy, kubeConfig } = await TcpProxy.forKubeConfig(kc);
    try {
      const a = candidate(kubeConfig, ns, "a");
      await waitFor(() => a.leading(), { timeoutMs: 20_000, what: "a to lead" });
      const b = candidate(kc, ns, "b");
      proxy.refuse(); // a can no longer reach the API server
      expect(await a.done).toBe("lost");
      expect(a.leading()).toBe(false);
      expect(a.stoppedAt).toHaveLength(1);
      await waitFor(() => b.leading(), { timeoutMs: 20_000, what: "b to take over" });
      // a stopped leading before b started: never two leaders at once.
      expect(a.stoppedAt[0]).toBeLessThanOrEqual(b.startedAt[0] as number);
    } finally {
      await proxy.close();
    }
  });

  it("stops leading when a renewal request hangs (frozen network), thanks to the request timeout", async () => {
    const ns = (await freshNamespace("le")).value;
    const { proxy, kubeConfig } = await TcpProxy.forKubeConfig(kc);
    try {
      const a = candidate(kubeConfig, ns, "a");
      await waitFor(() => a.leading(), { timeoutMs: 20_000, what: "a to lead" });
      proxy.freeze();
      expect(await a.done).toBe("lost");
    } finally {
      await proxy.close();
    }
  });

  it("steps down and rethrows when the leader's work fails", async () => {
    const ns = (await freshNamespace("le")).value;
    const a = candidate(kc, ns, "a", {
      onStartedLeading: async () => {
        throw new Error("caches did not sync");
      },
    });
    await expect(a.done).rejects.toThrow("caches did not sync");
    const lease = await readLease(ns);
    expect(lease.spec?.holderIdentity ?? "").toBe("");
  });
});
