/**
 * The main job at a small size, as CI runs it: `busca-ativa demo` starts its own local stack, drives a
 * campaign to the end and exits 0 only when every patient is accounted for exactly once.
 */
import { describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";

describe("busca-ativa demo", () => {
  it("completes a campaign of 40 synthetic patients with every count adding up", async () => {
    const result = await runCli(
      ["demo", "--patients", "40", "--time-scale", "0.002", "--timeout", "400", "--json"],
      {
        env: { KUBEBUILDER_ASSETS: process.env.KUBEBUILDER_ASSETS },
        timeoutMs: 480_000,
      },
    );
    expect(result.code, result.stdout.slice(-3000) + result.stderr.slice(-3000)).toBe(0);
    const summary = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as {
      ok: boolean;
      problems: string[];
      status: { phase: string; progress: number; counts: Record<string, number> };
    };
    expect(summary.ok).toBe(true);
    expect(summary.problems).toEqual([]);
    expect(summary.status.phase).toBe("Completed");
    expect(summary.status.progress).toBe(100);
    const c = summary.status.counts;
    expect(c.contacts).toBe(40);
    expect(c.rejectedRows).toBe(3);
    expect(result.stdout).toContain("followupschedule.buscaativa.io/lembretes-demo");
  }, 500_000);
});
