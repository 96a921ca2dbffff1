import { describe, expect, it } from "vitest";
import { parseColumnMap } from "./column-map.js";

describe("--map", () => {
  it.each([
    ["name=Paciente", { name: ["Paciente"] }],
    ["name=Paciente,phone=Celular|Telefone 2", { name: ["Paciente"], phone: ["Celular", "Telefone 2"] }],
    [" nome = Nome do paciente , telefone=Fone ", { name: ["Nome do paciente"], phone: ["Fone"] }],
    ["birthDate=Data Nasc.,procedure=Cirurgia", { birthDate: ["Data Nasc."], procedure: ["Cirurgia"] }],
    ["nascimento=DN", { birthDate: ["DN"] }],
  ])("reads %j", (text, mapping) => {
    expect(parseColumnMap(text)).toEqual({ mapping });
  });

  it.each([
    ["Paciente", /role=Header/],
    ["cpf=CPF", /unknown column role "cpf"/],
    ["name=", /no header given for name/],
    ["name=A,name=B", /given twice/],
    ["", /no column given/],
  ])("refuses %j", (text, message) => {
    const parsed = parseColumnMap(text);
    expect("error" in parsed && parsed.error).toMatch(message);
  });
});
