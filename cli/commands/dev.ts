/**
 * `busca-ativa dev up|down`: the whole stack as local processes for development — a Kubernetes control
 * plane, Redis, PostgreSQL, the sandbox WhatsApp server, the controller, a worker and the webhook — started
 * in the background; `dev up` writes `.dev/env.sh` (KUBECONFIG, REDIS_URL, DATABASE_URL, QUEUE_PREFIX,
 * SANDBOX_URL, BUSCA_ATIVA_NAMESPACE) for kubectl, helm and the other commands.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import * as k8s from "@kubernetes/client-node";
import { installCrds } from "../../crds/install.js";
import { createLogger } from "../../lib/logger.js";
import { runMigrations } from "../../lib/db/migrate.js";
import { BackgroundStack } from "../../test/harness/background.js";
import { TestEnvironment } from "../../test/harness/environment.js";
import { REPO_ROOT } from "../../test/harness/tools.js";
import { SANDBOX_WEBHOOK_TOKEN, startComponents } from "../dev/components.js";
import { untilSignal } from "../signals.js";

const DEV_DIR = join(REPO_ROOT, ".dev");
const ENV_FILE = join(DEV_DIR, "env.sh");

interface DevState {
  pid: number;
  env: Record<string, string>;
}

const background = new BackgroundStack<DevState>(DEV_DIR, "the local stack", "dev.log");

export function registerDevCommands(program: Command): void {
  const dev = program.command("dev").description("The whole stack as local processes, for development");
  dev
    .command("up")
    .description("Start the local stack in the background and write .dev/env.sh")
    .option("--namespace <ns>", "the namespace for campaigns (webhooks are routed there)", "busca-ativa-dev")
    .option("--time-scale <x>", "accelerated time for pacing and reminders (1 = real time)", "1")
    .option("--json", "print the environment as JSON")
    .action(async (options: { namespace: string; timeScale: string; json?: boolean }) => {
      const running = background.running();
      if (running) {
        console.log(`The local stack is already running (pid ${running.pid}); source ${ENV_FILE}`);
        return;
      }
      const { pid, env } = await background.start(
        ["dev", "serve", "--namespace", options.namespace, "--time-scale", options.timeScale],
        { timeoutMs: 240_000, cwd: REPO_ROOT },
      );
      if (options.json) console.log(JSON.stringify(env));
      else {
        console.log(`Started the local stack (pid ${pid}); logs in ${background.logFile}.`);
        for (const [k, v] of Object.entries(env)) console.log(`  ${k}=${v}`);
        console.log(
          `Run: source ${ENV_FILE}   then e.g. kubectl apply -n ${options.namespace} -f manifests/examples/`,
        );
      }
    });

  dev
    .command("down")
    .description("Stop the local stack started by dev up")
    .action(async () => {
      if (!(await background.stop(90_000))) {
        console.log("The local stack is not running.");
        return;
      }
      console.log("Stopped the local stack.");
    });

  dev
    .command("serve", { hidden: true })
    .description("Run the local stack in the foreground (what dev up starts)")
    .option("--namespace <ns>", "namespace for campaigns", "busca-ativa-dev")
    .option("--time-scale <x>", "accelerated time", "1")
    .action(async (options: { namespace: string; timeScale: string }) => {
      const logger = createLogger({ component: "dev", level: process.env.LOG_LEVEL ?? "info" });
      const environment = await TestEnvironment.start({ dir: join(DEV_DIR, "data") });
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(environment.info.kubeconfig);
      await runMigrations(environment.info.databaseUrl, { logger });
      await installCrds(kc);
      const core = kc.makeApiClient(k8s.CoreV1Api);
      await core.createNamespace({ body: { metadata: { name: options.namespace } } }).catch(() => undefined);
      const components = await startComponents({
        kc,
        databaseUrl: environment.info.databaseUrl,
        redisUrl: environment.info.redisUrl,
        prefix: "busca-ativa",
        namespace: options.namespace,
        timeScale: Number(options.timeScale),
        logger,
      });
      await core
        .createNamespacedSecret({
          namespace: options.namespace,
          body: {
            metadata: { name: "sandbox-credentials" },
            stringData: {
              apiKey: components.sandbox.config.evolution.apiKey,
              webhookToken: SANDBOX_WEBHOOK_TOKEN,
            },
          },
        })
        .catch(() => undefined);
      const env = {
        KUBECONFIG: environment.info.kubeconfig,
        REDIS_URL: environment.info.redisUrl,
        DATABASE_URL: environment.info.databaseUrl,
        QUEUE_PREFIX: "busca-ativa",
        SANDBOX_URL: components.sandbox.url,
        BUSCA_ATIVA_NAMESPACE: options.namespace,
      };
      writeFileSync(
        ENV_FILE,
        Object.entries(env)
          .map(([k, v]) => `export ${k}=${JSON.stringify(v)}`)
          .join("\n") + "\n",
      );
      writeFileSync(
        background.stateFile,
        JSON.stringify({ pid: process.pid, env } satisfies DevState, null, 2),
      );
      logger.info(env, "The local stack is up");
      await untilSignal();
      await components.stop();
      await environment.stop({ keepFiles: false });
      rmSync(background.stateFile, { force: true });
    });
}
