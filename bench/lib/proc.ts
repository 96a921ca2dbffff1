/**
 * CPU time and memory of processes, read from /proc (Linux): what a benchmark charges to the worker,
 * the sandbox, Redis, PostgreSQL or the API server.
 */
import { readFileSync, readdirSync } from "node:fs";
import { execFileSync } from "node:child_process";

let ticksPerSecond: number | undefined;

/** Clock ticks per second of /proc/<pid>/stat times (getconf CLK_TCK; 100 on Linux). */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

interface ProcStat {
  ppid: number;
  /** utime + stime, seconds. */
  own: number;
  /** cutime + cstime (children already waited for), seconds. */
  reapedChildren: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const tick = clockTicks();
  return {
    ppid: Number(fields[1]),
    own: (Number(fields[11]) + Number(fields[12])) / tick,
    reapedChildren: (Number(fields[13]) + Number(fields[14])) / tick,
  };
}

/** CPU seconds (user + system) a process has used so far; 0 when it is gone. */
export function cpuSeconds(pid: number): number {
  return readStat(pid)?.own ?? 0;
}

/**
 * CPU seconds of a process and all its descendants: the root's own time, the time of children it has
 * already reaped, and the own time of descendants still alive (PostgreSQL's backends, for instance).
 */
export function treeCpuSeconds(rootPid: number): number {
  const root = readStat(rootPid);
  if (!root) return 0;
  const children = new Map<number, number[]>();
  const stats = new Map<number, ProcStat>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const stat = readStat(pid);
    if (!stat) continue;
    stats.set(pid, stat);
    const list = children.get(stat.ppid);
    if (list) list.push(pid);
    else children.set(stat.ppid, [pid]);
  }
  let total = root.own + root.reapedChildren;
  const stack = [...(children.get(rootPid) ?? [])];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    const stat = stats.get(pid);
    if (!stat) continue;
    total += stat.own;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

/** Resident memory of a process in bytes (VmRSS); 0 when it is gone. */
export function rssBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Pids whose program (argv[0]) ends with `binary` and whose arguments contain every one of `parts`. */
export function findPids(binary: string, ...parts: string[]): number[] {
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    const args = argv.join(" ");
    if (argv[0]?.endsWith(binary) && parts.every((p) => args.includes(p))) found.push(Number(name));
  }
  return found;
}

/** The pid in the first line of a PostgreSQL data folder's postmaster.pid. */
export function postmasterPid(dataDirectory: string): number {
  return Number(readFileSync(`${dataDirectory}/postmaster.pid`, "utf8").split("\n")[0]);
}
