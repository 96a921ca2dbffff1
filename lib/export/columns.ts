/**
 * The per-patient export, pure: the Celery system's export columns (Nome … Erro, in its order) plus
 * Motivo, Sem Resposta and Linha, our states and answers as Portuguese labels (the mapping is in
 * docs/cli.md, "Export"), phones as Brazilians write them, and times in the campaign's time zone.
 * Every text cell is neutralised against spreadsheet formulas.
 */
import {
  DEFAULT_DECLINE_REASON_OPTIONS,
  FREE_TEXT_REASON_CODE,
  NO_REASON_GIVEN_CODE,
} from "../../crds/defaults.js";
import type { ContactState, OutboxErrorClass } from "../db/states.js";
import { neutraliseSpreadsheetCell } from "../spreadsheet-cell.js";

export const EXPORT_COLUMNS = [
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
  "Motivo",
  "Sem Resposta",
  "Linha",
] as const;

export const CONTACT_STATE_LABELS: Record<ContactState, string> = {
  pending: "Pendente",
  ready: "Pronto para envio",
  no_whatsapp: "Sem WhatsApp",
  sent: "Enviado, aguardando resposta",
  awaiting_reason: "Aguardando motivo",
  confirmed: "Confirmado",
  declined: "Rejeitado",
  not_me: "Desconhece (número não é do paciente)",
  no_response: "Sem resposta",
  opted_out: "Não quer receber mensagens",
  failed: "Erro no envio",
};

/** The classification of a reply (worker/replies/classify.ts) as the export shows it. */
export const REPLY_LABELS: Record<string, string> = {
  confirm: "SIM",
  decline: "NÃO",
  not_me: "DESCONHEÇO",
  opt_out: "Pediu para não receber mensagens",
  reason: "Motivo informado",
  other: "Resposta não reconhecida",
};

export const ERROR_CLASS_LABELS: Record<OutboxErrorClass, string> = {
  permanent: "Falha permanente no envio",
  needs_template: "Fora da janela de 24 h: exige modelo aprovado",
  stop_sending: "Envio bloqueado pelo provedor",
  retryable: "Falha temporária no envio",
  rate_limited: "Limite de envio do provedor",
};

export const NO_REASON_GIVEN_LABEL = "Não informado (prazo esgotado)";

/** A contact as read for the export (lib/export/rows.ts). */
export interface ExportContact {
  id: number;
  sourceRow: number;
  name: string;
  /** YYYY-MM-DD. */
  birthDate: string | null;
  procedure: string | null;
  state: ContactState;
  /** E.164, main phone first. */
  phones: string[];
  firstContactedAt: Date | null;
  firstSentAt: Date | null;
  repliedAt: Date | null;
  lastReply: string | null;
  lastReplyAt: Date | null;
  declineReason: string | null;
  declineReasonText: string | null;
  errorClass: OutboxErrorClass | null;
  errorCode: string | null;
}

/** A cell: text, a local date (dd/mm/aaaa), a local date and time, or a number. */
export type ExportCell =
  | string
  | number
  | { kind: "date"; year: number; month: number; day: number }
  | { kind: "datetime"; year: number; month: number; day: number; hour: number; minute: number };

export interface ExportContext {
  /** IANA zone for times (the campaign's schedule.timeZone). */
  timeZone: string;
  /** Decline reason code → label (the campaign's options; defaults otherwise). */
  reasonLabels: ReadonlyMap<string, string>;
}

export function reasonLabels(
  options: readonly { code: string; label: string }[] | undefined,
): Map<string, string> {
  const labels = new Map<string, string>();
  for (const o of options ?? DEFAULT_DECLINE_REASON_OPTIONS) labels.set(o.code, o.label);
  return labels;
}

const yesNo = (value: boolean) => (value ? "Sim" : "Não");

/** One row of the export, in EXPORT_COLUMNS order; text cells already neutralised. */
export function exportRow(contact: ExportContact, context: ExportContext): ExportCell[] {
  const sentAt = contact.firstContactedAt ?? contact.firstSentAt;
  const motivo = declineReasonText(contact, context);
  const answer =
    contact.state === "declined" && motivo
      ? motivo
      : contact.lastReply
        ? (REPLY_LABELS[contact.lastReply] ?? contact.lastReply)
        : "";
  const cells: ExportCell[] = [
    contact.name,
    contact.birthDate ? isoDate(contact.birthDate) : "",
    contact.phones.map(displayPhone).join(", "),
    contact.procedure ?? "",
    CONTACT_STATE_LABELS[contact.state] ?? contact.state,
    yesNo(sentAt !== null),
    sentAt ? localDateTime(sentAt, context.timeZone) : "",
    yesNo(contact.state === "confirmed"),
    yesNo(contact.state === "declined"),
    answer,
    contact.lastReplyAt || contact.repliedAt
      ? localDateTime((contact.lastReplyAt ?? contact.repliedAt)!, context.timeZone)
      : "",
    errorText(contact),
    motivo,
    yesNo(contact.state === "no_response"),
    contact.sourceRow,
  ];
  return cells.map((cell) => (typeof cell === "string" ? String(neutraliseSpreadsheetCell(cell)) : cell));
}

function declineReasonText(contact: ExportContact, context: ExportContext): string {
  const code = contact.declineReason;
  if (!code) return "";
  if (code === NO_REASON_GIVEN_CODE) return NO_REASON_GIVEN_LABEL;
  const label = context.reasonLabels.get(code) ?? code;
  const text = contact.declineReasonText?.trim();
  return code === FREE_TEXT_REASON_CODE && text ? `${label}: ${text}` : label;
}

function errorText(contact: ExportContact): string {
  if (contact.state === "no_whatsapp") return "Nenhum telefone com WhatsApp";
  if (contact.state !== "failed") return "";
  if (!contact.errorClass) return "Não foi possível enviar";
  const label = ERROR_CLASS_LABELS[contact.errorClass] ?? contact.errorClass;
  return contact.errorCode ? `${label} (código ${contact.errorCode})` : label;
}

/** "+5585987654321" → "(85) 98765-4321"; "+558533660000" → "(85) 3366-0000"; others unchanged. */
export function displayPhone(e164: string): string {
  const m = /^\+55(\d{2})(\d{4,5})(\d{4})$/.exec(e164);
  return m ? `(${m[1]}) ${m[2]}-${m[3]}` : e164;
}

function isoDate(text: string): ExportCell {
  const [year, month, day] = text.split("-").map(Number);
  return { kind: "date", year: year!, month: month!, day: day! };
}

/** The wall-clock time of `at` in `timeZone` (UTC when the zone is unknown). */
export function localDateTime(at: Date, timeZone: string): ExportCell {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
  } catch {
    return localDateTime(at, "UTC");
  }
  const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, Number(p.value)]));
  return {
    kind: "datetime",
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
  };
}

const pad = (n: number) => String(n).padStart(2, "0");

/** A cell as CSV text (dates as dd/mm/aaaa and dd/mm/aaaa HH:MM, as pt-BR Excel shows them). */
export function cellText(cell: ExportCell): string {
  if (typeof cell === "string") return cell;
  if (typeof cell === "number") return String(cell);
  const date = `${pad(cell.day)}/${pad(cell.month)}/${cell.year}`;
  return cell.kind === "date" ? date : `${date} ${pad(cell.hour)}:${pad(cell.minute)}`;
}
