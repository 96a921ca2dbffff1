/**
 * `npm run testenv -- up|down|status`: the test environment started by hand, for debugging and for
 * other tools. `up` starts it in the background and writes `.testenv/env.sh`; `down` stops it.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BackgroundStack } from "./background.js";
import { TestEnvironment, type TestEnvInfo } from "./environment.js";
import { REPO_ROOT } from "./tools.js";

const STATE_DIR = join(REPO_ROOT, ".testenv");
const ENV_FILE = join(STATE_DIR, "env.sh");

interface State {
  pid: number;
  info: TestEnvInfo;
}

const background = new BackgroundStack<State>(STATE_DIR, "the test environment", "testenv.log");

/** Runs in the background process: starts the environment, writes the state, waits for SIGTERM. */
async function serve(): Promise<void> {
  const env = await TestEnvironment.start({ dir: join(STATE_DIR, "data") });
  writeFileSync(ENV_FILE, env.envScript());
  writeFileSync(
    background.stateFile,
    JSON.stringify({ pid: process.pid, info: env.info } satisfies State, null, 2),
  );
  const stop = async () => {
    await env.stop();
    rmSync(background.stateFile, { force: true });
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
  setInterval(() => undefined, 1 << 30);
}

async function up(): Promise<void> {
  const running = background.running();
  if (running) {
    console.log(`The test environment is already running (pid ${running.pid}); source ${ENV_FILE}`);
    return;
  }
  const { pid, info } = await background.start(["serve"], { timeoutMs: 180_000 });
  console.log(`Started the test environment (pid ${pid}).`);
  console.log(`  Kubernetes API  ${info.apiServer}`);
  console.log(`  Redis           ${info.redisUrl}`);
  console.log(`  PostgreSQL      ${info.databaseUrl}`);
  console.log(`Run: source ${ENV_FILE}`);
}

async function down(): Promise<void> {
  if (await background.stop(60_000)) console.log("Stopped the test environment.");
  else console.log("The test environment is not running.");
}

function status(): void {
  const state = background.running();
  if (state) {
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
