/** The last finished run of a FollowUpSchedule, as `followup run` recorded it in `follow_up_runs`. */
import type { Queryable } from "../../lib/db/pool.js";

export interface FinishedRun {
  startedAt: Date;
  finishedAt: Date;
  due: number;
  queued: number;
  released: number;
  skipped: number;
  /** Why the run stopped, when it failed. */
  error: string | null;
}

export async function latestFinishedRun(
  db: Queryable,
  scheduleUid: string,
): Promise<FinishedRun | undefined> {
  const { rows } = await db.query<{
    started_at: Date;
    finished_at: Date;
    due: number;
    queued: number;
    released: number;
    skipped: number;
    error: string | null;
  }>(
    `SELECT started_at, finished_at, due, queued, released, skipped, error FROM follow_up_runs
     WHERE schedule_uid = $1 AND finished_at IS NOT NULL
     ORDER BY id DESC LIMIT 1`,
    [scheduleUid],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    due: r.due,
    queued: r.queued,
    released: r.released,
    skipped: r.skipped,
    error: r.error,
  };
}
