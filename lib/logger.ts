/**
 * Structured logging with pino. Patient data never reaches a log line: the redaction paths below remove
 * the fields that may carry phone numbers, names or message texts wherever they appear in a log object,
 * and code logs ids (contact id, outbox id, campaign uid), never the values themselves.
 */
import { pino, type Logger, type LoggerOptions } from "pino";

/** Field names that may hold patient data; any log field with one of these names is censored. */
export const PATIENT_FIELDS = [
  "phone",
  "phones",
  "e164",
  "number",
  "numbers",
  "to",
  "from",
  "address",
  "jid",
  "remoteJid",
  "name",
  "nome",
  "text",
  "body",
  "message",
  "messageText",
  "template",
  "birthDate",
  "procedure",
] as const;

const REDACT_PATHS = PATIENT_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]).filter(
  // pino's own "message" key is `msg`; keep the human message readable.
  (p) => p !== "message",
);

export interface LoggerConfig {
  /** pino level; default "info". */
  level?: string;
  /** Component name, e.g. "controller", "worker". */
  component: string;
  /** Where to write; default stdout. Tests pass a stream to read the lines back. */
  destination?: pino.DestinationStream;
}

export function createLogger(config: LoggerConfig): Logger {
  const options: LoggerOptions = {
    level: config.level ?? "info",
    base: { component: config.component },
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return config.destination ? pino(options, config.destination) : pino(options);
}

export type { Logger };
