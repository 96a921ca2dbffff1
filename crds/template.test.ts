import { describe, expect, it } from "vitest";
import { templatePlaceholders, unknownPlaceholders } from "./template.js";

describe("templatePlaceholders", () => {
  it("lists each placeholder once, normalised like headers, in order of use", () => {
    expect(templatePlaceholders("Olá {nome}, {Procedimento} em { Data  Cirurgia }; {nome}")).toEqual([
      "nome",
      "procedimento",
      "data cirurgia",
    ]);
  });

  it("ignores text without placeholders", () => {
    expect(templatePlaceholders("Responda 1, 2 ou 3")).toEqual([]);
  });
});

describe("unknownPlaceholders", () => {
  it("accepts nome and procedimento whatever the headers, and list columns by header", () => {
    expect(unknownPlaceholders("{nome} {procedimento} {Setor}", ["Nome do Paciente", "setor"])).toEqual([]);
  });

  it("names the placeholders no column matches", () => {
    expect(unknownPlaceholders("{nome}: {data da cirurgia} {medico}", ["telefone", "medico"])).toEqual([
      "data da cirurgia",
    ]);
  });
});
