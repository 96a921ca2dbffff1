/**
 * Errors that carry a stable code and a message telling the reader what to do.
 *
 * Codes are UPPER_SNAKE strings grouped by area (CONFIG_*, IMPORT_*, PROVIDER_*, ...). Callers switch on
 * `code`, people read `message`; neither ever contains a phone number, a name or a message body.
 */
export class AppError extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = "AppError";
    this.code = code;
    this.details = details;
  }
}

/** The message of any thrown value, for logs and conditions. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
