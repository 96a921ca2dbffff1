/**
 * Ending a test's pool before its database is dropped: pg's Pool.end() resolves before its connections
 * have closed, and DROP DATABASE ... WITH (FORCE) would then kill them (an unhandled FATAL in the test).
 */
import pg from "pg";
import { waitFor } from "../harness/wait.js";

export async function endPool(pool: pg.Pool, databaseUrl: string): Promise<void> {
  await pool.end();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await waitFor(
      async () => {
        const { rows } = await client.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
        );
        return rows[0]?.n === 0;
      },
      { timeoutMs: 10_000, what: "the test's database connections to close" },
    );
  } finally {
    await client.end();
  }
}
