/**
 * `helm lint --strict` with the default values and every entry of the values matrix, and the NOTES each
 * mode prints. Pure (needs helm only): `TESTENV=off npx vitest run test/chart/lint.test.ts`.
 */
import { describe, expect, it } from "vitest";
import { CHART_DIR, helm, lint, valuesFile } from "./helm.js";
import { MATRIX } from "./matrix.js";

describe("helm lint --strict", () => {
  it.each(Object.keys(MATRIX))("passes with values: %s", async (name) => {
    const result = await lint(MATRIX[name]!);
    expect(result.stdout + result.stderr).toContain("1 chart(s) linted, 0 chart(s) failed");
    expect(result.code).toBe(0);
  });
});

describe("NOTES.txt", () => {
  async function notes(values: Record<string, unknown>): Promise<string> {
    const result = await helm([
      "install",
      "busca-ativa",
      CHART_DIR,
      "--dry-run=client",
      "--namespace",
      "busca-ativa",
      "-f",
      valuesFile(values),
    ]);
    expect(result.code, result.stderr).toBe(0);
    return result.stdout.slice(result.stdout.indexOf("NOTES:"));
  }

  it("marks evaluation mode as not for production and names the sandbox URL", async () => {
    const text = await notes(MATRIX.evaluation!);
    expect(text).toContain("EVALUATION MODE: NOT FOR PRODUCTION");
    expect(text).toContain("http://busca-ativa-sandbox.busca-ativa.svc:8080");
  });

  it("tells a production install which Secrets must exist and where followup CronJobs can run", async () => {
    const text = await notes({ followup: { namespaces: ["team-a"], envSecret: { copy: false } } });
    expect(text).not.toContain("EVALUATION MODE");
    expect(text).toContain('Secret "busca-ativa-connections" must exist');
    expect(text).toContain("creates only in: busca-ativa, team-a");
  });
});
