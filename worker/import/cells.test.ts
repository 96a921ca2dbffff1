import { describe, expect, it } from "vitest";
import { parseBirthDate } from "./birth-date.js";
import { headerKey, resolveColumns } from "./columns.js";
import { ListTextDecoder } from "./decode.js";
import { detectDelimiter } from "./csv-rows.js";
import { fieldKey } from "./field-key.js";
import { cleanName, dedupeKey } from "./name.js";
import { cleanProcedure } from "./procedure.js";

const TODAY = new Date("2026-11-28T12:00:00Z");

describe("parseBirthDate", () => {
  it.each([
    ["15/03/1980", "1980-03-15"],
    ["5/3/1980", "1980-03-05"],
    ["15-03-1980", "1980-03-15"],
    ["15.03.1980", "1980-03-15"],
    ["15/03/1980 00:00:00", "1980-03-15"],
    ["15/03/80", "1980-03-15"],
    ["15/03/05", "2005-03-15"],
    ["1980-03-15", "1980-03-15"],
    ["1980-03-15T00:00:00.000Z", "1980-03-15"],
    ["29/02/2000", "2000-02-29"],
    [new Date(Date.UTC(1980, 2, 15)), "1980-03-15"],
    [29295, "1980-03-15"],
    [29295.75, "1980-03-15"],
    ["", null],
    ["nan", null],
    [null, null],
  ])("%j is %j", (value, date) => {
    expect(parseBirthDate(value, TODAY)).toEqual({ date, invalid: false });
  });

  it.each([
    ["31/02/1980"],
    ["29/02/1981"],
    ["15/13/1980"],
    ["01/01/1899"],
    ["01/12/2026x"],
    ["amanhã"],
    ["29/11/2026"],
    [true],
    [-3],
  ])("%j is refused", (value) => {
    expect(parseBirthDate(value, TODAY)).toEqual({ date: null, invalid: true });
  });

  it("accepts today but not tomorrow", () => {
    expect(parseBirthDate("28/11/2026", TODAY).date).toBe("2026-11-28");
    expect(parseBirthDate("29/11/2026", TODAY).invalid).toBe(true);
  });
});

describe("cleanProcedure", () => {
  it.each([
    ["0408050896 - ARTROPLASTIA TOTAL DE JOELHO", "ARTROPLASTIA TOTAL DE JOELHO"],
    ["04.08.05.089-6 - ARTROPLASTIA TOTAL", "ARTROPLASTIA TOTAL"],
    ["0408050896-ARTROPLASTIA", "ARTROPLASTIA"],
    ["  0408 –  Catarata  ", "Catarata"],
    ["COVID-19 - acompanhamento", "COVID-19 - acompanhamento"],
    ["Cirurgia de catarata", "Cirurgia de catarata"],
    ["0408050896", "0408050896"],
    ["", null],
    ["nan", null],
    ["-", null],
  ])("%j is %j", (text, expected) => {
    expect(cleanProcedure(text)).toBe(expected);
  });
});

describe("names and duplicates", () => {
  it.each([
    ["  Maria   da  Silva ", "Maria da Silva"],
    ['=HYPERLINK("x")', '=HYPERLINK("x")'],
    ["+Maria", "+Maria"],
    ["-", null],
    ["nan", null],
    ["NULL", null],
    ["", null],
  ])("name %j is %j", (text, expected) => {
    expect(cleanName(text)).toBe(expected);
  });

  it("merges names that differ in case, accents and spacing, with the same birth date", () => {
    expect(dedupeKey("MARIA JOSÉ  da Silva", "1980-03-15", "+5585987654321")).toBe(
      dedupeKey("maria jose da silva", "1980-03-15", "+5585911112222"),
    );
  });

  it("keeps namesakes apart when their birth dates differ", () => {
    expect(dedupeKey("José da Silva", "1980-03-15", "+5585987654321")).not.toBe(
      dedupeKey("José da Silva", "1981-03-15", "+5585987654321"),
    );
  });

  it("without a birth date, merges only rows whose first phone is the same", () => {
    expect(dedupeKey("José da Silva", null, "+5585987654321")).toBe(
      dedupeKey("JOSE DA SILVA", null, "+5585987654321"),
    );
    expect(dedupeKey("José da Silva", null, "+5585987654321")).not.toBe(
      dedupeKey("José da Silva", null, "+5585911112222"),
    );
  });
});

describe("columns", () => {
  it.each([
    ["Nome", "nome"],
    ["  NOME  ", "nome"],
    ["Usuário", "usuario"],
    ["Data_Nascimento", "data nascimento"],
    ["DT.NASC", "dt nasc"],
    ["Data   Nascimento", "data nascimento"],
  ])("header %j compares as %j", (header, key) => {
    expect(headerKey(header)).toBe(key);
  });

  it("finds the roles by alias, reads every phone column, and keeps the rest as fields", () => {
    const layout = resolveColumns(
      ["Paciente", "Telefone", "Celular", "DtNasc", "Cirurgia", "Data da Consulta", "", "Cirurgia"],
      1,
    );
    expect(layout).toMatchObject({ name: 0, phone: [1, 2], birthDate: 3, procedure: 7 });
    expect("fields" in layout && layout.fields.map((f) => f.key)).toEqual([
      "paciente",
      "dtnasc",
      "cirurgia",
      "data da consulta",
      "column 7",
      "cirurgia 2",
    ]);
  });

  it("lets the mapping take a column a default alias would have taken", () => {
    const layout = resolveColumns(["Contato", "Nome", "Fone"], 1, { name: "contato", phone: "fone" });
    expect(layout).toMatchObject({ name: 0, phone: [2] });
  });

  it("says which required roles are missing", () => {
    expect(resolveColumns(["Nome", "Endereço"], 1)).toEqual({ missing: ["phone"] });
    expect(resolveColumns(["Endereço"], 1)).toEqual({ missing: ["name", "phone"] });
  });

  it("stores fields under the key placeholders are compared by", () => {
    expect(fieldKey("  Data   da Consulta ")).toBe("data da consulta");
    expect(fieldKey("Médico")).toBe("médico");
  });
});

describe("CSV text", () => {
  it.each([
    ["nome,telefone\n", ","],
    ["nome;telefone;nascimento\n", ";"],
    ["nome\ttelefone\n", "\t"],
    ['"Silva, Maria";telefone\n', ";"],
    ["Lista de espera\nnome;telefone\nAna;1\n", ";"],
    ["nome\n", ","],
  ])("delimiter of %j is %j", (text, delimiter) => {
    expect(detectDelimiter(text)).toBe(delimiter);
  });

  it.each([
    ["UTF-8", Buffer.from("João;Conceição\n", "utf8"), "João;Conceição\n", "utf-8"],
    ["UTF-8 with BOM", Buffer.from("\uFEFFJoão\n", "utf8"), "João\n", "utf-8"],
    [
      "Windows-1252",
      Buffer.concat([Buffer.from("João;Conceição;", "latin1"), Buffer.from([0x80]), Buffer.from("\n")]),
      "João;Conceição;€\n",
      "windows-1252",
    ],
    [
      "UTF-8 then Latin-1",
      Buffer.concat([Buffer.from("José\n", "utf8"), Buffer.from("Conceição\n", "latin1")]),
      "José\nConceição\n",
      "mixed",
    ],
    [
      "UTF-16LE with BOM",
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("nome\tJoão\n", "utf16le")]),
      "nome\tJoão\n",
      "utf-16le",
    ],
  ])("decodes %s, byte by byte too", (_name, bytes, text, encoding) => {
    for (const size of [bytes.length, 1, 2, 3]) {
      const decoder = new ListTextDecoder();
      let out = "";
      for (let i = 0; i < bytes.length; i += size) out += decoder.write(bytes.subarray(i, i + size));
      out += decoder.end();
      expect(out, `chunks of ${size}`).toBe(text);
      expect(decoder.encoding).toBe(encoding);
    }
  });
});
