/**
 * The product's processes as production runs them: the CLI compiled with tsconfig.build.json (into
 * node_modules/.cache/busca-ativa-bench/dist, so the benchmarks never touch anyone's dist/) and started
 * with the project's Node.js.
 * Each process is a real child whose CPU and memory the benchmark reads from /proc.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { cpuSeconds, rssBytes } from "./proc.js";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** Under node_modules: outside every lint, format and type check, and package imports still resolve. */
export const DIST = `${REPO_ROOT}node_modules/.cache/busca-ativa-bench/dist`;
export const CLI_MAIN = `${DIST}/cli/main.js`;
const NODE = `${REPO_ROOT}node_modules/.bin/node`;

/** Compiles the product (tsconfig.build.json) into the benchmarks' dist folder unless `reuse` and it exists. */
export function buildCli(reuse = false): void {
  if (reuse && existsSync(CLI_MAIN)) return;
  const started = Date.now();
  execFileSync(`${REPO_ROOT}node_modules/.bin/tsc`, ["-p", "tsconfig.build.json", "--outDir", DIST], {
    cwd: REPO_ROOT,
    stdio: "inherit",
  });
  console.error(`Built the CLI for the benchmarks in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

export interface LogLine {
  msg?: string;
  level?: number;
  [key: string]: unknown;
}

/** Children still running; killed if the benchmark itself exits early (an error, Ctrl-C). */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => process.exit(130));
}

export class CliProcess {
  private readonly waiters: { test: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  readonly errors: string[] = [];
  private exited = false;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    const onLine = (text: string) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { msg: text };
      }
      if ((line.level ?? 0) >= 50) this.errors.push(text.slice(0, 500));
      for (const waiter of [...this.waiters]) {
        if (waiter.test(line)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    };
    createInterface({ input: child.stdout! }).on("line", onLine);
    createInterface({ input: child.stderr! }).on("line", (text) => {
      this.errors.push(text.slice(0, 500));
      onLine(text);
    });
    running.add(child);
    child.once("exit", () => {
      this.exited = true;
      running.delete(child);
    });
  }

  /** Starts `busca-ativa <args>` with `env` added to this process's environment. */
  static start(name: string, args: readonly string[], env: Record<string, string>): CliProcess {
    // BENCH_CPU_PROF=<folder>: each process writes a V8 CPU profile there when it exits.
    const profile = process.env.BENCH_CPU_PROF
      ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
      : [];
    const child = spawn(NODE, [...profile, CLI_MAIN, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    return new CliProcess(name, child);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Resolves with the first output line (JSON log or plain text) that passes `test`. */
  waitForLine(test: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `${this.name} did not print the awaited line within ${timeoutMs} ms${
              this.errors.length ? `; its errors: ${this.errors.slice(-3).join(" | ")}` : ""
            }`,
          ),
        );
      }, timeoutMs);
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        reject(
          new Error(
            `${this.name} exited (${code}) before it was ready: ${this.errors.slice(-3).join(" | ")}`,
          ),
        );
      };
      this.child.once("exit", onExit);
      this.waiters.push({
        test,
        resolve: (line) => {
          clearTimeout(timer);
          this.child.off("exit", onExit);
          resolve(line);
        },
      });
    });
  }

  cpuSeconds(): number {
    return cpuSeconds(this.pid);
  }

  rssBytes(): number {
    return rssBytes(this.pid);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  async stop(graceMs = 30_000): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    await gone;
    clearTimeout(timer);
  }
}

/** The sandbox WhatsApp server in a process of its own; resolves with its URL. */
export async function startSandboxProcess(
  config: Record<string, unknown>,
): Promise<{ process: CliProcess; url: string }> {
  const proc = CliProcess.start(
    "sandbox",
    ["sandbox", "--port", "0", "--json", "--config", JSON.stringify(config)],
    {},
  );
  const line = await proc.waitForLine((l) => typeof l.url === "string", 60_000);
  return { process: proc, url: line.url as string };
}
