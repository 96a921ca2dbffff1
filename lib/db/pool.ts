/**
 * PostgreSQL connection pools and transactions.
 *
 * Values come back as the rest of the code expects them: `bigint` (ids, counts) as JS numbers (ids stay
 * far below 2^53), `date` as the ISO text `YYYY-MM-DD` (a birth date has no time zone), timestamps as
 * Date. These parsers are set per pool, never globally.
 */
import pg from "pg";
import type { Logger } from "../logger.js";
import { AppError } from "../errors.js";

export type { Pool, PoolClient } from "pg";

/** Anything that runs a query: a pool or a client inside a transaction. */
export type Queryable = pg.Pool | pg.PoolClient | pg.Client;

export interface PoolOptions {
  connectionString: string;
  /** Connections kept open at most; default 10. */
  max?: number;
  /** Shown in pg_stat_activity; default "busca-ativa". */
  applicationName?: string;
  /** Abort statements running longer than this; default 60 s. 0 turns it off. */
  statementTimeoutMs?: number;
  /** Where connection errors of idle clients are reported. */
  logger?: Logger;
}

const INT8_OID = 20;
const DATE_OID = 1082;

const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8_OID) return parseInt8;
    if (oid === DATE_OID) return (value: string) => value;
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) {
    throw new AppError(
      "DB_INTEGER_TOO_LARGE",
      `A bigint value (${value}) is beyond 2^53; read it as text instead`,
    );
  }
  return n;
}

export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? "busca-ativa",
    statement_timeout: options.statementTimeoutMs ?? 60_000,
    types,
  });
  pool.on("error", (err) => {
    options.logger?.warn({ err: { message: err.message } }, "An idle PostgreSQL connection failed");
  });
  return pool;
}

/** Runs `work` in a transaction on one client: committed when it resolves, rolled back when it throws. */
export async function withTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (err) {
    // A client whose rollback fails is in an unknown state: destroy it rather than reuse it.
    await client.query("ROLLBACK").catch(() => {
      broken = true;
    });
    throw err;
  } finally {
    client.release(broken);
  }
}
