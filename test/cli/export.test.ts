/**
 * `busca-ativa export` end to end: a real subprocess reading a seeded PostgreSQL database and writing
 * CSV and XLSX files, checked cell by cell (labels, local times, formula safety).
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import ExcelJS from "exceljs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshMigratedDatabase } from "../db.js";
import type { Disposable } from "../harness/fixtures.js";
import { endPool } from "./db.js";
import { runCli } from "./run-cli.js";
import { FORMULA_NAME, seedCampaignResults, type SeededResults } from "./seed.js";

const dir = mkdtempSync(join(tmpdir(), "cli-export-"));
let database: Disposable<string>;
let pool: pg.Pool;
let seeded: SeededResults;

beforeAll(async () => {
  database = await freshMigratedDatabase();
  pool = new pg.Pool({ connectionString: database.value, max: 2 });
  seeded = await seedCampaignResults(pool, { namespace: "hospital", name: "resultados" });
});

afterAll(async () => {
  if (pool) await endPool(pool, database.value);
  await database?.dispose();
});

const env = () => ({ DATABASE_URL: database.value });
const HEADER = [
  "Nome",
  "Nascimento",
  "Telefones",
  "Procedimento",
  "Status",
  "Enviado",
  "Data Envio",
  "Confirmado",
  "Rejeitado",
  "Resposta",
  "Data Resposta",
  "Erro",
  "Motivo",
  "Sem Resposta",
  "Linha",
];

describe("busca-ativa export", { timeout: 180_000 }, () => {
  it("writes the Celery columns as CSV for Excel pt-BR, formula-safe, in the campaign's time zone", async () => {
    const output = join(dir, "resultados.csv");
    const result = await runCli(["export", "resultados", "-n", "hospital", "--format", "csv", "-o", output], {
      env: env(),
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Exported 8 patients of hospital/resultados (completed) to ${output}`);
    expect(result.stdout).toContain("times in America/Fortaleza");
    expect(result.stdout).not.toMatch(/Maria|Confirmada|HYPERLINK|98765/);
    expect(statSync(output).mode & 0o777).toBe(0o600);

    const bytes = readFileSync(output);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString("utf8");
    expect(text.split("\r\n")[0]).toBe(HEADER.join(";"));
    const rows = parse(text, { delimiter: ";", columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(8);
    const byRow = Object.fromEntries(rows.map((r) => [r.Linha, r]));

    expect(byRow["2"]).toEqual({
      Nome: "Maria Confirmada",
      Nascimento: "12/03/1958",
      Telefones: "(85) 98760-0001, (85) 3360-0001",
      Procedimento: "ARTROPLASTIA",
      Status: "Confirmado",
      Enviado: "Sim",
      "Data Envio": "03/08/2026 08:05",
      Confirmado: "Sim",
      Rejeitado: "Não",
      Resposta: "SIM",
      "Data Resposta": "03/08/2026 10:30",
      Erro: "",
      Motivo: "",
      "Sem Resposta": "Não",
      Linha: "2",
    });
    expect(byRow["3"]).toMatchObject({
      Status: "Rejeitado",
      Rejeitado: "Sim",
      Resposta: "Problemas de saúde",
      Motivo: "Problemas de saúde",
      "Data Resposta": "03/08/2026 10:45",
    });
    expect(byRow["4"]).toMatchObject({ Motivo: "Outro motivo: mudei de cidade", Nascimento: "" });
    expect(byRow["5"]).toMatchObject({ Status: "Sem resposta", "Sem Resposta": "Sim", Resposta: "" });
    expect(byRow["6"]).toMatchObject({
      Status: "Erro no envio",
      Enviado: "Não",
      Erro: "Falha permanente no envio (código 131026)",
    });
    expect(byRow["7"]).toMatchObject({ Nome: `'${FORMULA_NAME}`, Procedimento: "'-2+3" });
    expect(byRow["8"]).toMatchObject({ Status: "Pendente", Enviado: "Não", "Data Envio": "" });
    expect(byRow["10"]).toMatchObject({ Status: "Sem WhatsApp", Erro: "Nenhum telefone com WhatsApp" });
    for (const row of rows) {
      for (const cell of Object.values(row)) expect(cell).not.toMatch(/^[=+\-@]/);
    }
  });

  it("writes XLSX with date cells and the same neutralised texts, and a JSON summary", async () => {
    const output = join(dir, "resultados.xlsx");
    const result = await runCli(
      ["export", "resultados", "-n", "hospital", "--format", "xlsx", "-o", output, "--json-summary"],
      { env: env() },
    );
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({
      namespace: "hospital",
      name: "resultados",
      uid: seeded.uid,
      format: "xlsx",
      rows: 8,
      timeZone: "America/Fortaleza",
      byState: { confirmed: 1, declined: 2, no_response: 1, failed: 1, sent: 1, pending: 1, no_whatsapp: 1 },
    });
    expect(summary.bytes).toBe(statSync(output).size);

    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(output);
    const sheet = workbook.worksheets[0]!;
    expect(sheet.getRow(1).values).toEqual([undefined, ...HEADER]);
    expect(sheet.rowCount).toBe(9);
    const rowOf = (line: number) => {
      for (let r = 2; r <= sheet.rowCount; r++)
        if (sheet.getRow(r).getCell(15).value === line) return sheet.getRow(r);
      throw new Error(`no row ${line}`);
    };
    const confirmed = rowOf(2);
    expect(confirmed.getCell(1).value).toBe("Maria Confirmada");
    expect(confirmed.getCell(2).value).toEqual(new Date(Date.UTC(1958, 2, 12)));
    expect(confirmed.getCell(7).value).toEqual(new Date(Date.UTC(2026, 7, 3, 8, 5)));
    expect(confirmed.getCell(7).numFmt).toBe("dd/mm/yyyy hh:mm");
    const formula = rowOf(7);
    expect(formula.getCell(1).value).toBe(`'${FORMULA_NAME}`);
    expect(formula.getCell(1).formula).toBeUndefined();
    expect(formula.getCell(4).value).toBe("'-2+3");
  });

  it("exports the newest campaign of a reused name unless --uid says which", async () => {
    const older = await seedCampaignResults(pool, {
      namespace: "hospital",
      name: "repetida",
      state: "cancelled",
    });
    await pool.query("UPDATE campaigns SET created_at = now() - interval '1 day' WHERE uid = $1", [
      older.uid,
    ]);
    const newer = await seedCampaignResults(pool, { namespace: "hospital", name: "repetida", series: 1 });
    const output = join(dir, "repetida.csv");
    const newest = await runCli(["export", "repetida", "-n", "hospital", "--format", "csv", "-o", output], {
      env: env(),
    });
    expect(newest.code).toBe(0);
    expect(newest.stdout).toContain(`exported the newest (uid ${newer.uid})`);
    expect(readFileSync(output, "utf8")).toContain("(85) 98761-0001");

    const chosen = await runCli(
      [
        "export",
        "repetida",
        "-n",
        "hospital",
        "--format",
        "csv",
        "-o",
        output,
        "--uid",
        older.uid,
        "--force",
      ],
      { env: env() },
    );
    expect(chosen.code).toBe(0);
    expect(chosen.stdout).toContain("(cancelled)");
    expect(readFileSync(output, "utf8")).toContain("(85) 98760-0001");
  });

  it("exits 3 for an unknown campaign and 2 for bad usage, leaving no file behind", async () => {
    const output = join(dir, "nada.csv");
    const missing = await runCli(["export", "nada", "-n", "hospital", "--format", "csv", "-o", output], {
      env: env(),
    });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain("CAMPAIGN_NOT_FOUND");
    expect(() => statSync(output)).toThrow();

    const exists = join(dir, "existe.csv");
    writeFileSync(exists, "keep");
    const refused = await runCli(
      ["export", "resultados", "-n", "hospital", "--format", "csv", "-o", exists],
      {
        env: env(),
      },
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("pass --force");
    expect(readFileSync(exists, "utf8")).toBe("keep");

    const format = await runCli(["export", "resultados", "--format", "pdf"], { env: env() });
    expect(format.code).toBe(2);
    expect(format.stderr).toContain("--format must be csv or xlsx");
  });
});
