/** The `follow_up_runs` row of each run: the controller reads the latest one back into the schedule's status. */
import type { Queryable } from "../../lib/db/pool.js";

export interface RunCounts {
  due: number;
  queued: number;
  released: number;
  skipped: number;
}

export async function startRunRecord(
  db: Queryable,
  run: { scheduleUid: string; namespace: string; name: string; startedAt: Date },
): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO follow_up_runs (schedule_uid, namespace, name, started_at) VALUES ($1, $2, $3, $4) RETURNING id`,
    [run.scheduleUid, run.namespace, run.name, run.startedAt],
  );
  return rows[0]!.id;
}

/** Records the end of a run: its counts, and the error that stopped it if any (never patient data). */
export async function finishRunRecord(
  db: Queryable,
  id: number,
  result: { finishedAt: Date; counts: RunCounts; error?: string },
): Promise<void> {
  const { counts } = result;
  await db.query(
    `UPDATE follow_up_runs SET finished_at = $2, due = $3, queued = $4, released = $5, skipped = $6, error = $7
     WHERE id = $1`,
    [id, result.finishedAt, counts.due, counts.queued, counts.released, counts.skipped, result.error ?? null],
  );
}
