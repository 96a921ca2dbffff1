/**
 * One campaign in a follow-up run: for each step in order, lock the contacts due, create their reminder
 * (or release) rows on one phone each, mark the released contacts no-response, all in one transaction per
 * batch; then add the send jobs of every reminder row still pending.
 */
import type { Pool } from "pg";
import { withTransaction } from "../../lib/db/pool.js";
import type { Logger } from "../../lib/logger.js";
import { jobIds } from "../../lib/queue/jobs.js";
import type { JobProducer } from "../../lib/queue/producer.js";
import type { WindowSpec } from "../../lib/pacing/window.js";
import { reminderNotBefore, renderReminder, type StepPlan } from "./plan.js";
import type { RunCounts } from "./run-record.js";
import {
  insertReminders,
  lockDueContacts,
  pendingReminders,
  releaseSlots,
  setAuditActor,
  type DueContact,
  type NewReminder,
} from "./store.js";

export interface CampaignRef {
  uid: string;
  namespace: string;
  name: string;
}

export interface FollowUpCampaignOptions {
  pool: Pool;
  producer: Pick<JobProducer, "addBulk">;
  logger: Logger;
  now: Date;
  campaign: CampaignRef;
  steps: readonly StepPlan[];
  /** The campaign's window when the schedule respects it; undefined sends as soon as due. */
  window: WindowSpec | undefined;
  /** Contacts per transaction; default 500. */
  batchSize?: number;
}

export const emptyCounts = (): RunCounts => ({ due: 0, queued: 0, released: 0, skipped: 0 });

export async function followUpCampaign(options: FollowUpCampaignOptions): Promise<RunCounts> {
  const { pool, campaign, now } = options;
  const counts = emptyCounts();
  const notBefore = reminderNotBefore(now, options.window);
  const limit = options.batchSize ?? 500;
  for (const step of options.steps) {
    let afterContactId = 0;
    for (;;) {
      const batch = await withTransaction(pool, async (client) => {
        await setAuditActor(client, `step ${step.step} (${step.name})`);
        const due = await lockDueContacts(client, {
          campaignUid: campaign.uid,
          namespace: campaign.namespace,
          step: step.step,
          firstContactedBy: step.firstContactedBy,
          afterContactId,
          limit,
        });
        const reminders = due.flatMap((c) => reminderFor(step, c));
        const inserted = await insertReminders(
          client,
          {
            campaignUid: campaign.uid,
            kind: step.final ? "release" : "follow_up",
            step: step.step,
            notBefore,
          },
          reminders,
        );
        // The final step releases the slot when it is decided, with or without a phone to tell.
        const released = step.final
          ? await releaseSlots(
              client,
              due.map((c) => c.id),
            )
          : [];
        const acted = new Set([...inserted.map((r) => r.contactId), ...released]);
        return { due, inserted: inserted.length, released: released.length, acted: acted.size };
      });
      counts.due += batch.due.length;
      counts.queued += batch.inserted;
      counts.released += batch.released;
      counts.skipped += batch.due.length - batch.acted;
      if (batch.due.length > 0) {
        options.logger.info(
          {
            campaignUid: campaign.uid,
            step: step.step,
            due: batch.due.length,
            queued: batch.inserted,
            released: batch.released,
          },
          step.final ? "Released the slots of contacts that never answered" : "Queued reminders",
        );
      }
      if (batch.due.length < limit) break;
      afterContactId = batch.due[batch.due.length - 1]!.id;
    }
  }
  await enqueuePendingReminders(options);
  return counts;
}

function reminderFor(step: StepPlan, contact: DueContact): NewReminder[] {
  if (contact.phoneId === null) return [];
  const { body, template } = renderReminder(step, {
    name: contact.name,
    procedure: contact.procedure,
    fields: contact.fields,
  });
  return [{ contactId: contact.id, phoneId: contact.phoneId, body, template }];
}

/**
 * Adds the send job of every reminder row of the campaign still pending, with deterministic ids: the rows
 * just created, and any whose job Redis lost (adding an existing job id is a no-op).
 */
async function enqueuePendingReminders(options: FollowUpCampaignOptions): Promise<void> {
  const pending = await pendingReminders(options.pool, options.campaign.uid);
  const nowMs = options.now.getTime();
  await options.producer.addBulk(
    "send",
    pending.map((row) => ({
      jobId: jobIds.send(row.id, row.attempts),
      data: { campaignUid: options.campaign.uid, outboxId: row.id },
      delayMs: row.notBefore ? Math.max(0, row.notBefore.getTime() - nowMs) : 0,
    })),
  );
}
