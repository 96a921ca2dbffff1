import { describe, expect, it } from "vitest";
import { syntheticCsv, syntheticExpectations } from "../../test/patient-lists.js";
import { checkPatientList } from "./check.js";
import { formatListCheck } from "./report-text.js";

describe("checking a patient list", () => {
  it("counts what a campaign import of the synthetic list accepts and rejects", async () => {
    const expected = syntheticExpectations(100);
    const { report, phoneNumbers } = await checkPatientList(Buffer.from(syntheticCsv(100)));
    expect(report.format).toBe("csv");
    expect(report.rows).toMatchObject({
      read: 100,
      accepted: expected.accepted,
      rejected: expected.rejected,
    });
    expect(report.rejectedByReason).toEqual(expected.rejectedByReason);
    expect(report.contacts.total).toBe(expected.accepted);
    expect(report.contacts.withoutSendablePhone).toBe(expected.withoutSendablePhone);
    expect(report.phones.total).toBe(expected.phones);
    expect(report.phones.notSendable).toBe(expected.notSendable);
    expect(report.phones.ninthDigitAdded).toBe(expected.ninthDigitAdded);
    expect(phoneNumbers.length).toBeGreaterThan(0);
    expect(report.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it("merges rows of the same patient and counts numbers shared by two patients", async () => {
    const csv = [
      "nome;telefone;nascimento",
      "Ana Souza;(85) 98765-4321;01/02/1950",
      "ANA SOUZA;(85) 98765-4321 / (85) 98765-0000;01/02/1950",
      "Bruno Lima;(85) 98765-4321;03/04/1960",
    ].join("\n");
    const { report } = await checkPatientList(Buffer.from(csv));
    expect(report.contacts).toEqual({ total: 2, mergedRows: 1, withoutSendablePhone: 0 });
    expect(report.phones.total).toBe(3);
    expect(report.phones.duplicates).toBe(1);
    expect(report.phones.sharedByContacts).toBe(1);
  });

  it("uses the column mapping it is given and records it", async () => {
    const csv = "Pessoa;Numero WhatsApp\nAna;(85) 98765-4321\n";
    await expect(checkPatientList(Buffer.from(csv))).rejects.toMatchObject({
      code: "IMPORT_MISSING_COLUMNS",
    });
    const { report } = await checkPatientList(Buffer.from(csv), {
      columnMapping: { name: ["Pessoa"], phone: ["Numero WhatsApp"] },
    });
    expect(report.rows.accepted).toBe(1);
    expect(report.columnMapping).toEqual({ name: ["Pessoa"], phone: ["Numero WhatsApp"] });
  });

  it("describes the list with counts and headers only, never a patient's name or number", async () => {
    const csv = "nome;telefone\nMaria Sigilosa;(85) 98765-4321\n;(85) 91234-5678\n";
    const { report } = await checkPatientList(Buffer.from(csv));
    const text = formatListCheck(report).join("\n");
    expect(text).toContain("1 accepted, 1 rejected");
    expect(text).toContain("rejected EMPTY_NAME: 1");
    expect(text).not.toMatch(/Sigilosa|98765|91234/);
    expect(JSON.stringify(report)).not.toMatch(/Sigilosa|98765|91234/);
  });
});
