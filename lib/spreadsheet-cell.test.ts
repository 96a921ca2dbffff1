import { describe, expect, it } from "vitest";
import { looksLikeFormula, neutraliseSpreadsheetCell } from "./spreadsheet-cell.js";

describe("neutraliseSpreadsheetCell", () => {
  it.each([
    ['=HYPERLINK("http://x","clique")', '\'=HYPERLINK("http://x","clique")'],
    ["+55 85 98765-4321", "'+55 85 98765-4321"],
    ["-2+3", "'-2+3"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["\t=1+1", "'\t=1+1"],
    ["\r=1+1", "'\r=1+1"],
    ["\uFF1D1+1", "'\uFF1D1+1"],
    ["Maria da Silva", "Maria da Silva"],
    ["", ""],
    ["José = João", "José = João"],
  ])("%j becomes %j", (input, output) => {
    expect(neutraliseSpreadsheetCell(input)).toBe(output);
    expect(looksLikeFormula(input)).toBe(output !== input);
  });

  it("leaves numbers, dates, booleans and null alone", () => {
    const date = new Date("2020-01-01T00:00:00Z");
    expect(neutraliseSpreadsheetCell(-5)).toBe(-5);
    expect(neutraliseSpreadsheetCell(date)).toBe(date);
    expect(neutraliseSpreadsheetCell(true)).toBe(true);
    expect(neutraliseSpreadsheetCell(null)).toBe(null);
  });
});
