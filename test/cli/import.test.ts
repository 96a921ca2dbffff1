/**
 * `busca-ativa import` end to end: a real subprocess against a fresh migrated PostgreSQL database.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshMigratedDatabase } from "../db.js";
import type { Disposable } from "../harness/fixtures.js";
import {
  syntheticCsv,
  syntheticExpectations,
  syntheticRow,
  writeSyntheticXlsxFile,
} from "../patient-lists.js";
import { endPool } from "./db.js";
import { runCli } from "./run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "cli-import-"));
let database: Disposable<string>;
let pool: pg.Pool;

beforeAll(async () => {
  database = await freshMigratedDatabase();
  pool = new pg.Pool({ connectionString: database.value, max: 2 });
});

afterAll(async () => {
  if (pool) await endPool(pool, database.value);
  await database?.dispose();
});

const env = () => ({ DATABASE_URL: database.value });

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function storedList(namespace: string, name: string) {
  const { rows } = await pool.query(
    "SELECT format, content, checksum, report FROM patient_lists WHERE namespace = $1 AND name = $2",
    [namespace, name],
  );
  return rows[0] as
    { format: string; content: Buffer; checksum: string; report: Record<string, unknown> } | undefined;
}

describe("busca-ativa import", { timeout: 180_000 }, () => {
  it("checks a CSV like a campaign import, stores the file, and prints counts but no patient data", async () => {
    const csv = syntheticCsv(100);
    const path = file("fila.csv", csv);
    const result = await runCli(["import", path, "--name", "fila-ortopedia", "-n", "hospital-a", "--json"], {
      env: env(),
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as {
      stored: string;
      namespace: string;
      report: {
        rows: { accepted: number; rejected: number };
        rejectedByReason: Record<string, number>;
        phones: { total: number; optedOut: number };
      };
    };
    const expected = syntheticExpectations(100);
    expect(out).toMatchObject({ stored: "created", namespace: "hospital-a" });
    expect(out.report.rows).toMatchObject({ accepted: expected.accepted, rejected: expected.rejected });
    expect(out.report.rejectedByReason).toEqual(expected.rejectedByReason);
    expect(out.report.phones).toMatchObject({ total: expected.phones, optedOut: 0 });

    const stored = await storedList("hospital-a", "fila-ortopedia");
    expect(stored?.format).toBe("csv");
    expect(stored?.content.equals(Buffer.from(csv))).toBe(true);
    expect(stored?.checksum).toBe(createHash("sha256").update(csv).digest("hex"));
    expect(stored?.report).toMatchObject({ rows: { accepted: expected.accepted } });

    for (let i = 0; i < 10; i++) {
      const row = syntheticRow(i);
      const mobile = `9${String(i).padStart(8, "0")}`;
      if (row.name) expect(result.stdout).not.toContain(row.name);
      expect(result.stdout).not.toContain(`${mobile.slice(0, 5)}-${mobile.slice(5)}`);
      expect(result.stdout).not.toContain(`85${mobile}`);
    }
  });

  it("prints the report for people, counts opted-out numbers, and replaces a list of the same name", async () => {
    const namespace = "hospital-b";
    await pool.query(
      "INSERT INTO opt_outs (namespace, e164, source) VALUES ($1, '+5585987654321', 'operator')",
      [namespace],
    );
    const one = file(
      "one.csv",
      "nome;telefone\nAna;(85) 98765-4321\nBia;(85) 98765-1111\n;(85) 98765-2222\n",
    );
    const first = await runCli(["import", one, "--name", "lista", "-n", namespace], { env: env() });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("Rows: 3 read, 2 accepted, 1 rejected");
    expect(first.stdout).toContain("rejected EMPTY_NAME: 1");
    expect(first.stdout).toContain("1 opted out in this namespace");
    expect(first.stdout).toContain(`Stored list ${namespace}/lista`);
    expect(first.stdout).toContain("spec.audience.listRef.name: lista");
    expect(first.stdout).not.toMatch(/Ana|Bia|98765/);

    const again = await runCli(["import", one, "--name", "lista", "-n", namespace, "--json"], { env: env() });
    expect(JSON.parse(again.stdout).stored).toBe("unchanged");

    const xlsx = join(dir, "lista.xlsx");
    await writeSyntheticXlsxFile(xlsx, 20);
    const replaced = await runCli(["import", xlsx, "--name", "lista", "-n", namespace, "--json"], {
      env: env(),
    });
    expect(replaced.code).toBe(0);
    expect(JSON.parse(replaced.stdout)).toMatchObject({ stored: "replaced", report: { format: "xlsx" } });
    const stored = await storedList(namespace, "lista");
    expect(stored?.format).toBe("xlsx");
    expect(stored?.content.equals(readFileSync(xlsx))).toBe(true);
  });

  it("reads custom headers with --map and records the mapping", async () => {
    const path = file("custom.csv", "Pessoa;Numero WhatsApp\nAna;(85) 98765-4321\n");
    const without = await runCli(["import", path, "--name", "custom", "-n", "hospital-c"], { env: env() });
    expect(without.code).toBe(1);
    expect(without.stderr).toContain("IMPORT_MISSING_COLUMNS");
    expect(await storedList("hospital-c", "custom")).toBeUndefined();

    const mapped = await runCli(
      ["import", path, "--name", "custom", "-n", "hospital-c", "--map", "name=Pessoa,phone=Numero WhatsApp"],
      { env: env() },
    );
    expect(mapped.code).toBe(0);
    expect(mapped.stdout).toContain(
      'spec.audience.columnMapping: {"name":["Pessoa"],"phone":["Numero WhatsApp"]}',
    );
    expect((await storedList("hospital-c", "custom"))?.report).toMatchObject({
      columnMapping: { name: ["Pessoa"], phone: ["Numero WhatsApp"] },
    });
  });

  it("stores nothing and fails when no row can be imported", async () => {
    const path = file("bad.csv", "nome;telefone\nAna;123\n;(85) 98765-4321\n");
    const result = await runCli(["import", path, "--name", "bad", "-n", "hospital-d"], { env: env() });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("IMPORT_NO_ACCEPTED_ROWS");
    expect(result.stdout).toContain("2 rejected");
    expect(await storedList("hospital-d", "bad")).toBeUndefined();
  });

  it.each([
    [["import", "x.csv", "--name", "Not_A_Name"], 2, /--name "Not_A_Name"/],
    [["import", "/nonexistent/fila.csv", "--name", "ok"], 2, /cannot read \/nonexistent\/fila.csv: ENOENT/],
    [["import", "x.csv"], 2, /required option '--name <list>'/],
    [["import", "x.csv", "--name", "ok", "--format", "pdf"], 2, /--format must be one of auto, csv, xlsx/],
  ])("refuses %j with exit %i", async (args, code, message) => {
    const result = await runCli(args, { env: env() });
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
  });

  it("needs DATABASE_URL (exit 2, naming the variable)", async () => {
    const path = file("ok.csv", "nome;telefone\nAna;(85) 98765-4321\n");
    const result = await runCli(["import", path, "--name", "ok"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("DATABASE_URL");
  });
});
