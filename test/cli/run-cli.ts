/**
 * Runs `busca-ativa` as a real subprocess (`tsx cli/main.ts <args>` on this Node.js), with only the
 * environment a test gives it: PATH, a temporary HOME (so no ~/.kube/config is read) and the variables
 * passed in. stdin is a pipe (not a terminal) unless input is given.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../harness/tools.js";
import { waitFor } from "../harness/wait.js";

const TSX_CLI = join(REPO_ROOT, "node_modules", "tsx", "dist", "cli.mjs");
const MAIN = join(REPO_ROOT, "cli", "main.ts");
const HOME = mkdtempSync(join(tmpdir(), "busca-ativa-cli-home-"));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Written to stdin, which is then closed. */
  input?: string;
  timeoutMs?: number;
}

function spawnCli(args: string[], options: CliOptions): ChildProcess {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME,
    LOG_LEVEL: "warn",
    NO_COLOR: "1",
  };
  for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env[k] = v;
  return spawn(process.execPath, [TSX_CLI, MAIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env,
    stdio: ["pipe", "pipe", "pipe"],
  });
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const child = spawnCli(args, options);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdin!.end(options.input ?? "");
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(`busca-ativa ${args.join(" ")} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`),
      );
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A long-running command (status --watch): its output so far, a wait for a line, a signal, its exit. */
export interface RunningCli {
  stdout(): string;
  stderr(): string;
  waitForOutput(match: RegExp, timeoutMs?: number): Promise<string>;
  signal(signal: NodeJS.Signals): void;
  exited: Promise<number | null>;
}

export function startCli(args: string[], options: CliOptions = {}): RunningCli {
  const child = spawnCli(args, options);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    waitForOutput: (match, timeoutMs = 60_000) =>
      waitFor(
        () => {
          if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}: ${stderr}`);
          return match.exec(stdout)?.[0];
        },
        { timeoutMs, what: `output matching ${match} from busca-ativa ${args.join(" ")}` },
      ),
    signal: (signal) => child.kill(signal),
    exited,
  };
}
