/**
 * Usage errors found after commander parsed the options (a bad value, a missing file): the message alone
 * on stderr and exit code 2, like a bad configuration (cli/main.ts prints ConfigErrors that way), without
 * the whole help text commander adds to its own parse errors.
 */
import { ConfigError } from "../lib/config.js";

export class UsageError extends ConfigError {
  constructor(message: string) {
    super(`error: ${message}`, {});
    this.name = "UsageError";
  }
}

export function usage(message: string): never {
  throw new UsageError(message);
}
