/**
 * Synthetic patient lists for the demo: fictional names, Brazilian numbers in the formats hospitals really
 * type (with and without the 9th digit, spaces, parentheses, spreadsheet floats, two numbers in one cell),
 * some landlines, some rows that must be refused, and some duplicate rows that must be merged. Nothing here
 * is real patient data.
 */

export interface SyntheticList {
  csv: string;
  /** Distinct patients the import should keep. */
  patients: number;
  /** Rows the import should refuse (no name, or no valid phone). */
  invalidRows: number;
  /** Extra rows that repeat a patient (same name and birth date) and must be merged. */
  duplicateRows: number;
  /** Mobile numbers (E.164) of the patients, for the sandbox's registry. */
  mobiles: string[];
  /** Patients whose only phone is a landline. */
  landlineOnly: number;
}

const FIRST = [
  "Maria",
  "José",
  "Ana",
  "João",
  "Francisca",
  "Antônio",
  "Raimunda",
  "Francisco",
  "Luiza",
  "Paulo",
  "Helena",
  "Pedro",
];
const LAST = [
  "Silva",
  "Souza",
  "Oliveira",
  "Lima",
  "Pereira",
  "Costa",
  "Rodrigues",
  "Almeida",
  "Nascimento",
  "Carvalho",
];
const PROCEDURES = [
  "0408050012 - ARTROPLASTIA TOTAL DE JOELHO",
  "COLECISTECTOMIA",
  "HERNIORRAFIA INGUINAL",
  "CATARATA",
  "SEPTOPLASTIA",
];

export function syntheticPatientList(count: number): SyntheticList {
  const rows = ["Nome;Telefone;Procedimento;Data Nascimento"];
  const mobiles: string[] = [];
  let landlineOnly = 0;
  for (let i = 0; i < count; i++) {
    const name = `${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length) % LAST.length]} ${String(i).padStart(4, "0")}`;
    const birth = `${String((i % 28) + 1).padStart(2, "0")}/${String((i % 12) + 1).padStart(2, "0")}/${1940 + (i % 60)}`;
    const subscriber = String(80000000 + i).slice(-8); // 8 digits, first digit 8: an old-style mobile
    const e164 = `+55859${subscriber}`;
    let phone: string;
    switch (i % 10) {
      case 0:
        phone = `(85) 9${subscriber.slice(0, 4)}-${subscriber.slice(4)}`;
        break;
      case 1:
        phone = `859${subscriber}.0`; // a spreadsheet float cell
        break;
      case 2:
        phone = `85 ${subscriber}`; // written without the 9th digit
        break;
      case 3:
        phone = `+55 85 9${subscriber} / (85) 3${subscriber.slice(1)}`; // a mobile and a landline
        break;
      case 4:
        if (i % 20 === 4) {
          phone = `(85) 3${subscriber.slice(1, 4)}-${subscriber.slice(4)}`; // landline only: kept, never sent to
          landlineOnly++;
        } else phone = `0859${subscriber}`;
        break;
      default:
        phone = `859${subscriber}`;
    }
    if (!phone.startsWith("(85) 3")) mobiles.push(e164);
    rows.push(`${name};${phone};${PROCEDURES[i % PROCEDURES.length]};${birth}`);
  }
  // Rows the import must refuse, each with its reason kept.
  const invalid = [
    ";(85) 98888-0000;COLECISTECTOMIA;01/01/1970",
    "Sem Telefone;;CATARATA;02/02/1960",
    "DDD Invalido;(20) 98888-1111;CATARATA;03/03/1950",
  ];
  rows.push(...invalid);
  // Repeated rows of the first patients (same name and birth date): merged into one contact.
  const duplicates = Math.min(5, count);
  for (let i = 0; i < duplicates; i++) rows.push(rows[i + 1]!);
  return {
    csv: rows.join("\n") + "\n",
    patients: count,
    invalidRows: invalid.length,
    duplicateRows: duplicates,
    mobiles,
    landlineOnly,
  };
}
