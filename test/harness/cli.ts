/**
 * `npm run testenv -- up|down|status`: the test environment started by hand, for debugging and for
 * other tools. `up` starts it in the background and writes `.testenv/env.sh`; `down` stops it.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TestEnvironment, type TestEnvInfo } from "./environment.js";
import { REPO_ROOT } from "./tools.js";
import { waitFor } from "./wait.js";

const STATE_DIR = join(REPO_ROOT, ".testenv");
const STATE_FILE = join(STATE_DIR, "state.json");
const ENV_FILE = join(STATE_DIR, "env.sh");

interface State {
  pid: number;
  info: TestEnvInfo;
}

function readState(): State | undefined {
  if (!existsSync(STATE_FILE)) return undefined;
  return JSON.parse(readFileSync(STATE_FILE, "utf8")) as State;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs in the background process: starts the environment, writes the state, waits for SIGTERM. */
async function serve(): Promise<void> {
  const env = await TestEnvironment.start({ dir: join(STATE_DIR, "data") });
  writeFileSync(ENV_FILE, env.envScript());
  writeFileSync(STATE_FILE, JSON.stringify({ pid: process.pid, info: env.info } satisfies State, null, 2));
  const stop = async () => {
    await env.stop();
    rmSync(STATE_FILE, { force: true });
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
  setInterval(() => undefined, 1 << 30);
}

async function up(): Promise<void> {
  const state = readState();
  if (state && alive(state.pid)) {
    console.log(`The test environment is already running (pid ${state.pid}); source ${ENV_FILE}`);
    return;
  }
  rmSync(STATE_DIR, { recursive: true, force: true });
  mkdirSync(STATE_DIR, { recursive: true });
  const log = openSync(join(STATE_DIR, "testenv.log"), "a");
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, "serve"], {
    detached: true,
    stdio: ["ignore", log, log],
  });
  child.unref();
  await waitFor(
    () => {
      if (child.exitCode !== null)
        throw new Error(`exited with code ${child.exitCode}; see ${join(STATE_DIR, "testenv.log")}`);
      return existsSync(STATE_FILE);
    },
    { timeoutMs: 180_000, what: "the test environment to start" },
  );
  const info = readState()!.info;
  console.log(`Started the test environment (pid ${child.pid}).`);
  console.log(`  Kubernetes API  ${info.apiServer}`);
  console.log(`  Redis           ${info.redisUrl}`);
  console.log(`  PostgreSQL      ${info.databaseUrl}`);
  console.log(`Run: source ${ENV_FILE}`);
}

async function down(): Promise<void> {
  const state = readState();
  if (!state || !alive(state.pid)) {
    console.log("The test environment is not running.");
    rmSync(STATE_DIR, { recursive: true, force: true });
    return;
  }
  process.kill(state.pid, "SIGTERM");
  await waitFor(() => !alive(state.pid), { timeoutMs: 60_000, what: "the test environment to stop" });
  rmSync(STATE_DIR, { recursive: true, force: true });
  console.log("Stopped the test environment.");
}

function status(): void {
  const state = readState();
  if (state && alive(state.pid)) {
    console.log(JSON.stringify(state.info, null, 2));
  } else {
    console.log("The test environment is not running.");
    process.exitCode = 1;
  }
}

const command = process.argv[2];
const commands: Record<string, () => Promise<void> | void> = { up, down, status, serve };
const run = command ? commands[command] : undefined;
if (!run) {
  console.error("Usage: npm run testenv -- up|down|status");
  process.exit(2);
}
Promise.resolve(run()).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
