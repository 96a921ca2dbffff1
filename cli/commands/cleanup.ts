/**
 * `busca-ativa cleanup` (the chart's CronJob, every 6 hours): trims finished BullMQ jobs and events
 * streams, deletes transient provider records after 30 days, and applies the data-retention policy
 * (docs/operations.md, "Data retention"). `--dry-run` counts what it would do and changes nothing.
 */
import type { Command } from "commander";
import { pino } from "pino";
import { env, parseEnv } from "../../lib/config.js";
import { createLogger } from "../../lib/logger.js";
import { createPool } from "../../lib/db/pool.js";
import { applyRetention, type RetentionResult } from "../../lib/retention/database.js";
import { DEFAULT_EVENTS_MAX_LENGTH, trimQueues, type QueueTrimResult } from "../../lib/retention/queues.js";

export function registerCleanupCommand(program: Command): void {
  program
    .command("cleanup")
    .description(
      "Trim finished queue jobs and events, delete old provider records, and anonymise patient data of campaigns finished more than RETENTION_DAYS ago",
    )
    .option("--dry-run", "count what would be removed or anonymised; change nothing")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      "\nNeeds DATABASE_URL and REDIS_URL; QUEUE_PREFIX (default busca-ativa), RETENTION_DAYS (default 365)," +
        `\nCLEANUP_EVENTS_MAX_LENGTH (default ${DEFAULT_EVENTS_MAX_LENGTH}). The policy: docs/operations.md, "Data retention".` +
        "\nExit codes: 0 done; 1 failure; 2 bad configuration.",
    )
    .action(async (options: { dryRun?: boolean; json?: boolean }) => {
      const config = parseEnv({
        DATABASE_URL: env.postgresUrl(),
        REDIS_URL: env.redisUrl(),
        QUEUE_PREFIX: env.queuePrefix(),
        RETENTION_DAYS: env.positiveInt(365),
        CLEANUP_EVENTS_MAX_LENGTH: env.positiveInt(DEFAULT_EVENTS_MAX_LENGTH),
        LOG_LEVEL: env.logLevel(),
      });
      // Logs go to stderr, so stdout is only the result (and --json parses).
      const logger = createLogger({
        component: "cleanup",
        level: config.LOG_LEVEL,
        destination: pino.destination({ dest: 2, sync: true }),
      });
      const now = new Date();
      const dryRun = options.dryRun === true;
      const queues = await trimQueues({
        redisUrl: config.REDIS_URL,
        prefix: config.QUEUE_PREFIX,
        now,
        dryRun,
        eventsMaxLength: config.CLEANUP_EVENTS_MAX_LENGTH,
      });
      const pool = createPool({
        connectionString: config.DATABASE_URL,
        max: 2,
        applicationName: "busca-ativa-cleanup",
      });
      let database: RetentionResult;
      try {
        database = await applyRetention({ pool, now, retentionDays: config.RETENTION_DAYS, dryRun });
      } finally {
        await pool.end();
      }
      logger.info(
        {
          dryRun,
          retentionDays: config.RETENTION_DAYS,
          jobsRemoved: queues.reduce((n, q) => n + q.completed + q.failed, 0),
          outboundEchoes: database.outboundEchoes,
          deliveryEvents: database.deliveryEvents,
          unmatchedInboundMessages: database.unmatchedInboundMessages,
          patientLists: database.patientLists,
          anonymisedCampaigns: database.campaigns.map((c) => c.uid),
        },
        dryRun ? "Counted what a cleanup would remove" : "Cleaned up finished jobs and expired data",
      );
      if (options.json) {
        console.log(JSON.stringify({ dryRun, retentionDays: config.RETENTION_DAYS, queues, database }));
        return;
      }
      console.log(describe(dryRun, config.RETENTION_DAYS, queues, database).join("\n"));
    });
}

function describe(
  dryRun: boolean,
  retentionDays: number,
  queues: QueueTrimResult[],
  db: RetentionResult,
): string[] {
  const verb = dryRun ? "Would remove" : "Removed";
  const lines = [dryRun ? "Dry run: nothing was changed." : "Cleanup done."];
  for (const q of queues) {
    lines.push(
      `  queue ${q.queue}: ${verb.toLowerCase()} ${q.completed} completed and ${q.failed} failed jobs, ${q.events} events`,
    );
  }
  lines.push(
    `  ${verb} ${db.outboundEchoes} send echoes and ${db.deliveryEvents} delivery events older than 30 days`,
    `  ${verb} ${db.unmatchedInboundMessages} unmatched inbound messages and ${db.patientLists} unused patient lists older than ${retentionDays} days`,
  );
  if (db.campaigns.length === 0) {
    lines.push(`  No campaign finished more than ${retentionDays} days ago still holds patient data`);
  }
  for (const c of db.campaigns) {
    lines.push(
      `  ${dryRun ? "Would anonymise" : "Anonymised"} ${c.namespace}/${c.name} (${c.state} ${c.finishedAt.slice(0, 10)}): ` +
        `${c.contacts} contacts, ${c.phones} phones, ${c.inboundMessages} replies, ${c.outboxRows} messages, ${c.rejectedRows} rejected rows`,
    );
  }
  return lines;
}
