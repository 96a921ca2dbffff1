/**
 * CPU time used by a local PostgreSQL server: its postmaster, the server processes alive now, and
 * (through the postmaster's "children" counters) every server process that has exited. Read from /proc,
 * so only for a server on this machine that the connection may ask for its data directory (a superuser,
 * like the benchmarks' private server); undefined otherwise.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type pg from "pg";

/** Linux's USER_HZ, the unit of /proc/<pid>/stat times; 100 on every common kernel. */
const TICKS_PER_SECOND = 100;

export async function postmasterPid(client: pg.Client | pg.Pool): Promise<number | undefined> {
  try {
    const { rows } = await client.query<{ data_directory: string }>("SHOW data_directory");
    const pidFile = readFileSync(join(rows[0]!.data_directory, "postmaster.pid"), "utf8");
    const pid = Number(pidFile.split("\n")[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Seconds of CPU (user + system) the server with this postmaster has used so far. */
export function postgresCpuSeconds(postmaster: number): number {
  let ticks = 0;
  const own = procStat(postmaster);
  if (!own) return Number.NaN;
  ticks += own.utime + own.stime + own.cutime + own.cstime;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat?.ppid === postmaster) ticks += stat.utime + stat.stime;
  }
  return ticks / TICKS_PER_SECOND;
}

interface ProcStat {
  ppid: number;
  utime: number;
  stime: number;
  cutime: number;
  cstime: number;
}

function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined; // exited meanwhile
  }
  // The command name (field 2) is in parentheses and may contain spaces: split after its last ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // Fields from 3 on: state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17).
  const at = (n: number) => Number(fields[n - 3]);
  return { ppid: at(4), utime: at(14), stime: at(15), cutime: at(16), cstime: at(17) };
}
