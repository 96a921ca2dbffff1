/**
 * A long-running local stack started in the background by one command and stopped by another (`npm run
 * testenv -- up|down`, `busca-ativa dev up|down`): the background process writes a state file (its pid and
 * what it serves) once it is ready; `up` waits for that file, `down` signals the pid and waits for it to go.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "./wait.js";

export interface BackgroundState {
  pid: number;
}

export class BackgroundStack<State extends BackgroundState> {
  readonly stateFile: string;
  readonly logFile: string;

  /** `dir` holds the state file and the log; `what` names the stack in messages ("the local stack"). */
  constructor(
    readonly dir: string,
    readonly what: string,
    logName: string,
  ) {
    this.stateFile = join(dir, "state.json");
    this.logFile = join(dir, logName);
  }

  /** The state written by a running (or crashed) background process, if any. */
  read(): State | undefined {
    return existsSync(this.stateFile)
      ? (JSON.parse(readFileSync(this.stateFile, "utf8")) as State)
      : undefined;
  }

  /** The state of a background process that is alive. */
  running(): State | undefined {
    const state = this.read();
    return state && alive(state.pid) ? state : undefined;
  }

  /**
   * Starts this same program again, detached, with `args` (its "serve" command), logging to the log file,
   * and waits for it to write the state file. Fails with the log's path if it exits first.
   */
  async start(args: readonly string[], options: { timeoutMs: number; cwd?: string }): Promise<State> {
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
    const log = openSync(this.logFile, "a");
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...args], {
      detached: true,
      stdio: ["ignore", log, log],
      cwd: options.cwd,
    });
    child.unref();
    await waitFor(
      () => {
        if (child.exitCode !== null)
          throw new Error(`exited with code ${child.exitCode}; see ${this.logFile}`);
        return existsSync(this.stateFile);
      },
      { timeoutMs: options.timeoutMs, what: `${this.what} to start` },
    );
    return this.read()!;
  }

  /** Stops the background process (SIGTERM) and removes the folder; false when nothing was running. */
  async stop(timeoutMs: number): Promise<boolean> {
    const state = this.running();
    if (state) {
      process.kill(state.pid, "SIGTERM");
      await waitFor(() => !alive(state.pid), { timeoutMs, what: `${this.what} to stop` });
    }
    rmSync(this.dir, { recursive: true, force: true });
    return state !== undefined;
  }
}

/** Whether a process with this pid exists (signal 0). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
