import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import ExcelJS from "exceljs";
import { describe, expect, it } from "vitest";
import { syntheticCsv, syntheticExpectations } from "../../test/patient-lists.js";
import { AppError } from "../../lib/errors.js";
import { openPatientList, parsePatientRows } from "./parse-patient-rows.js";
import type { PatientRow, RejectedRow, RowOutcome } from "./patient-row.js";
import { RowTally } from "./report.js";

const TODAY = new Date("2026-11-28T12:00:00Z");

async function outcomes(input: Buffer | Readable, options = {}): Promise<RowOutcome[]> {
  const all: RowOutcome[] = [];
  for await (const o of parsePatientRows(input, { today: TODAY, ...options })) all.push(o);
  return all;
}

const patients = (list: RowOutcome[]): PatientRow[] =>
  list.flatMap((o) => (o.kind === "patient" ? [o.row] : []));
const rejections = (list: RowOutcome[]): RejectedRow[] =>
  list.flatMap((o) => (o.kind === "rejected" ? [o.rejection] : []));

async function importError(input: Buffer | Readable, options = {}): Promise<AppError> {
  try {
    await outcomes(input, options);
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error("expected the list to be refused");
}

/** A stream that hands out the bytes in small pieces, as a network or file stream would. */
function chunked(bytes: Buffer, size = 7): Readable {
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.subarray(i, i + size));
  return Readable.from(pieces);
}

async function xlsx(build: (workbook: ExcelJS.Workbook) => void): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  build(workbook);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

describe("parsePatientRows: CSV", () => {
  it("reads a comma-separated UTF-8 list with its columns and placeholders", async () => {
    const csv =
      "Nome,Telefone,Nascimento,Procedimento,Médico\nMaria José,(85) 98765-4321,15/03/1980,0408 - ARTROPLASTIA,Dr. Ávila\n";
    const list = await outcomes(Buffer.from(csv));
    expect(patients(list)).toEqual([
      expect.objectContaining({
        sourceRow: 2,
        name: "Maria José",
        birthDate: "1980-03-15",
        procedure: "ARTROPLASTIA",
        fields: {
          nome: "Maria José",
          nascimento: "15/03/1980",
          procedimento: "0408 - ARTROPLASTIA",
          médico: "Dr. Ávila",
        },
        phones: [expect.objectContaining({ e164: "+5585987654321", sendable: true })],
      }),
    ]);
  });

  it("reads a semicolon-separated Latin-1 list (Excel's CSV on Windows)", async () => {
    const csv = "Paciente;Celular;Cirurgia\r\nJoão Conceição;85 98765 4321;Herniorrafia\r\n";
    const list = await openPatientList(Buffer.from(csv, "latin1"), { today: TODAY });
    const rows: RowOutcome[] = [];
    for await (const o of list.outcomes()) rows.push(o);
    expect(patients(rows).map((p) => p.name)).toEqual(["João Conceição"]);
    expect(list.details).toMatchObject({ format: "csv", delimiter: ";", encoding: "windows-1252" });
  });

  it("reads a UTF-8 list with BOM split into tiny chunks, through multi-byte characters", async () => {
    const csv = "\uFEFFnome;telefone\nJosé Ângelo Ferreira;85987654321\nÍris Conceição;85988887777\n";
    const rows = await outcomes(chunked(Buffer.from(csv, "utf8"), 3));
    expect(patients(rows).map((p) => p.name)).toEqual(["José Ângelo Ferreira", "Íris Conceição"]);
  });

  it("finds the header below a title row and counts the rows above it", async () => {
    const csv = "Lista de espera - Ortopedia\n\nNome;Telefone\nAna;85987654321\n";
    const list = await openPatientList(Buffer.from(csv), { today: TODAY });
    const rows: RowOutcome[] = [];
    for await (const o of list.outcomes()) rows.push(o);
    expect(patients(rows).map((p) => p.sourceRow)).toEqual([4]);
    expect(list.beforeHeader()).toBe(1);
    expect(list.columns()?.headerRow).toBe(3);
  });

  it("uses the column mapping instead of the aliases", async () => {
    const csv = "Nome do paciente;Contato principal;Nome\nAna;85987654321;não é o nome\n";
    const rows = await outcomes(Buffer.from(csv), {
      columnMapping: { name: "nome do paciente", phone: ["Contato Principal"] },
    });
    expect(patients(rows)[0]).toMatchObject({ name: "Ana", phones: [{ e164: "+5585987654321" }] });
  });

  it("reads every phone column, and keeps each number once", async () => {
    const csv = "nome,telefone,celular,whatsapp\nAna,85 3234-5678,85987654321,(85) 98765-4321\n";
    const [row] = patients(await outcomes(Buffer.from(csv)));
    expect(row!.phones.map((p) => p.e164)).toEqual(["+558532345678", "+5585987654321"]);
    expect(row!.duplicatePhones).toBe(1);
  });

  it("keeps every rejected row with its row number, reason and original cells", async () => {
    const csv = [
      "nome;telefone;nascimento",
      ";85987654321;01/01/1980",
      "Bruno;;01/01/1980",
      "Carla;(20) 98765-4321;01/01/1980",
      "Davi;12345 / 8765;01/01/1980",
      "Eva;98765-4321;31/02/1980",
      '=HYPERLINK("x");85988887777;',
    ].join("\n");
    const rows = await outcomes(Buffer.from(csv));
    expect(rejections(rows).map((r) => [r.sourceRow, r.reasonCode])).toEqual([
      [2, "EMPTY_NAME"],
      [3, "NO_PHONE"],
      [4, "INVALID_DDD"],
      [5, "TOO_SHORT"],
      [6, "MISSING_DDD"],
    ]);
    expect(rejections(rows)[2]!.raw).toEqual({
      nome: "Carla",
      telefone: "(20) 98765-4321",
      nascimento: "01/01/1980",
    });
    // A name that looks like a formula is stored as written.
    expect(patients(rows).map((p) => p.name)).toEqual(['=HYPERLINK("x")']);
  });

  it("keeps a patient whose birth date is unreadable, without the date, and counts it", async () => {
    const csv = "nome;telefone;dt_nasc\nAna;85987654321;ontem\nBia;85988887777;1980-02-29\n";
    const rows = await outcomes(Buffer.from(csv));
    expect(patients(rows).map((p) => [p.birthDate, p.invalidBirthDate])).toEqual([
      [null, true],
      ["1980-02-29", false],
    ]);
  });

  it("counts a generated 100,000-row list exactly", async () => {
    const rows = 100_000;
    const tally = new RowTally();
    for await (const o of parsePatientRows(Buffer.from(syntheticCsv(rows)), { today: TODAY })) tally.add(o);
    const expected = syntheticExpectations(rows);
    expect(tally.read).toBe(rows);
    expect(tally.accepted).toBe(expected.accepted);
    expect(tally.rejectedByReason).toEqual(expected.rejectedByReason);
    expect(tally.ninthDigitAdded).toBe(expected.ninthDigitAdded);
    expect(tally.invalidBirthDates).toBe(0);
  }, 180_000);
});

describe("parsePatientRows: files that cannot be imported", () => {
  it("refuses an empty file", async () => {
    expect((await importError(Buffer.alloc(0))).code).toBe("IMPORT_EMPTY_FILE");
    expect((await importError(Readable.from([]))).code).toBe("IMPORT_EMPTY_FILE");
    expect((await importError(Buffer.from("\n\n \n"))).code).toBe("IMPORT_EMPTY_FILE");
  });

  it("refuses a list with headers and no patients", async () => {
    const err = await importError(Buffer.from("Nome;Telefone\n;\n"));
    expect(err.code).toBe("IMPORT_NO_ROWS");
  });

  it("refuses wrong headers, naming the headers found and the accepted aliases", async () => {
    const err = await importError(Buffer.from("Paciente Nome;Fone Fixo\nAna;85987654321\n"));
    expect(err.code).toBe("IMPORT_MISSING_COLUMNS");
    expect(err.message).toContain('Headers found: "Paciente Nome", "Fone Fixo"');
    expect(err.message).toContain("nome, usuario, usuário, paciente");
    expect(err.message).toContain("telefone, celular, fone, tel, whatsapp, contato");
    expect(err.message).toContain("columnMapping.name");
  });

  it("does not quote a first row that looks like a patient when it is not a header", async () => {
    const err = await importError(Buffer.from("Ana Maria;85987654321\nBia;85988887777\n"));
    expect(err.code).toBe("IMPORT_MISSING_COLUMNS");
    expect(err.message).not.toContain("Ana Maria");
    expect(err.message).not.toContain("85987654321");
  });

  it("refuses binary garbage", async () => {
    let seed = 42;
    const garbage = Buffer.from(
      Buffer.alloc(200_000, 0).map(() => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed % 256;
      }),
    );
    expect((await importError(garbage)).code).toBe("IMPORT_UNSUPPORTED_FORMAT");
  });

  it("refuses an old .xls workbook with a hint to save it as .xlsx", async () => {
    const err = await importError(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]));
    expect(err.code).toBe("IMPORT_UNSUPPORTED_FORMAT");
    expect(err.message).toContain(".xlsx");
  });

  it("refuses a damaged XLSX", async () => {
    const good = await xlsx((wb) => wb.addWorksheet("Lista").addRow(["Nome", "Telefone"]));
    const damaged = Buffer.concat([good.subarray(0, 200), Buffer.alloc(500, 7)]);
    expect((await importError(damaged)).code).toBe("IMPORT_UNREADABLE_FILE");
  });

  it("rejects the row of a 1 MB cell and reads the rest", async () => {
    const huge = "A".repeat(1024 * 1024);
    const csv = `nome;telefone;obs\nAna;85987654321;${huge}\n${huge};85988887777;x\nBia;85911112222;ok\n`;
    const rows = await outcomes(Buffer.from(csv));
    expect(rejections(rows).map((r) => [r.sourceRow, r.reasonCode])).toEqual([
      [2, "CELL_TOO_LONG"],
      [3, "CELL_TOO_LONG"],
    ]);
    expect(rejections(rows)[0]!.raw.obs).toMatch(/^A{500}… \[1048076 more characters\]$/);
    expect(patients(rows).map((p) => p.name)).toEqual(["Bia"]);
  });

  it("stops at a record larger than the CSV limit (an unclosed quote)", async () => {
    const csv = `nome;telefone\nAna;"85987654321\n${"x;".repeat(3 * 1024 * 1024)}\n`;
    expect((await importError(Buffer.from(csv))).code).toBe("IMPORT_RECORD_TOO_LARGE");
  });
});

describe("parsePatientRows: XLSX", () => {
  it("reads typed cells: numeric and float phones, real dates, formulas, rich text", async () => {
    const file = await xlsx((wb) => {
      const sheet = wb.addWorksheet("Lista");
      sheet.addRow(["Nome", "Telefone", "Data de nascimento", "Data_Nascimento", "Cirurgia"]);
      sheet.addRow(["Ana", 85987654321, null, new Date(Date.UTC(1980, 2, 15)), "Catarata"]);
      sheet.addRow(["Bia", 85987654321.0, null, 29295, "Hérnia"]);
      sheet.addRow(["Caio", "85988887777.0", null, "15/03/1980", { formula: '"Joelho"', result: "Joelho" }]);
      sheet.addRow([{ richText: [{ text: "Davi " }, { text: "Lima" }] }, 8598887777.5, null, null, null]);
      sheet.getColumn(4).numFmt = "dd/mm/yyyy";
      wb.addWorksheet("Outra").addRow(["Nome", "Telefone"]).commit?.();
    });
    const list = await openPatientList(file, { today: TODAY });
    const rows: RowOutcome[] = [];
    for await (const o of list.outcomes()) rows.push(o);
    expect(list.details).toMatchObject({ format: "xlsx", sheetName: "Lista" });
    expect(patients(rows).map((p) => [p.name, p.phones[0]?.e164, p.birthDate, p.procedure])).toEqual([
      ["Ana", "+5585987654321", "1980-03-15", "Catarata"],
      ["Bia", "+5585987654321", "1980-03-15", "Hérnia"],
      ["Caio", "+5585988887777", "1980-03-15", "Joelho"],
    ]);
    expect(rejections(rows).map((r) => [r.sourceRow, r.reasonCode])).toEqual([[5, "INVALID_NUMBER"]]);
    expect(rejections(rows)[0]!.raw.Nome).toBe("Davi Lima");
    expect(patients(rows)[0]!.fields["data_nascimento"]).toBe("15/03/1980");
  });

  it("reads a workbook written without shared strings (inline text)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "inline-xlsx-"));
    try {
      const path = join(dir, "inline.xlsx");
      const writer = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: false });
      const sheet = writer.addWorksheet("Lista");
      sheet.addRow(["Nome", "Celular"]).commit();
      sheet.addRow(["Ana", "(85) 98765-4321"]).commit();
      sheet.commit();
      await writer.commit();
      const rows = await outcomes(readFileSync(path));
      expect(patients(rows).map((p) => [p.name, p.phones[0]?.e164])).toEqual([["Ana", "+5585987654321"]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads the first tab even when it is not the first sheet file", async () => {
    const file = await xlsx((wb) => {
      wb.addWorksheet("Antiga").addRow(["Nome", "Telefone"]);
      wb.getWorksheet("Antiga")!.addRow(["Velho", "85911112222"]);
      wb.addWorksheet("Atual").addRow(["Nome", "Telefone"]);
      wb.getWorksheet("Atual")!.addRow(["Novo", "85933334444"]);
      // Move "Atual" to be the first tab (exceljs orders tabs by orderNo; sheet files stay sheet1, sheet2).
      const order = (name: string, orderNo: number) => {
        (wb.getWorksheet(name) as unknown as { orderNo: number }).orderNo = orderNo;
      };
      order("Atual", 0);
      order("Antiga", 1);
    });
    const rows = await outcomes(file);
    expect(patients(rows).map((p) => p.name)).toEqual(["Novo"]);
  });
});
