/**
 * Synthetic patient lists for tests and benchmarks: every tenth row is one of ten shapes (good
 * numbers in several spellings, two numbers, old mobile, landline only, bad DDD, no phone, no name),
 * so the expected import counts are known exactly for any multiple of ten rows. Names, numbers and
 * dates are made up from the row index.
 */
import { createWriteStream } from "node:fs";
import { once } from "node:events";
import ExcelJS from "exceljs";

export const SYNTHETIC_HEADERS = ["Nome", "Telefone", "Data Nascimento", "Procedimento", "Data da Consulta"];

export interface SyntheticRow {
  name: string;
  phone: string;
  birthDate: string;
  procedure: string;
  appointment: string;
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");

export function syntheticRow(i: number): SyntheticRow {
  const mobile = `9${pad(i % 1e8, 8)}`;
  const landline = `3${pad(i % 1e7, 7)}`;
  const phones = [
    `(85) ${mobile.slice(0, 5)}-${mobile.slice(5)}`,
    `85 ${mobile.slice(0, 5)} ${mobile.slice(5)}`,
    `+55 11 ${mobile.slice(0, 5)}-${mobile.slice(5)}`,
    `(85) ${mobile.slice(0, 5)}-${mobile.slice(5)} / (85) ${landline.slice(0, 4)}-${landline.slice(4)}`,
    `0XX85 8${pad(i % 1e7, 7).slice(0, 3)}-${pad(i % 1e7, 7).slice(3)}`,
    `(20) ${mobile.slice(0, 5)}-${mobile.slice(5)}`,
    `85 ${landline.slice(0, 4)}-${landline.slice(4)}`,
    "",
    `(85) ${mobile.slice(0, 5)}-${mobile.slice(5)}`,
    `55 ${mobile.slice(0, 5)}-${mobile.slice(5)}`,
  ];
  return {
    name: i % 10 === 8 ? "" : `Paciente ${pad(i, 7)} da Silva`,
    phone: phones[i % 10]!,
    birthDate: `${pad(1 + (i % 28), 2)}/${pad(1 + (i % 12), 2)}/${1940 + (i % 60)}`,
    procedure: i % 3 === 0 ? "0408050896 - ARTROPLASTIA TOTAL DE JOELHO" : "CIRURGIA DE CATARATA",
    appointment: `${pad(1 + (i % 28), 2)}/03/2027`,
  };
}

/** What importing `rows` synthetic rows (a multiple of 10) must give. */
export function syntheticExpectations(rows: number) {
  if (rows % 10 !== 0) throw new Error("Synthetic expectations need a multiple of 10 rows");
  const tenth = rows / 10;
  return {
    accepted: 7 * tenth,
    rejected: 3 * tenth,
    rejectedByReason: { INVALID_DDD: tenth, NO_PHONE: tenth, EMPTY_NAME: tenth },
    phones: 8 * tenth,
    notSendable: 2 * tenth,
    ninthDigitAdded: tenth,
    withoutSendablePhone: tenth,
  };
}

function csvField(value: string, delimiter: string): string {
  return value.includes(delimiter) || value.includes('"') || value.includes("\n")
    ? `"${value.replace(/"/g, '""')}"`
    : value;
}

function csvLine(values: string[], delimiter: string): string {
  return values.map((v) => csvField(v, delimiter)).join(delimiter) + "\r\n";
}

function rowValues(r: SyntheticRow): string[] {
  return [r.name, r.phone, r.birthDate, r.procedure, r.appointment];
}

export function syntheticCsv(rows: number, delimiter = ";"): string {
  const lines = [csvLine(SYNTHETIC_HEADERS, delimiter)];
  for (let i = 0; i < rows; i++) lines.push(csvLine(rowValues(syntheticRow(i)), delimiter));
  return lines.join("");
}

/** Writes a synthetic CSV file without holding it in memory. */
export async function writeSyntheticCsvFile(path: string, rows: number, delimiter = ";"): Promise<void> {
  const out = createWriteStream(path);
  out.write(csvLine(SYNTHETIC_HEADERS, delimiter));
  for (let i = 0; i < rows; i++) {
    if (!out.write(csvLine(rowValues(syntheticRow(i)), delimiter))) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

/** Writes a synthetic XLSX file with exceljs's streaming writer (shared strings, like Excel). */
export async function writeSyntheticXlsxFile(path: string, rows: number): Promise<void> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    filename: path,
    useSharedStrings: true,
    useStyles: true,
  });
  const sheet = workbook.addWorksheet("Lista");
  sheet.addRow(SYNTHETIC_HEADERS).commit();
  for (let i = 0; i < rows; i++) sheet.addRow(rowValues(syntheticRow(i))).commit();
  sheet.commit();
  await workbook.commit();
}
