/** `busca-ativa followup run --schedule ns/name`: one run of a FollowUpSchedule (what its CronJob executes). */
import type { Command } from "commander";
import * as k8s from "@kubernetes/client-node";
import { z } from "zod";
import { env, parseEnv } from "../../lib/config.js";
import { createLogger } from "../../lib/logger.js";
import { createPool } from "../../lib/db/pool.js";
import { JobProducer } from "../../lib/queue/producer.js";
import { parseScheduleRef } from "../../worker/followup/kube.js";
import { runFollowUp } from "../../worker/followup/run.js";

export function registerFollowUpCommand(program: Command): void {
  const followup = program
    .command("followup")
    .description("Follow-up reminders (run by each FollowUpSchedule's CronJob)");
  followup
    .command("run")
    .description(
      "Queue the reminders and slot releases that are due for the campaigns a FollowUpSchedule covers",
    )
    .requiredOption("--schedule <namespace/name>", "the FollowUpSchedule")
    .option("--json", "print the run's counts as JSON")
    .action(async (options: { schedule: string; json?: boolean }) => {
      const config = parseEnv({
        DATABASE_URL: env.postgresUrl(),
        REDIS_URL: env.redisUrl(),
        QUEUE_PREFIX: z.string().default("busca-ativa"),
        LOG_LEVEL: env.logLevel(),
        TIME_SCALE: z.coerce
          .number({ message: "expected a number above 0 and at most 1" })
          .gt(0, { message: "expected a number above 0 and at most 1" })
          .max(1, { message: "expected a number above 0 and at most 1" })
          .default(1),
      });
      const { namespace, name } = parseScheduleRef(options.schedule);
      const logger = createLogger({ component: "followup", level: config.LOG_LEVEL });
      const kc = new k8s.KubeConfig();
      kc.loadFromDefault();
      const pool = createPool({ connectionString: config.DATABASE_URL, max: 4, logger });
      const producer = new JobProducer({ redisUrl: config.REDIS_URL, prefix: config.QUEUE_PREFIX });
      try {
        const result = await runFollowUp({
          pool,
          producer,
          kc,
          namespace,
          name,
          logger,
          timeScale: config.TIME_SCALE,
        });
        const summary = {
          schedule: result.schedule,
          due: result.due,
          queued: result.queued,
          released: result.released,
          skipped: result.skipped,
        };
        console.log(
          options.json
            ? JSON.stringify(summary)
            : `Follow-up ${summary.schedule}: ${summary.due} due, ${summary.queued} queued, ${summary.released} released, ${summary.skipped} skipped`,
        );
      } finally {
        await producer.close();
        await pool.end();
      }
    });
}
