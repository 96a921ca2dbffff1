/**
 * Process configuration from environment variables, parsed once at start with zod.
 * A bad value stops the process with a message naming the variable and what it expected.
 */
import { z } from "zod";
import { AppError } from "./errors.js";

export class ConfigError extends AppError {
  constructor(message: string, details: Record<string, unknown>) {
    super("CONFIG_INVALID", message, details);
    this.name = "ConfigError";
  }
}

/**
 * Parses `env` against `shape`, where each key is the environment variable's name.
 * Throws a ConfigError listing every bad variable, e.g.
 * `REDIS_URL: expected a redis:// or rediss:// URL (got "localhost")`.
 */
export function parseEnv<S extends z.ZodRawShape>(
  shape: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<z.ZodObject<S>> {
  const schema = z.object(shape);
  const picked: Record<string, string | undefined> = {};
  for (const key of Object.keys(shape)) {
    const value = env[key];
    picked[key] = value === "" ? undefined : value;
  }
  const result = schema.safeParse(picked);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const variable = String(issue.path[0] ?? "?");
    const got = picked[variable];
    const shown = got === undefined ? "it is not set" : `got ${JSON.stringify(truncate(got))}`;
    return `${variable}: ${issue.message} (${shown})`;
  });
  throw new ConfigError(`Invalid configuration:\n  ${problems.join("\n  ")}`, { problems });
}

function truncate(value: string): string {
  return value.length > 60 ? `${value.slice(0, 57)}...` : value;
}

/** Common variable schemas, with messages that say what is expected. */
export const env = {
  redisUrl: () =>
    z
      .string({ message: "expected a redis:// or rediss:// URL" })
      .regex(/^rediss?:\/\//, { message: "expected a redis:// or rediss:// URL" }),
  postgresUrl: () =>
    z
      .string({ message: "expected a postgres:// or postgresql:// URL" })
      .regex(/^postgres(ql)?:\/\//, { message: "expected a postgres:// or postgresql:// URL" }),
  port: (fallback: number) =>
    z.coerce
      .number({ message: "expected a TCP port number" })
      .int({ message: "expected a whole TCP port number" })
      .min(0, { message: "expected a port from 0 to 65535" })
      .max(65535, { message: "expected a port from 0 to 65535" })
      .default(fallback),
  positiveInt: (fallback: number) =>
    z.coerce
      .number({ message: "expected a whole number" })
      .int({ message: "expected a whole number" })
      .positive({ message: "expected a number above 0" })
      .default(fallback),
  /** BullMQ's key prefix: no ':' (BullMQ adds its own separators). */
  queuePrefix: () =>
    z
      .string()
      .regex(/^[A-Za-z0-9_.{}-]+$/, { message: "expected letters, digits, _ . - { } (no ':')" })
      .default("busca-ativa"),
  logLevel: () =>
    z
      .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
        message: "expected one of fatal, error, warn, info, debug, trace, silent",
      })
      .default("info"),
  bool: (fallback: boolean) =>
    z
      .enum(["true", "false", "1", "0", "yes", "no"], { message: "expected true or false" })
      .transform((v) => v === "true" || v === "1" || v === "yes")
      .default(fallback),
};
