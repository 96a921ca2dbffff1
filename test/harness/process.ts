/**
 * Child processes for the test environment: each runs behind `tether.sh`, which stops it when the
 * owning Node.js process is gone, so nothing strays even when a run is killed. Output goes to a log
 * file; readiness is a condition polled with a deadline, never a fixed sleep.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { openSync, closeSync, readFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { waitFor } from "./wait.js";

const TETHER = fileURLToPath(new URL("./tether.sh", import.meta.url));

export interface ManagedProcessOptions {
  /** Short name for messages, e.g. "etcd". */
  name: string;
  command: string;
  args: string[];
  /** File that receives stdout and stderr. */
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run as this user (via runuser) when we are root; PostgreSQL refuses to run as root. */
  runAs?: string;
  /** Seconds between the stop signal and SIGKILL; default 10. */
  graceSeconds?: number;
  /** The signal that asks the process to stop; default TERM (PostgreSQL wants INT, its fast shutdown). */
  stopSignal?: "TERM" | "INT" | "QUIT";
  /** The pid whose exit stops this process; default this process. */
  ownerPid?: number;
}

export class ManagedProcess {
  readonly name: string;
  readonly logFile: string;
  private readonly child: ChildProcess;
  private exited = false;
  private exitCode: number | null = null;

  constructor(options: ManagedProcessOptions) {
    this.name = options.name;
    this.logFile = options.logFile;
    const grace = options.graceSeconds ?? 10;
    const owner = options.ownerPid ?? process.pid;
    let command = options.command;
    let args = options.args;
    if (options.runAs && process.getuid?.() === 0) {
      args = ["-u", options.runAs, "--", command, ...args];
      command = "runuser";
    }
    const fd = openSync(options.logFile, "a");
    try {
      this.child = spawn(
        TETHER,
        [String(owner), String(grace), options.stopSignal ?? "TERM", "--", command, ...args],
        {
          cwd: options.cwd,
          env: options.env ?? process.env,
          stdio: ["ignore", fd, fd],
          detached: true,
        },
      );
    } finally {
      closeSync(fd);
    }
    this.child.unref();
    this.child.on("exit", (code) => {
      this.exited = true;
      this.exitCode = code;
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return !this.exited;
  }

  /** The last lines of the log, for error messages. */
  tail(lines = 30): string {
    if (!existsSync(this.logFile)) return "";
    return readFileSync(this.logFile, "utf8").split("\n").slice(-lines).join("\n");
  }

  /** Waits until `ready()` is true; fails early with the log tail if the process exits. */
  async waitReady(ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    await waitFor(
      async () => {
        if (this.exited) {
          throw new Error(`${this.name} exited with code ${this.exitCode} while starting:\n${this.tail()}`);
        }
        return ready();
      },
      { timeoutMs, what: `${this.name} to become ready (log: ${this.logFile})` },
    );
  }

  /** Stops the process through its tether (which escalates to SIGKILL after the grace period); waits for exit. */
  async stop(): Promise<void> {
    if (this.exited) return;
    // Held while stopping: in a plain script nothing else may keep the event loop alive.
    this.child.ref();
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    try {
      process.kill(this.pid, "SIGTERM");
    } catch {
      return;
    }
    await exited;
  }
}
