/**
 * What the worker tests share on top of the local stack (test/e2e/stack.ts): worker processes started from
 * the CLI as real subprocesses (so they can be killed with SIGKILL or stopped with SIGTERM), reads of the
 * outbox in PostgreSQL, and the exactly-once check against what the sandbox says each number received.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { Redis } from "ioredis";
import type pg from "pg";
import { REPO_ROOT, redisServer } from "../harness/tools.js";
import { ManagedProcess } from "../harness/process.js";
import { freePort } from "../harness/ports.js";
import { testEnv, uniqueSuffix } from "../harness/fixtures.js";
import { waitFor } from "../harness/wait.js";
import type { SandboxClient } from "../sandbox/client.js";
import type { LocalStack } from "../e2e/stack.js";

const TETHER = fileURLToPath(new URL("../harness/tether.sh", import.meta.url));
const NODE = join(REPO_ROOT, "node_modules", ".bin", "node");

/** The E.164 number `syntheticList` gives patient `k` (DDD 85, mobile). */
export function syntheticPhone(k: number): string {
  return `+55859${String(80000000 + k).padStart(8, "0")}`;
}

export function syntheticPhones(n: number, offset = 0): string[] {
  return Array.from({ length: n }, (_, i) => syntheticPhone(offset + i));
}

export interface LogEntry {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/**
 * `busca-ativa worker` as a subprocess (`node --import tsx cli/main.ts worker`, one process, so a signal
 * reaches the worker itself), behind the harness's tether so it never outlives the test run. Its JSON log
 * goes to a file the test can read.
 */
export class WorkerSubprocess {
  readonly logFile: string;
  private readonly tether: ChildProcess;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<void>;

  private constructor(
    readonly podName: string,
    env: Record<string, string>,
    groups: string,
  ) {
    this.logFile = join(testEnv().dir, `worker-${podName}-${uniqueSuffix()}.log`);
    const fd = openSync(this.logFile, "a");
    try {
      this.tether = spawn(
        TETHER,
        [
          String(process.pid),
          "60",
          "TERM",
          "--",
          NODE,
          "--import",
          "tsx",
          "cli/main.ts",
          "worker",
          "--groups",
          groups,
        ],
        { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ["ignore", fd, fd], detached: true },
      );
    } finally {
      closeSync(fd);
    }
    this.tether.unref();
    this.exited = new Promise((resolve) =>
      this.tether.once("exit", (code, signal) => {
        this.exit = { code, signal };
        resolve();
      }),
    );
  }

  /** Launches `busca-ativa worker` with exactly `env` (on top of this process's) and does not wait. */
  static launch(podName: string, env: Record<string, string>, groups = "all"): WorkerSubprocess {
    return new WorkerSubprocess(podName, { POD_NAME: podName, ...env }, groups);
  }

  /** Waits until the process exited; its exit code. */
  async waitForExit(timeoutMs: number): Promise<number | null> {
    await waitFor(() => this.exit !== undefined, {
      timeoutMs,
      what: `worker ${this.podName} to exit (log: ${this.logFile})`,
      intervalMs: 100,
    });
    return this.exit!.code;
  }

  /** Starts a worker for `groups` with the stack's environment plus `env`; resolves once it serves. */
  static async start(
    stack: LocalStack,
    podName: string,
    env: Record<string, string> = {},
    groups = "all",
  ): Promise<WorkerSubprocess> {
    const worker = new WorkerSubprocess(
      podName,
      {
        ...stack.env,
        KUBECONFIG: testEnv().kubeconfig,
        POD_NAME: podName,
        LOG_LEVEL: "info",
        ...env,
      },
      groups,
    );
    await waitFor(
      () => {
        if (worker.exit)
          throw new Error(`worker ${podName} exited with code ${worker.exit.code}:\n${worker.tail()}`);
        return worker.logEntries().some((e) => e.msg === "Worker started");
      },
      { timeoutMs: 90_000, what: `worker ${podName} to start (log: ${worker.logFile})`, intervalMs: 200 },
    );
    return worker;
  }

  /** The worker's own pid (the tether's child running node). */
  workerPid(): number | undefined {
    if (this.exit || this.tether.pid === undefined) return undefined;
    const out = execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(this.tether.pid)], {
      encoding: "utf8",
    });
    const line = out.split("\n").find((l) => l.includes("cli/main.ts"));
    return line ? Number(line.trim().split(/\s+/)[0]) : undefined;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** The worker's exit code (the tether passes it on), once it exited. */
  get exitCode(): number | null | undefined {
    return this.exit?.code;
  }

  /** The health server's port, from the start log line. */
  healthPort(): number {
    const started = this.logEntries().find((e) => e.msg === "Worker started");
    return Number(started?.healthPort);
  }

  /** SIGKILL to the worker and everything it started: no chance to clean up, as when a node dies. */
  async kill9(): Promise<void> {
    if (this.exit || this.tether.pid === undefined) return;
    process.kill(-this.tether.pid, "SIGKILL");
    await this.exited;
  }

  /** SIGTERM to the worker process itself, as the kubelet does; resolves when it exited. */
  async terminate(timeoutMs = 60_000): Promise<void> {
    const pid = this.workerPid();
    if (pid === undefined) return;
    process.kill(pid, "SIGTERM");
    await this.waitForExit(timeoutMs);
  }

  /** Stops it if it still runs (test cleanup). */
  async stop(): Promise<void> {
    if (this.exit || this.tether.pid === undefined) return;
    try {
      process.kill(-this.tether.pid, "SIGKILL");
    } catch {
      return;
    }
    await this.exited;
  }

  logEntries(): LogEntry[] {
    if (!existsSync(this.logFile)) return [];
    const entries: LogEntry[] = [];
    for (const line of readFileSync(this.logFile, "utf8").split("\n")) {
      if (!line.startsWith("{")) continue;
      try {
        entries.push(JSON.parse(line) as LogEntry);
      } catch {
        // a line cut by a kill
      }
    }
    return entries;
  }

  tail(lines = 30): string {
    if (!existsSync(this.logFile)) return "";
    return readFileSync(this.logFile, "utf8").split("\n").slice(-lines).join("\n");
  }
}

export interface OutboxRow {
  id: number;
  contact_id: number;
  phone_id: number;
  e164: string;
  kind: string;
  state: string;
  attempts: number;
  claimed_by: string | null;
  provider_message_id: string | null;
  error_code: string | null;
}

export async function outboxRows(
  pool: pg.Pool,
  campaignUid: string,
  /** null: every kind. */
  kind: string | null = "initial",
): Promise<OutboxRow[]> {
  const { rows } = await pool.query<OutboxRow>(
    `SELECT o.id::int, o.contact_id::int, o.phone_id::int, p.e164, o.kind, o.state, o.attempts, o.claimed_by,
            o.provider_message_id, o.error_code
     FROM outbox o JOIN phones p ON p.id = o.phone_id
     WHERE o.campaign_uid = $1 AND ($2::text IS NULL OR o.kind = $2) ORDER BY o.id`,
    [campaignUid, kind],
  );
  return rows;
}

const SENT_STATES = new Set(["sent", "delivered", "read"]);

export function isSent(row: Pick<OutboxRow, "state">): boolean {
  return SENT_STATES.has(row.state);
}

/** Waits until the campaign has `count` first messages and every one is recorded as sent (or later). */
export async function waitForFirstMessagesSent(
  pool: pg.Pool,
  campaignUid: string,
  count: number,
  timeoutMs: number,
): Promise<OutboxRow[]> {
  return waitForOutbox(
    pool,
    campaignUid,
    (rows) => rows.filter((r) => r.kind === "initial").length === count && rows.every(isSent),
    { timeoutMs, what: `${count} first messages to be recorded as sent`, kind: "initial" },
  );
}

/** Waits until the campaign's outbox rows (of `kind`, or all) satisfy `done`; a timeout tells what they are. */
export async function waitForOutbox(
  pool: pg.Pool,
  campaignUid: string,
  done: (rows: OutboxRow[]) => boolean,
  options: { timeoutMs: number; what: string; kind?: string | null },
): Promise<OutboxRow[]> {
  let last: OutboxRow[] = [];
  try {
    return await waitFor(
      async () => {
        last = await outboxRows(pool, campaignUid, options.kind ?? null);
        return done(last) ? last : undefined;
      },
      { timeoutMs: options.timeoutMs, what: options.what, intervalMs: 250 },
    );
  } catch (err) {
    const states: Record<string, number> = {};
    for (const r of last) states[`${r.kind}/${r.state}`] = (states[`${r.kind}/${r.state}`] ?? 0) + 1;
    const { rows: contacts } = await pool.query<{ state: string; n: number }>(
      "SELECT state, count(*)::int AS n FROM contacts WHERE campaign_uid = $1 GROUP BY state",
      [campaignUid],
    );
    const detail = `outbox ${JSON.stringify(states)}, contacts ${JSON.stringify(contacts)}`;
    throw new Error(`${(err as Error).message}; ${detail}`, { cause: err });
  }
}

/** Every number in `numbers` received exactly `perNumber` messages, no text twice, and nobody else got any. */
export async function expectExactlyOnce(
  sandbox: SandboxClient,
  numbers: readonly string[],
  perNumber = 1,
): Promise<void> {
  const received = await sandbox.receivedCounts();
  expect(received.duplicates).toEqual([]);
  expect(Object.keys(received.numbers).sort()).toEqual([...numbers].sort());
  for (const number of numbers) expect(received.numbers[number]?.total, number).toBe(perNumber);
}

/** A Prometheus counter's value from a /metrics text (sum over series matching every label given). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const match = /^[^{\s]+(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const series = Object.fromEntries(
      [...(match[1] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
    );
    if (Object.entries(labels).every(([k, v]) => series[k] === v)) sum += Number(match[2]);
  }
  return sum;
}

/**
 * A private redis-server of the test's own (the shared one is never touched), with the given
 * `maxmemory-policy`; `stop` ends it (a Redis outage).
 */
export async function startPrivateRedis(
  policy: "noeviction" | "allkeys-lru",
): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = join(testEnv().dir, `redis-${policy}-${uniqueSuffix()}`);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const proc = new ManagedProcess({
    name: `redis-${policy}`,
    command: redisServer(),
    args: ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--maxmemory-policy", policy].concat([
      "--save",
      "",
      "--appendonly",
      "no",
      "--protected-mode",
      "no",
    ]),
    logFile: join(dir, "redis.log"),
  });
  const url = `redis://127.0.0.1:${port}`;
  await proc.waitReady(async () => {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on("error", () => undefined);
    try {
      await probe.connect();
      return (await probe.ping()) === "PONG";
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  }, 30_000);
  return { url, stop: () => proc.stop() };
}
