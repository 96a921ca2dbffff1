/** The long-running processes: controller, worker, webhook, and the one-shot migrate. */
import type { Command } from "commander";
import { createLogger } from "../../lib/logger.js";
import { env, parseEnv } from "../../lib/config.js";
import { runMigrations } from "../../lib/db/migrate.js";
import { QUEUE_GROUPS, type QueueGroup } from "../../lib/queue/jobs.js";
import { parseWorkerConfig } from "../../worker/process/config.js";
import { startWorkerProcess } from "../../worker/process/worker-process.js";
import { parseWebhookConfig, startWebhookProcess } from "../../worker/webhook/process.js";
import { parseControllerConfig } from "../../controller/process/config.js";
import { startControllerProcess } from "../../controller/process/controller-process.js";
import { untilSignal } from "../signals.js";

export function registerProcessCommands(program: Command): void {
  program
    .command("controller")
    .description("Run the controller: reconciles Campaigns and FollowUpSchedules (leader-elected)")
    .action(async () => {
      const running = await startControllerProcess({ config: parseControllerConfig() });
      await untilSignal(running.stopped);
      await running.stop();
    });

  program
    .command("worker")
    .description(
      "Run a worker for queue groups: outbound (import, validate, send) and/or inbound (replies, statuses)",
    )
    .option("--groups <groups>", "comma-separated groups: outbound, inbound, or all", "all")
    .action(async (options: { groups: string }) => {
      const running = await startWorkerProcess({
        config: parseWorkerConfig(),
        groups: parseGroups(options.groups),
      });
      await untilSignal();
      await running.stop();
    });

  program
    .command("webhook")
    .description("Run the webhook receiver for provider callbacks (WEBHOOK_PORT, default 8080)")
    .action(async () => {
      const running = await startWebhookProcess({ config: parseWebhookConfig() });
      await untilSignal();
      await running.stop();
    });

  program
    .command("migrate")
    .description("Apply the database migrations (safe to run twice or in parallel)")
    .option("--json", "print the result as JSON")
    .action(async (options: { json?: boolean }) => {
      const config = parseEnv({ DATABASE_URL: env.postgresUrl(), LOG_LEVEL: env.logLevel() });
      const logger = createLogger({ component: "migrate", level: config.LOG_LEVEL });
      const result = await runMigrations(config.DATABASE_URL, { logger });
      if (options.json) console.log(JSON.stringify(result));
      else
        console.log(
          result.applied.length ? `Applied ${result.applied.join(", ")}` : "The database is up to date",
        );
    });
}

export function parseGroups(text: string): QueueGroup[] {
  const names = text
    .split(",")
    .map((g) => g.trim())
    .filter(Boolean);
  if (names.includes("all")) return Object.keys(QUEUE_GROUPS) as QueueGroup[];
  for (const name of names) {
    if (!(name in QUEUE_GROUPS)) {
      throw new Error(`Unknown queue group "${name}": use ${Object.keys(QUEUE_GROUPS).join(", ")} or all`);
    }
  }
  return names as QueueGroup[];
}
