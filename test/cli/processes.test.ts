/**
 * The CLI's process commands run end to end as real subprocesses: they start, serve their health endpoints,
 * and stop cleanly on SIGTERM; migrate and followup run do their one job; bad configuration stops a process
 * with a message naming the variable.
 */
import { describe, expect, it } from "vitest";
import * as k8s from "@kubernetes/client-node";
import { installCrds } from "../../crds/install.js";
import { FOLLOW_UP_SCHEDULE_PLURAL, GROUP, VERSION } from "../../crds/index.js";
import { adminKubeConfig, freshDatabase, freshNamespace, redisPrefix, testEnv } from "../harness/fixtures.js";
import { freePort } from "../harness/ports.js";
import { waitFor } from "../harness/wait.js";
import { freshMigratedDatabase } from "../db.js";
import { runCli, startCli } from "./run-cli.js";

async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url).catch(() => undefined);
  return res?.ok === true;
}

describe("busca-ativa migrate", () => {
  it("applies every migration, then finds nothing to do", async () => {
    const { value: url } = await freshDatabase();
    const first = await runCli(["migrate", "--json"], { env: { DATABASE_URL: url } });
    expect(first.code).toBe(0);
    expect((JSON.parse(first.stdout) as { applied: string[] }).applied.length).toBeGreaterThanOrEqual(4);
    const second = await runCli(["migrate"], { env: { DATABASE_URL: url } });
    expect(second.stdout).toContain("up to date");
  });

  it("stops with exit 2 and names the variable when DATABASE_URL is wrong", async () => {
    const result = await runCli(["migrate"], { env: { DATABASE_URL: "mysql://nope" } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("DATABASE_URL");
  });
});

describe("long-running processes", () => {
  it.each([
    ["worker", ["worker", "--groups", "all"], "HEALTH_PORT", "/healthz"],
    ["webhook", ["webhook"], "WEBHOOK_PORT", "/readyz"],
    ["controller", ["controller"], "HEALTH_PORT", "/readyz"],
    ["sandbox", ["sandbox"], "SANDBOX_PORT", "/__control/health"],
  ])(
    "%s starts, answers its health endpoint and stops on SIGTERM",
    async (_name, args, portVariable, path) => {
      const { value: databaseUrl } = await freshMigratedDatabase();
      const { value: namespace } = await freshNamespace("cli");
      await installCrds(adminKubeConfig());
      const port = await freePort();
      const child = startCli(args, {
        env: {
          DATABASE_URL: databaseUrl,
          REDIS_URL: testEnv().redisUrl,
          QUEUE_PREFIX: redisPrefix("cli"),
          KUBECONFIG: testEnv().kubeconfig,
          LEADER_ELECTION: "false",
          WATCH_NAMESPACES: namespace,
          POD_NAMESPACE: namespace,
          [portVariable]: String(port),
        },
      });
      try {
        await waitFor(() => httpOk(`http://127.0.0.1:${port}${path}`), {
          timeoutMs: 60_000,
          what: `${args[0]} to answer ${path} (stderr: ${child.stderr()})`,
          intervalMs: 250,
        });
        child.signal("SIGTERM");
        expect(await child.exited).toBe(0);
      } finally {
        child.signal("SIGKILL");
      }
    },
    120_000,
  );
});

describe("configuration errors", () => {
  it("refuses to start a worker without REDIS_URL, naming it", async () => {
    const result = await runCli(["worker"], {
      env: { DATABASE_URL: "postgres://x@127.0.0.1/x", REDIS_URL: "" },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/REDIS_URL: expected a redis:\/\/ or rediss:\/\/ URL/);
  });
});

describe("busca-ativa followup run", () => {
  it("runs one FollowUpSchedule and reports its counts; a missing one exits 3", async () => {
    const kc = adminKubeConfig();
    await installCrds(kc);
    const { value: namespace } = await freshNamespace("fus");
    const { value: databaseUrl } = await freshMigratedDatabase();
    await kc.makeApiClient(k8s.CustomObjectsApi).createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: FOLLOW_UP_SCHEDULE_PLURAL,
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: "FollowUpSchedule",
        metadata: { name: "lembretes" },
        spec: {},
      },
    });
    const env = {
      DATABASE_URL: databaseUrl,
      REDIS_URL: testEnv().redisUrl,
      QUEUE_PREFIX: redisPrefix("fus"),
      KUBECONFIG: testEnv().kubeconfig,
    };
    const result = await runCli(["followup", "run", "--schedule", `${namespace}/lembretes`, "--json"], {
      env,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      schedule: `${namespace}/lembretes`,
      due: 0,
      queued: 0,
    });
    const missing = await runCli(["followup", "run", "--schedule", `${namespace}/nao-existe`], { env });
    expect(missing.code).toBe(3);
  }, 120_000);
});
