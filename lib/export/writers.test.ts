import { mkdtempSync, readFileSync, createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ExcelJS from "exceljs";
import { describe, expect, it } from "vitest";
import { CsvExportWriter, XlsxExportWriter, csvField } from "./writers.js";

const dir = mkdtempSync(join(tmpdir(), "export-writers-"));

describe("CSV for Excel pt-BR", () => {
  it.each([
    ["plain", "plain"],
    ["a;b", '"a;b"'],
    ['diz "sim"', '"diz ""sim"""'],
    ["linha\nnova", '"linha\nnova"'],
    ["vírgula, ok", "vírgula, ok"],
  ])("field %j is written %j", (text, field) => {
    expect(csvField(text)).toBe(field);
  });

  it("starts with a UTF-8 BOM, separates with ; and ends lines with CRLF", async () => {
    const path = join(dir, "a.csv");
    const writer = await CsvExportWriter.open(createWriteStream(path), ["Nome", "Data Envio"]);
    await writer.writeRow([
      "José; Júnior",
      { kind: "datetime", year: 2026, month: 8, day: 3, hour: 8, minute: 5 },
    ]);
    await writer.close();
    const bytes = readFileSync(path);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.subarray(3).toString("utf8")).toBe('Nome;Data Envio\r\n"José; Júnior";03/08/2026 08:05\r\n');
  });
});

describe("XLSX", () => {
  it("writes a header row, text, numbers and real date cells with the local wall time", async () => {
    const path = join(dir, "a.xlsx");
    const writer = XlsxExportWriter.open(createWriteStream(path), [
      "Nome",
      "Nascimento",
      "Data Envio",
      "Linha",
    ]);
    await writer.writeRow([
      "'=1+1",
      { kind: "date", year: 1958, month: 3, day: 12 },
      { kind: "datetime", year: 2026, month: 8, day: 3, hour: 8, minute: 5 },
      7,
    ]);
    await writer.close();
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(path);
    const sheet = workbook.worksheets[0]!;
    expect(sheet.name).toBe("Resultados");
    expect(sheet.getRow(1).values).toEqual([undefined, "Nome", "Nascimento", "Data Envio", "Linha"]);
    const row = sheet.getRow(2);
    expect(row.getCell(1).value).toBe("'=1+1");
    expect(row.getCell(1).formula).toBeUndefined();
    expect(row.getCell(2).value).toEqual(new Date(Date.UTC(1958, 2, 12)));
    expect(row.getCell(2).numFmt).toBe("dd/mm/yyyy");
    expect(row.getCell(3).value).toEqual(new Date(Date.UTC(2026, 7, 3, 8, 5)));
    expect(row.getCell(4).value).toBe(7);
  });
});
