/** A list check as lines for people: counts and reasons only, never a name or a number. */
import type { ListCheck } from "./check.js";

export function formatListCheck(check: ListCheck): string[] {
  const lines: string[] = [];
  const source = [
    check.format.toUpperCase(),
    check.source.sheetName ? `sheet "${check.source.sheetName}"` : undefined,
    check.source.encoding,
    check.source.delimiter ? `delimiter ${JSON.stringify(check.source.delimiter)}` : undefined,
  ].filter(Boolean);
  lines.push(`List: ${source.join(", ")}; header row ${check.columns.headerRow}`);
  const c = check.columns;
  lines.push(
    `Columns: name "${c.name}", phone ${c.phone.map((h) => `"${h}"`).join(" + ")}` +
      (c.procedure ? `, procedure "${c.procedure}"` : ", no procedure column") +
      (c.birthDate ? `, birth date "${c.birthDate}"` : ", no birth date column"),
  );
  const r = check.rows;
  lines.push(
    `Rows: ${r.read} read, ${r.accepted} accepted, ${r.rejected} rejected, ${r.blank} blank` +
      (r.beforeHeader ? `, ${r.beforeHeader} above the header` : ""),
  );
  const reasons = Object.entries(check.rejectedByReason).sort((a, b) => b[1] - a[1]);
  for (const [reason, n] of reasons) lines.push(`  rejected ${reason}: ${n}`);
  const k = check.contacts;
  lines.push(
    `Patients: ${k.total} (${k.mergedRows} duplicate rows merged; ${k.withoutSendablePhone} with no mobile number)`,
  );
  const p = check.phones;
  const notes = [
    `${p.notSendable} not mobile`,
    `${p.duplicates} repeated`,
    `${p.ninthDigitAdded} given the 9th digit`,
    `${p.dddInferred} with the DDD of the number before`,
    `${p.sharedByContacts} shared by several patients`,
    ...(p.optedOut !== undefined ? [`${p.optedOut} opted out in this namespace`] : []),
  ];
  lines.push(`Phones: ${p.total} (${notes.join("; ")})`);
  for (const [reason, n] of Object.entries(p.invalidInAcceptedRows).sort((a, b) => b[1] - a[1])) {
    lines.push(`  ignored in accepted rows ${reason}: ${n}`);
  }
  if (check.warnings.invalidBirthDates > 0) {
    lines.push(
      `Warning: ${check.warnings.invalidBirthDates} birth dates could not be read (kept without one)`,
    );
  }
  return lines;
}
