/**
 * The postmaster of a local PostgreSQL server, found through a connection (for `treeCpuSeconds` in
 * ./proc.ts): only for a server on this machine whose data directory the connection may ask for (a
 * superuser, like the benchmarks' private server); undefined otherwise.
 */
import type pg from "pg";
import { postmasterPid } from "./proc.js";

export async function postmasterOf(client: pg.Client | pg.Pool): Promise<number | undefined> {
  try {
    const { rows } = await client.query<{ data_directory: string }>("SHOW data_directory");
    const pid = postmasterPid(rows[0]!.data_directory);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
