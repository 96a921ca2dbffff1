import { describe, expect, it } from "vitest";
import {
  cellText,
  displayPhone,
  EXPORT_COLUMNS,
  exportRow,
  localDateTime,
  reasonLabels,
  type ExportContact,
} from "./columns.js";

const context = { timeZone: "America/Fortaleza", reasonLabels: reasonLabels(undefined) };

function contact(overrides: Partial<ExportContact> = {}): ExportContact {
  return {
    id: 1,
    sourceRow: 2,
    name: "Maria da Silva",
    birthDate: "1958-03-12",
    procedure: "ARTROPLASTIA",
    state: "sent",
    phones: ["+5585987654321", "+558533660000"],
    firstContactedAt: new Date("2026-08-03T11:05:00Z"),
    firstSentAt: null,
    repliedAt: null,
    lastReply: null,
    lastReplyAt: null,
    declineReason: null,
    declineReasonText: null,
    errorClass: null,
    errorCode: null,
    ...overrides,
  };
}

const text = (c: ExportContact) => {
  const row = exportRow(c, context).map(cellText);
  return Object.fromEntries(EXPORT_COLUMNS.map((name, i) => [name, row[i]]));
};

describe("export rows", () => {
  it("starts with the Celery system's columns, in its order", () => {
    expect(EXPORT_COLUMNS.slice(0, 12)).toEqual([
      "Nome",
      "Nascimento",
      "Telefones",
      "Procedimento",
      "Status",
      "Enviado",
      "Data Envio",
      "Confirmado",
      "Rejeitado",
      "Resposta",
      "Data Resposta",
      "Erro",
    ]);
  });

  it("writes a sent contact with local times, Brazilian phones and dates", () => {
    expect(text(contact())).toEqual({
      Nome: "Maria da Silva",
      Nascimento: "12/03/1958",
      Telefones: "(85) 98765-4321, (85) 3366-0000",
      Procedimento: "ARTROPLASTIA",
      Status: "Enviado, aguardando resposta",
      Enviado: "Sim",
      "Data Envio": "03/08/2026 08:05",
      Confirmado: "Não",
      Rejeitado: "Não",
      Resposta: "",
      "Data Resposta": "",
      Erro: "",
      Motivo: "",
      "Sem Resposta": "Não",
      Linha: "2",
    });
  });

  it.each([
    [
      { state: "confirmed", lastReply: "confirm" },
      { Status: "Confirmado", Confirmado: "Sim", Resposta: "SIM" },
    ],
    [
      { state: "declined", lastReply: "reason", declineReason: "health-problems" },
      { Status: "Rejeitado", Rejeitado: "Sim", Resposta: "Problemas de saúde", Motivo: "Problemas de saúde" },
    ],
    [
      { state: "declined", declineReason: "other", declineReasonText: "mudei de cidade" },
      { Resposta: "Outro motivo: mudei de cidade", Motivo: "Outro motivo: mudei de cidade" },
    ],
    [{ state: "declined", declineReason: "not-given" }, { Motivo: "Não informado (prazo esgotado)" }],
    [
      { state: "awaiting_reason", lastReply: "decline" },
      { Status: "Aguardando motivo", Resposta: "NÃO" },
    ],
    [{ state: "not_me", lastReply: "not_me" }, { Resposta: "DESCONHEÇO" }],
    [{ state: "no_response" }, { Status: "Sem resposta", "Sem Resposta": "Sim" }],
    [{ state: "opted_out", lastReply: "opt_out" }, { Resposta: "Pediu para não receber mensagens" }],
    [
      { state: "failed", errorClass: "permanent", errorCode: "131026", firstContactedAt: null },
      { Status: "Erro no envio", Enviado: "Não", Erro: "Falha permanente no envio (código 131026)" },
    ],
    [
      { state: "no_whatsapp", firstContactedAt: null },
      { Erro: "Nenhum telefone com WhatsApp", Enviado: "Não" },
    ],
    [
      { lastReply: "other", lastReplyAt: new Date("2026-08-04T02:30:00Z") },
      { Resposta: "Resposta não reconhecida", "Data Resposta": "03/08/2026 23:30" },
    ],
  ] as const)("maps %j", (overrides, expected) => {
    expect(text(contact(overrides as Partial<ExportContact>))).toMatchObject(expected);
  });

  it("uses the campaign's own decline reason labels", () => {
    const own = { ...context, reasonLabels: reasonLabels([{ code: "distance", label: "Mora longe" }]) };
    const row = exportRow(contact({ state: "declined", declineReason: "distance" }), own).map(cellText);
    expect(row[EXPORT_COLUMNS.indexOf("Motivo")]).toBe("Mora longe");
  });

  it("neutralises every text cell that a spreadsheet would run as a formula", () => {
    const row = exportRow(
      contact({
        name: '=HYPERLINK("http://evil.example","clique")',
        procedure: "+SUM(A1)",
        state: "declined",
        declineReason: "other",
        declineReasonText: "x",
      }),
      { ...context, reasonLabels: new Map([["other", "@cmd"]]) },
    ).map(cellText);
    expect(row[0]).toBe(`'=HYPERLINK("http://evil.example","clique")`);
    expect(row[3]).toBe("'+SUM(A1)");
    expect(row[EXPORT_COLUMNS.indexOf("Motivo")]).toBe("'@cmd: x");
  });

  it.each([
    ["+5585987654321", "(85) 98765-4321"],
    ["+558533660000", "(85) 3366-0000"],
    ["+999000000001", "+999000000001"],
  ])("shows %s as %s", (e164, shown) => {
    expect(displayPhone(e164)).toBe(shown);
  });

  it("takes local times in the zone, across midnight and in UTC for an unknown zone", () => {
    expect(cellText(localDateTime(new Date("2026-01-01T02:00:00Z"), "America/Sao_Paulo"))).toBe(
      "31/12/2025 23:00",
    );
    expect(cellText(localDateTime(new Date("2026-01-01T02:00:00Z"), "Nowhere/Zone"))).toBe(
      "01/01/2026 02:00",
    );
  });
});
