import { describe, expect, it } from "vitest";
import { pickWording, renderTemplate } from "./render.js";

const values = {
  name: "Maria da Silva",
  procedure: "ARTROPLASTIA DE JOELHO",
  fields: { "data da consulta": "12/01" },
};

describe("renderTemplate", () => {
  it.each([
    ["Olá, {nome}!", "Olá, Maria da Silva!"],
    ["{procedimento}", "ARTROPLASTIA DE JOELHO"],
    ["{ Nome } e {PROCEDIMENTO}", "Maria da Silva e ARTROPLASTIA DE JOELHO"],
    ["Consulta: {Data  da Consulta}", "Consulta: 12/01"],
    ["Sem coluna: {leito}.", "Sem coluna: ."],
    ["Chaves vazias {} ficam", "Chaves vazias {} ficam"],
  ])("fills %j", (template, expected) => expect(renderTemplate(template, values)).toBe(expected));

  it("says 'o procedimento' when the list had no procedure", () => {
    expect(renderTemplate("{procedimento}", { ...values, procedure: null })).toBe("o procedimento");
    expect(renderTemplate("{procedimento}", { ...values, procedure: "  " })).toBe("o procedimento");
  });

  it("does not re-read placeholders inside filled values", () => {
    expect(renderTemplate("{nome}", { ...values, name: "{procedimento}" })).toBe("{procedimento}");
  });
});

describe("pickWording", () => {
  it("rotates the template and its variants across contacts", () => {
    const picks = [0, 1, 2, 3, 4].map((i) => pickWording("A", ["B", "C"], i));
    expect(picks).toEqual(["A", "B", "C", "A", "B"]);
  });
  it("uses the template alone when there are no variants", () => {
    expect(pickWording("A", undefined, 7)).toBe("A");
  });
});
