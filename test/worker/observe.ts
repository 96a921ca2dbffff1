/**
 * Instruments for watching the worker from outside: a test-only trigger on the test's own database that records
 * every outbox state change, and a wait for the sandbox to have delivered everything it scheduled.
 */
import type pg from "pg";
import { waitFor } from "../harness/wait.js";
import type { SandboxClient } from "../sandbox/client.js";

/** Records every change of `outbox.state` (after the database's own merge rules) in `test_outbox_history`. */
export async function recordOutboxStateChanges(pool: pg.Pool): Promise<void> {
  await pool.query(`
    CREATE TABLE test_outbox_history (
      id bigserial PRIMARY KEY,
      outbox_id bigint NOT NULL,
      from_state text NOT NULL,
      to_state text NOT NULL,
      at timestamptz NOT NULL DEFAULT clock_timestamp()
    );
    CREATE FUNCTION test_outbox_history() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF OLD.state IS DISTINCT FROM NEW.state THEN
        INSERT INTO test_outbox_history (outbox_id, from_state, to_state) VALUES (NEW.id, OLD.state, NEW.state);
      END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER test_outbox_history AFTER UPDATE ON outbox
      FOR EACH ROW EXECUTE FUNCTION test_outbox_history();
  `);
}

const PROGRESS = ["sent", "delivered", "read"];

/** Recorded changes that moved a sent message back (read → delivered, delivered → sent, sent → pending, …). */
export async function stateMovesBackwards(
  pool: pg.Pool,
): Promise<{ outbox_id: string; from_state: string; to_state: string }[]> {
  const { rows } = await pool.query<{ outbox_id: string; from_state: string; to_state: string }>(
    "SELECT outbox_id, from_state, to_state FROM test_outbox_history ORDER BY id",
  );
  return rows.filter((r) => {
    const from = PROGRESS.indexOf(r.from_state);
    if (from < 0) return false;
    const to = PROGRESS.indexOf(r.to_state);
    // From a sent state only forward, or to failed from "sent" (a failure reported after acceptance).
    return to >= 0 ? to < from : !(r.to_state === "failed" && r.from_state === "sent");
  });
}

/** All state changes recorded for the given outbox rows, in order. */
export async function stateHistory(pool: pg.Pool): Promise<Map<number, string[]>> {
  const { rows } = await pool.query<{ outbox_id: string; from_state: string; to_state: string }>(
    "SELECT outbox_id, from_state, to_state FROM test_outbox_history ORDER BY id",
  );
  const history = new Map<number, string[]>();
  for (const r of rows) {
    const id = Number(r.outbox_id);
    const list = history.get(id) ?? [r.from_state];
    list.push(r.to_state);
    history.set(id, list);
  }
  return history;
}

/** Waits until the sandbox has no timer pending and no webhook in flight. */
export async function waitForSandboxIdle(sandbox: SandboxClient, timeoutMs: number): Promise<void> {
  await waitFor(
    async () => {
      const stats = await sandbox.stats();
      return stats.pendingTimers === 0 && stats.webhooks.inFlight === 0;
    },
    { timeoutMs, what: "the sandbox to deliver everything it scheduled", intervalMs: 200 },
  );
}
