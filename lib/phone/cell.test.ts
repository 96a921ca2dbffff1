import { describe, expect, it } from "vitest";
import { parsePhoneCell, type PhoneCellValue } from "./cell.js";

interface Case {
  why: string;
  cell: PhoneCellValue;
  phones: string[];
  rejected?: string[];
  /** Extra checks on the first phone. */
  first?: {
    lineType?: string;
    sendable?: boolean;
    ninthDigitAdded?: boolean;
    dddInferred?: boolean;
    raw?: string;
  };
  duplicates?: number;
}

const CASES: Case[] = [
  // --- one number, the usual ways of writing it
  { why: "plain 11 digits", cell: "85987654321", phones: ["+5585987654321"] },
  {
    why: "parentheses, space and dash stay one number",
    cell: "(85) 98765-4321",
    phones: ["+5585987654321"],
    first: { raw: "(85) 98765-4321" },
  },
  { why: "spaces inside the number", cell: "85 98765 4321", phones: ["+5585987654321"] },
  { why: "every digit group separated", cell: "+55 (85) 9 8765 43 21", phones: ["+5585987654321"] },
  { why: "dots as group separators", cell: "85.98765.4321", phones: ["+5585987654321"] },
  { why: "+55 country code", cell: "+55 85 98765-4321", phones: ["+5585987654321"] },
  { why: "55 country code without +", cell: "5585987654321", phones: ["+5585987654321"] },
  { why: "0055 international prefix", cell: "0055 85 98765 4321", phones: ["+5585987654321"] },
  { why: "leading national zero", cell: "085987654321", phones: ["+5585987654321"] },
  { why: "leading zero with spaces", cell: "0 85 98765-4321", phones: ["+5585987654321"] },
  { why: "zero and carrier code", cell: "0 21 85 98765-4321", phones: ["+5585987654321"] },
  { why: "0xx operator placeholder", cell: "(0xx85) 98765-4321", phones: ["+5585987654321"] },
  { why: "0XX upper case, glued", cell: "0XX8598765-4321", phones: ["+5585987654321"] },
  { why: "DDD 55 without country code is DDD 55", cell: "55 98765-4321", phones: ["+5555987654321"] },
  { why: "DDD 55 with country code", cell: "+55 55 98765-4321", phones: ["+5555987654321"] },
  { why: "12 digits 55+55+8 is an old DDD 55 mobile", cell: "555587654321", phones: ["+5555987654321"] },
  {
    why: "DDD 55 landline written with 10 digits",
    cell: "5532345678",
    phones: ["+555532345678"],
    first: { lineType: "fixed_line", sendable: false },
  },
  // --- spreadsheet artefacts
  { why: "numeric cell", cell: 85987654321, phones: ["+5585987654321"] },
  { why: "numeric cell with country code", cell: 5585987654321, phones: ["+5585987654321"] },
  { why: "float text from a float column", cell: "85987654321.0", phones: ["+5585987654321"] },
  { why: "float text with two zeros", cell: "85987654321.00", phones: ["+5585987654321"] },
  { why: "scientific notation with every digit", cell: "8.5987654321E+10", phones: ["+5585987654321"] },
  { why: "scientific notation with a decimal comma", cell: "8,5987654321E+10", phones: ["+5585987654321"] },
  {
    why: "scientific notation that lost digits",
    cell: "8.59877E+10",
    phones: [],
    rejected: ["PRECISION_LOST"],
  },
  { why: "fractional numeric cell", cell: 8598765432.1, phones: [], rejected: ["INVALID_NUMBER"] },
  // --- old mobiles and landlines
  {
    why: "old 8-digit mobile gets the 9",
    cell: "(85) 8765-4321",
    phones: ["+5585987654321"],
    first: { ninthDigitAdded: true, sendable: true },
  },
  {
    why: "old mobile starting with 9",
    cell: "11 9876-5432",
    phones: ["+5511998765432"],
    first: { ninthDigitAdded: true },
  },
  { why: "old mobile starting with 7", cell: "2177654321", phones: ["+5521977654321"] },
  { why: "old mobile with country code", cell: "+55 85 8765-4321", phones: ["+5585987654321"] },
  {
    why: "landline kept, not sendable",
    cell: "(85) 3234-5678",
    phones: ["+558532345678"],
    first: { lineType: "fixed_line", sendable: false, ninthDigitAdded: false },
  },
  {
    why: "Brasília landline",
    cell: "61 3234-5678",
    phones: ["+556132345678"],
    first: { lineType: "fixed_line" },
  },
  // --- several numbers in one cell
  { why: "comma separated", cell: "85987654321, 85988887777", phones: ["+5585987654321", "+5585988887777"] },
  {
    why: "semicolon separated",
    cell: "85987654321;85988887777",
    phones: ["+5585987654321", "+5585988887777"],
  },
  {
    why: "slash separated",
    cell: "(85) 98765-4321 / (85) 3234-5678",
    phones: ["+5585987654321", "+558532345678"],
  },
  {
    why: "line break separated",
    cell: "85987654321\n85988887777",
    phones: ["+5585987654321", "+5585988887777"],
  },
  {
    why: "space separated whole numbers",
    cell: "85987654321 85988887777",
    phones: ["+5585987654321", "+5585988887777"],
  },
  {
    why: "space separated numbers with inner spaces",
    cell: "85 98765 4321 85 3234 5678",
    phones: ["+5585987654321", "+558532345678"],
  },
  {
    why: "word separators",
    cell: "85987654321 ou 85988887777",
    phones: ["+5585987654321", "+5585988887777"],
  },
  {
    why: "labels before numbers",
    cell: "cel: 85987654321 fixo: 8532345678",
    phones: ["+5585987654321", "+558532345678"],
  },
  {
    why: "second number without DDD takes the first's",
    cell: "(85) 98765-4321 / 98888-7777",
    phones: ["+5585987654321", "+5585988887777"],
  },
  { why: "dash between the DDD and the number", cell: "85 - 98765-4321", phones: ["+5585987654321"] },
  // --- duplicates
  {
    why: "same number twice written differently",
    cell: "85987654321 / (85) 98765-4321",
    phones: ["+5585987654321"],
    duplicates: 1,
  },
  {
    why: "old and new forms of one mobile are one phone",
    cell: "85 8765-4321; 85 98765-4321",
    phones: ["+5585987654321"],
    duplicates: 1,
  },
  // --- refusals
  { why: "empty cell", cell: "", phones: [] },
  { why: "null cell", cell: null, phones: [] },
  { why: "DDD 20 does not exist", cell: "(20) 98765-4321", phones: [], rejected: ["INVALID_DDD"] },
  { why: "DDD 10 does not exist", cell: "1098765432", phones: [], rejected: ["INVALID_DDD"] },
  {
    why: "number without DDD and nothing to inherit",
    cell: "98765-4321",
    phones: [],
    rejected: ["MISSING_DDD"],
  },
  {
    why: "landline without DDD refused as one number",
    cell: "3234 5678",
    phones: [],
    rejected: ["MISSING_DDD"],
  },
  { why: "too short", cell: "12345", phones: [], rejected: ["TOO_SHORT"] },
  { why: "too long", cell: "85987654321999", phones: [], rejected: ["TOO_LONG"] },
  { why: "toll-free number", cell: "0800 123 4567", phones: [], rejected: ["SERVICE_NUMBER"] },
  { why: "4004 shared-cost number", cell: "4004-1234", phones: [], rejected: ["SERVICE_NUMBER"] },
  { why: "foreign number", cell: "+1 212 555 0100", phones: [], rejected: ["FOREIGN_NUMBER"] },
  { why: "11 digits without 9 after the DDD", cell: "85387654321", phones: [], rejected: ["INVALID_NUMBER"] },
  { why: "letters only", cell: "não tem", phones: [] },
  {
    why: "one good and one bad number",
    cell: "85987654321 / (20) 98765-4321",
    phones: ["+5585987654321"],
    rejected: ["INVALID_DDD"],
  },
  {
    why: "extension after a landline",
    cell: "(85) 3234-5678 ramal 22",
    phones: ["+558532345678"],
    rejected: ["TOO_SHORT"],
  },
];

describe("parsePhoneCell", () => {
  it.each(CASES)("$why: $cell", (c) => {
    const result = parsePhoneCell(c.cell);
    expect(result.phones.map((p) => p.e164)).toEqual(c.phones);
    expect(result.rejected.map((r) => r.reason)).toEqual(c.rejected ?? []);
    if (c.first) expect(result.phones[0]).toMatchObject(c.first);
    if (c.duplicates !== undefined) expect(result.duplicates).toBe(c.duplicates);
  });

  it("has at least 40 table cases", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  it("marks a number that took its DDD from the one before it", () => {
    const result = parsePhoneCell("(85) 98765-4321 / 98888-7777");
    expect(result.phones.map((p) => p.dddInferred)).toEqual([false, true]);
  });

  it("keeps the text each number was written as", () => {
    const result = parsePhoneCell("tel (85) 98765-4321; 85 3234 5678");
    expect(result.phones.map((p) => p.raw)).toEqual(["(85) 98765-4321", "85 3234 5678"]);
  });
});
