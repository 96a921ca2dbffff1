import { randomUUID } from "node:crypto";
import { Readable, Writable } from "node:stream";
import ExcelJS from "exceljs";
import type { Pool } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshMigratedDatabase } from "../../test/db.js";
import { syntheticCsv, syntheticExpectations } from "../../test/patient-lists.js";
import { readCampaignCounts } from "../../lib/db/campaign-counts.js";
import { ensureCampaign } from "../../lib/db/campaigns.js";
import { createPool } from "../../lib/db/pool.js";
import { AppError } from "../../lib/errors.js";
import { createLogger } from "../../lib/logger.js";
import { importPatientList } from "./import-patient-list.js";

const NOW = new Date("2026-11-28T12:00:00Z");
let pool: Pool;
let dispose: () => Promise<void>;

beforeAll(async () => {
  const db = await freshMigratedDatabase();
  dispose = db.dispose;
  pool = createPool({ connectionString: db.value, max: 8 });
});

afterAll(async () => {
  await pool.end();
  await dispose();
});

async function newCampaign(namespace = "hospital"): Promise<string> {
  const uid = randomUUID();
  await ensureCampaign(pool, { uid, namespace, name: `c-${uid.slice(0, 8)}` });
  return uid;
}

const importCsv = (campaignUid: string, csv: string | Buffer | Readable, batchSize?: number) =>
  importPatientList({
    pool,
    campaignUid,
    source: typeof csv === "string" ? Buffer.from(csv) : csv,
    now: () => NOW,
    sourceDescription: "test list",
    ...(batchSize ? { batchSize } : {}),
  });

async function contactsOf(campaignUid: string) {
  const { rows } = await pool.query<{
    id: number;
    source_row: number;
    name: string;
    birth_date: string | null;
    procedure: string | null;
    state: string;
    phones: { e164: string; priority: number; sendable: boolean }[];
  }>(
    `SELECT c.id, c.source_row, c.name, c.birth_date, c.procedure, c.state,
       (SELECT json_agg(json_build_object('e164', p.e164, 'priority', p.priority, 'sendable', p.sendable)
                        ORDER BY p.priority)
        FROM phones p WHERE p.contact_id = c.id) AS phones
     FROM contacts c WHERE c.campaign_uid = $1 ORDER BY c.source_row`,
    [campaignUid],
  );
  return rows;
}

const LIST = [
  "Nome;Telefone;Nascimento;Procedimento;Setor",
  "Maria da Silva;(85) 98765-4321;15/03/1980;0408 - ARTROPLASTIA;Ortopedia",
  "MARIA DA SILVA;85 3234-5678 / 85 98765-4321;15/03/1980;;Ortopedia",
  "José Souza;(85) 98888-7777;;;Oftalmo",
  "José Souza;(85) 97777-6666;;Catarata;Oftalmo",
  "Ana Lima;(85) 98888-7777;01/01/1990;Catarata;Oftalmo",
  "Pedro;(20) 98765-4321;01/01/1990;;",
  "Fixo Somente;85 3333-4444;01/01/1970;;",
  ";85999990000;;;",
].join("\n");

describe("importPatientList", () => {
  it("writes contacts, phones and rejected rows, merging duplicates", async () => {
    const uid = await newCampaign();
    const report = await importCsv(uid, LIST, 3);

    expect(await contactsOf(uid)).toEqual([
      expect.objectContaining({
        source_row: 2,
        name: "Maria da Silva",
        birth_date: "1980-03-15",
        procedure: "ARTROPLASTIA",
        state: "pending",
        phones: [
          { e164: "+5585987654321", priority: 1, sendable: true },
          { e164: "+558532345678", priority: 2, sendable: false },
        ],
      }),
      // Same name without birth date but a different first phone: two people, not merged.
      expect.objectContaining({ source_row: 4, name: "José Souza", procedure: null }),
      expect.objectContaining({ source_row: 5, name: "José Souza", procedure: "Catarata" }),
      expect.objectContaining({ source_row: 6, name: "Ana Lima" }),
      expect.objectContaining({ source_row: 8, name: "Fixo Somente", state: "no_whatsapp" }),
    ]);
    expect(report).toMatchObject({
      alreadyImported: false,
      source: { description: "test list", format: "csv", delimiter: ";", encoding: "utf-8" },
      columns: { name: "Nome", phone: ["Telefone"], procedure: "Procedimento", birthDate: "Nascimento" },
      rows: { read: 8, blank: 0, beforeHeader: 0, accepted: 6, rejected: 2 },
      rejectedByReason: { INVALID_DDD: 1, EMPTY_NAME: 1 },
      contacts: { created: 5, mergedRows: 1, withoutSendablePhone: 1 },
      phones: { created: 6, duplicates: 1, notSendable: 2, sharedByContacts: 1, optedOut: 0 },
    });
    expect(report.columns.fields).toEqual(["nome", "nascimento", "procedimento", "setor"]);

    const { rows: rejected } = await pool.query(
      "SELECT source_row, reason_code, raw FROM import_rejections WHERE campaign_uid = $1 ORDER BY source_row",
      [uid],
    );
    expect(rejected.map((r) => [r.source_row, r.reason_code])).toEqual([
      [7, "INVALID_DDD"],
      [9, "EMPTY_NAME"],
    ]);
    expect(rejected[0].raw).toMatchObject({ Nome: "Pedro", Telefone: "(20) 98765-4321" });

    const counts = await readCampaignCounts(pool, uid);
    expect(counts).toMatchObject({ contacts: 5, phones: 6, notSendable: 2, rejectedRows: 2, noWhatsapp: 1 });
  });

  it("merges the rows of one patient the same way when they fall into different write batches", async () => {
    const together = await newCampaign();
    const apart = await newCampaign();
    const reportTogether = await importCsv(together, LIST, 1000);
    // One row per batch: every merge goes through the rows an earlier batch wrote, while later batches
    // are still being read.
    const reportApart = await importCsv(apart, LIST, 1);
    const strip = (rows: Awaited<ReturnType<typeof contactsOf>>) => rows.map(({ id: _id, ...rest }) => rest);
    expect(strip(await contactsOf(apart))).toEqual(strip(await contactsOf(together)));
    expect(reportApart.contacts).toEqual(reportTogether.contacts);
    expect(reportApart.phones).toEqual(reportTogether.phones);
    expect(reportApart.rejectedByReason).toEqual(reportTogether.rejectedByReason);
    expect(await readCampaignCounts(pool, apart)).toMatchObject({ contacts: 5, phones: 6, rejectedRows: 2 });
  });

  it("stores tabs, line breaks, backslashes and quotes in cells exactly as written", async () => {
    const uid = await newCampaign();
    const name = 'Ana "Tab\tBar\\" Lima';
    const csv = [
      "Nome;Telefone;Setor;Obs",
      `"${name.replace(/"/g, '""')}";(85) 98765-4321;"Ala\tB\\C";"linha 1\nlinha 2\r\nfim \\N"`,
      `"Sem\tNome\\N";(20) 98765-4321;;`,
    ].join("\n");
    await importCsv(uid, csv, 1);
    const { rows } = await pool.query<{ name: string; fields: Record<string, string> }>(
      "SELECT name, fields FROM contacts WHERE campaign_uid = $1",
      [uid],
    );
    // Names have their whitespace runs collapsed (cleanName); field cells are kept as written, trimmed.
    expect(rows).toEqual([
      {
        name: 'Ana "Tab Bar\\" Lima',
        fields: {
          nome: name,
          setor: "Ala\tB\\C",
          obs: "linha 1\nlinha 2\r\nfim \\N",
        },
      },
    ]);
    const rejected = await pool.query<{ raw: Record<string, string> }>(
      "SELECT raw FROM import_rejections WHERE campaign_uid = $1",
      [uid],
    );
    expect(rejected.rows.map((r) => r.raw.Nome)).toEqual(["Sem\tNome\\N"]);
  });

  it("drops a stray NUL character found past the binary check's sample instead of failing the import", async () => {
    const uid = await newCampaign();
    const filler = Array.from({ length: 3_000 }, (_, i) => `Paciente ${i};(85) 9${String(8000_0000 + i)};;`);
    const csv = ["Nome;Telefone;Setor;Obs", ...filler, "Maria\0 Nul;(85) 98765-4321;Ala\0B;"].join("\n");
    expect(csv.indexOf("\0")).toBeGreaterThan(64 * 1024);
    // Streamed in 16 KiB chunks, as a file is read: the binary check samples the first 64 KiB.
    const bytes = Buffer.from(csv);
    const chunks = Array.from({ length: Math.ceil(bytes.length / 16_384) }, (_, i) =>
      bytes.subarray(i * 16_384, (i + 1) * 16_384),
    );
    const report = await importCsv(uid, Readable.from(chunks));
    expect(report.contacts.created).toBe(3_001);
    const { rows } = await pool.query<{ name: string; fields: Record<string, string> }>(
      "SELECT name, fields FROM contacts WHERE campaign_uid = $1 AND source_row = 3002",
      [uid],
    );
    expect(rows).toEqual([{ name: "Maria Nul", fields: expect.objectContaining({ setor: "AlaB" }) }]);
  });

  it("writes nothing when the list turns out to be unreadable after batches were written", async () => {
    const uid = await newCampaign();
    const rows = Array.from(
      { length: 50 },
      (_, i) => `Paciente ${i};(85) 9${String(i).padStart(4, "0")}-4321`,
    );
    const unclosed = `"Sem fim;${"x".repeat(4 * 1024 * 1024 + 10)}`;
    const csv = ["Nome;Telefone", ...rows, unclosed].join("\n");
    const err = await importCsv(uid, csv, 5).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "IMPORT_RECORD_TOO_LARGE" });
    const { rows: found } = await pool.query(
      `SELECT (SELECT count(*)::int FROM imports WHERE campaign_uid = $1) AS imports,
              (SELECT count(*)::int FROM contacts WHERE campaign_uid = $1) AS contacts`,
      [uid],
    );
    expect(found[0]).toEqual({ imports: 0, contacts: 0 });
    expect((await readCampaignCounts(pool, uid)).contacts).toBe(0);
  });

  it("is a no-op for a file already imported into the campaign, from a buffer or a stream", async () => {
    const uid = await newCampaign();
    const first = await importCsv(uid, LIST);
    const again = await importCsv(uid, LIST);
    const streamed = await importCsv(
      uid,
      Readable.from([Buffer.from(LIST.slice(0, 50)), Buffer.from(LIST.slice(50))]),
    );
    expect(again).toEqual({ ...first, alreadyImported: true });
    expect(streamed).toEqual({ ...first, alreadyImported: true });
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM imports WHERE campaign_uid = $1", [
      uid,
    ]);
    expect(rows[0].n).toBe(1);
    expect((await readCampaignCounts(pool, uid)).contacts).toBe(5);
  });

  it("recognises an XLSX file read from a stream as the one imported from a buffer", async () => {
    const uid = await newCampaign();
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet("Lista");
    sheet.addRow(["Nome", "Celular"]);
    sheet.addRow(["Ana", 85987654321]);
    const file = Buffer.from(await workbook.xlsx.writeBuffer());
    const first = await importCsv(uid, file);
    const pieces = [file.subarray(0, 1000), file.subarray(1000, 3000), file.subarray(3000)];
    const again = await importCsv(uid, Readable.from(pieces));
    expect(first).toMatchObject({ alreadyImported: false, source: { format: "xlsx", sheetName: "Lista" } });
    expect(again).toEqual({ ...first, alreadyImported: true });
  });

  it("logs counts and ids, never names or numbers", async () => {
    const uid = await newCampaign();
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ component: "test", level: "debug", destination });
    await importPatientList({ pool, campaignUid: uid, source: Buffer.from(LIST), logger, now: () => NOW });
    const output = lines.join("");
    expect(output).toContain("Imported a patient list");
    for (const secret of ["Maria", "Silva", "José", "98765", "4321", "ARTROPLASTIA", "Ortopedia"]) {
      expect(output).not.toContain(secret);
    }
  });

  it("lets only one of two simultaneous imports of the same file write", async () => {
    const uid = await newCampaign();
    const reports = await Promise.all([importCsv(uid, LIST), importCsv(uid, LIST), importCsv(uid, LIST)]);
    expect(reports.filter((r) => !r.alreadyImported)).toHaveLength(1);
    expect((await readCampaignCounts(pool, uid)).contacts).toBe(5);
  });

  it("merges a second, different list into the contacts already there", async () => {
    const uid = await newCampaign();
    await importCsv(uid, LIST);
    const second = [
      "nome;celular;nascimento;procedimento",
      "Maria da Silva;(85) 91111-2222;15/03/1980;Outro",
      "Fixo Somente;85 99999-8888;01/01/1970;",
      "Novo Paciente;85 92222-3333;01/01/1970;",
    ].join("\n");
    const report = await importCsv(uid, second);
    expect(report.contacts).toEqual({ created: 1, mergedRows: 2, withoutSendablePhone: 0 });
    const contacts = await contactsOf(uid);
    const maria = contacts.find((c) => c.name === "Maria da Silva")!;
    expect(maria.procedure).toBe("ARTROPLASTIA");
    expect(maria.phones.map((p) => [p.e164, p.priority])).toEqual([
      ["+5585987654321", 1],
      ["+558532345678", 2],
      ["+5585911112222", 3],
    ]);
    // The landline-only contact got a mobile: it goes back to be checked.
    expect(contacts.find((c) => c.name === "Fixo Somente")!.state).toBe("pending");
  });

  it("reports phones that opted out in the campaign's namespace", async () => {
    const uid = await newCampaign("optout-ns");
    await pool.query(
      "INSERT INTO opt_outs (namespace, e164, source) VALUES ('optout-ns', '+5585987654321', 'reply')",
    );
    const report = await importCsv(uid, LIST);
    expect(report.phones.optedOut).toBe(1);
  });

  it("writes nothing when the list cannot be imported", async () => {
    const bad = await newCampaign();
    const err = await importCsv(bad, "Nome;Fone Fixo\n;\n").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM imports WHERE campaign_uid = $1", [
      bad,
    ]);
    expect(rows[0].n).toBe(0);
  });

  it("refuses a campaign without a database row", async () => {
    const err = await importCsv(randomUUID(), LIST).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "IMPORT_CAMPAIGN_NOT_FOUND" });
  });

  // 100,000 rows are parsed in parse-patient-rows.test.ts and imported by bench/import.ts; here enough
  // rows for many batches, with the database's counters checked against the list.
  it("imports a generated 30,000-row list with exact counts", async () => {
    const uid = await newCampaign();
    const rows = 30_000;
    const report = await importCsv(uid, syntheticCsv(rows));
    const expected = syntheticExpectations(rows);
    expect(report.rows).toMatchObject({
      read: rows,
      accepted: expected.accepted,
      rejected: expected.rejected,
    });
    expect(report.rejectedByReason).toEqual(expected.rejectedByReason);
    expect(report.contacts.created).toBe(expected.accepted);
    expect(report.phones).toMatchObject({
      created: expected.phones,
      notSendable: expected.notSendable,
      ninthDigitAdded: expected.ninthDigitAdded,
    });
    const counts = await readCampaignCounts(pool, uid);
    expect(counts).toMatchObject({
      contacts: expected.accepted,
      phones: expected.phones,
      rejectedRows: expected.rejected,
      noWhatsapp: expected.withoutSendablePhone,
    });
  }, 180_000);
});
