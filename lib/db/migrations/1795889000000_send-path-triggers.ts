/**
 * Cheaper triggers on the send path (issue #5: 1,000 messages/s end to end).
 *
 * Every send updates its outbox row twice (pending → claimed, claimed → sent). The statement-level counter
 * and audit triggers of `1795888800002_audit-and-counts` built transition tables and ran a query for each
 * of those statements, although the claim changes no count a reader uses (`queued` is pending + claimed)
 * and neither move is audited. Here:
 * - the outbox counters count a claimed row as pending (`outbox.<kind>.pending`): claiming and giving a
 *   claim back change no metric; the counts already stored are rebased the same way;
 * - the outbox UPDATE counter and audit triggers become row-level triggers with a `WHEN` condition, which
 *   PostgreSQL evaluates without calling any function: a claim fires neither, a send fires only the counter.
 *   INSERT and DELETE keep their statement-level counters (bulk inserts of a campaign's rows).
 * What is counted and what is audited is unchanged otherwise (docs/database.md).
 */
import type { MigrationBuilder } from "node-pg-migrate";

/** The outbox counter metric of a row; a claimed row counts as pending. */
const metric = (x: string) =>
  `'outbox.' || ${x}.kind || '.' || CASE WHEN ${x}.state = 'claimed' THEN 'pending' ELSE ${x}.state END`;

const AUDITED = "('failed', 'uncertain', 'cancelled')";

export function up(pgm: MigrationBuilder): void {
  pgm.sql(`
    -- No outbox write and no compaction while the triggers change and the stored counts are rebased.
    LOCK TABLE outbox, campaign_counts, campaign_count_deltas IN SHARE ROW EXCLUSIVE MODE;

    DROP TRIGGER outbox_count_update ON outbox;
    DROP TRIGGER outbox_audit ON outbox;
    DROP FUNCTION audit_outbox();

    CREATE OR REPLACE FUNCTION count_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO campaign_count_deltas (campaign_uid, metric, delta)
        SELECT n.campaign_uid, ${metric("n")}, count(*)
        FROM new_rows n
        GROUP BY 1, 2;
      ELSE
        -- A campaign being deleted takes its counters with it.
        INSERT INTO campaign_count_deltas (campaign_uid, metric, delta)
        SELECT o.campaign_uid, ${metric("o")}, -count(*)
        FROM old_rows o
        WHERE EXISTS (SELECT 1 FROM campaigns c WHERE c.uid = o.campaign_uid)
        GROUP BY 1, 2;
      END IF;
      RETURN NULL;
    END $$;

    CREATE FUNCTION count_outbox_row() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO campaign_count_deltas (campaign_uid, metric, delta)
      VALUES (OLD.campaign_uid, ${metric("OLD")}, -1), (NEW.campaign_uid, ${metric("NEW")}, 1);
      RETURN NULL;
    END $$;
    CREATE TRIGGER outbox_count_update AFTER UPDATE ON outbox FOR EACH ROW
      WHEN ((OLD.campaign_uid, ${metric("OLD")}) IS DISTINCT FROM (NEW.campaign_uid, ${metric("NEW")}))
      EXECUTE FUNCTION count_outbox_row();

    CREATE FUNCTION audit_outbox_row() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO audit_log (campaign_uid, entity, entity_id, from_state, to_state, actor, reason)
      VALUES (NEW.campaign_uid, 'outbox', NEW.id::text, OLD.state, NEW.state, audit_actor(), audit_reason());
      RETURN NULL;
    END $$;
    CREATE TRIGGER outbox_audit AFTER UPDATE ON outbox FOR EACH ROW
      WHEN (OLD.state IS DISTINCT FROM NEW.state AND (OLD.state IN ${AUDITED} OR NEW.state IN ${AUDITED}))
      EXECUTE FUNCTION audit_outbox_row();

    -- The claimed rows counted so far move to pending.
    UPDATE campaign_count_deltas SET metric = regexp_replace(metric, '\\.claimed$', '.pending')
    WHERE metric LIKE 'outbox.%.claimed';
    INSERT INTO campaign_counts (campaign_uid, metric, value)
    SELECT campaign_uid, regexp_replace(metric, '\\.claimed$', '.pending'), value
    FROM campaign_counts WHERE metric LIKE 'outbox.%.claimed'
    ON CONFLICT (campaign_uid, metric) DO UPDATE SET value = campaign_counts.value + EXCLUDED.value;
    DELETE FROM campaign_counts WHERE metric LIKE 'outbox.%.claimed';
  `);
}

/** The statement-level triggers of 1795888800002_audit-and-counts again, and claimed rows counted apart. */
export function down(pgm: MigrationBuilder): void {
  const old = (x: string) => `ARRAY['outbox.' || ${x}.kind || '.' || ${x}.state]`;
  pgm.sql(`
    LOCK TABLE outbox, campaign_counts, campaign_count_deltas IN SHARE ROW EXCLUSIVE MODE;

    DROP TRIGGER outbox_audit ON outbox;
    DROP FUNCTION audit_outbox_row();
    DROP TRIGGER outbox_count_update ON outbox;
    DROP FUNCTION count_outbox_row();

    CREATE OR REPLACE FUNCTION count_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO campaign_count_deltas (campaign_uid, metric, delta)
        SELECT n.campaign_uid, m.metric, count(*)
        FROM new_rows n CROSS JOIN LATERAL unnest(${old("n")}) AS m(metric)
        GROUP BY n.campaign_uid, m.metric;
      ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO campaign_count_deltas (campaign_uid, metric, delta)
        SELECT campaign_uid, metric, sum(delta) FROM (
          SELECT o.campaign_uid, m.metric, -1 AS delta
          FROM old_rows o CROSS JOIN LATERAL unnest(${old("o")}) AS m(metric)
          UNION ALL
          SELECT n.campaign_uid, m.metric, 1 AS delta
          FROM new_rows n CROSS JOIN LATERAL unnest(${old("n")}) AS m(metric)
        ) changes
        GROUP BY campaign_uid, metric
        HAVING sum(delta) <> 0;
      ELSE
        INSERT INTO campaign_count_deltas (campaign_uid, metric, delta)
        SELECT o.campaign_uid, m.metric, -count(*)
        FROM old_rows o CROSS JOIN LATERAL unnest(${old("o")}) AS m(metric)
        WHERE EXISTS (SELECT 1 FROM campaigns c WHERE c.uid = o.campaign_uid)
        GROUP BY o.campaign_uid, m.metric;
      END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER outbox_count_update AFTER UPDATE ON outbox
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_outbox();

    CREATE FUNCTION audit_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO audit_log (campaign_uid, entity, entity_id, from_state, to_state, actor, reason)
      SELECT n.campaign_uid, 'outbox', n.id::text, o.state, n.state, audit_actor(), audit_reason()
      FROM old_rows o JOIN new_rows n ON n.id = o.id
      WHERE o.state IS DISTINCT FROM n.state AND (o.state IN ${AUDITED} OR n.state IN ${AUDITED});
      RETURN NULL;
    END $$;
    CREATE TRIGGER outbox_audit AFTER UPDATE ON outbox
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_outbox();

    -- Claimed rows are counted apart again.
    INSERT INTO campaign_count_deltas (campaign_uid, metric, delta)
    SELECT campaign_uid, 'outbox.' || kind || '.' || s.state, s.sign * count(*)
    FROM outbox CROSS JOIN (VALUES ('pending', -1), ('claimed', 1)) AS s(state, sign)
    WHERE outbox.state = 'claimed'
    GROUP BY campaign_uid, kind, s.state, s.sign;
  `);
}
