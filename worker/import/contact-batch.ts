/**
 * Patients of one write batch, with rows of the same patient merged (same dedupe key: phones added in
 * order, the first row's name, procedure and fields kept; a later row fills a missing procedure). Rows
 * of the same patient in different batches are merged by the database (see lib/db/import-writer.ts).
 */
import type { ContactInput } from "../../lib/db/import-writer.js";
import type { PatientRow } from "./patient-row.js";

export class ContactBatch {
  private readonly byKey = new Map<string, ContactInput>();
  /** Rows merged into an earlier row of this batch. */
  mergedRows = 0;
  /** Phones already present in the row they were merged into. */
  duplicatePhones = 0;

  get size(): number {
    return this.byKey.size;
  }

  add(row: PatientRow): void {
    const phones = row.phones.map((p) => ({
      e164: p.e164,
      raw: p.raw,
      lineType: p.lineType,
      sendable: p.sendable,
    }));
    const earlier = this.byKey.get(row.dedupeKey);
    if (!earlier) {
      this.byKey.set(row.dedupeKey, {
        sourceRow: row.sourceRow,
        name: row.name,
        birthDate: row.birthDate,
        procedure: row.procedure,
        fields: row.fields,
        dedupeKey: row.dedupeKey,
        phones,
      });
      return;
    }
    this.mergedRows += 1;
    earlier.procedure ??= row.procedure;
    for (const phone of phones) {
      if (earlier.phones.some((p) => p.e164 === phone.e164)) this.duplicatePhones += 1;
      else earlier.phones.push(phone);
    }
  }

  contacts(): ContactInput[] {
    return [...this.byKey.values()];
  }
}
