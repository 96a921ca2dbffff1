/**
 * The audit trail of state changes and the campaign counters.
 *
 * Counters: statement-level triggers on contacts, phones, outbox and import_rejections append one delta
 * row per (campaign, metric) and statement to campaign_count_deltas (insert only, so concurrent writers
 * never wait on each other or deadlock); `compact_campaign_counts` folds the deltas into
 * campaign_counts. A reader gets exact counts from campaign_counts plus the deltas not yet folded, at
 * a cost that depends on recent activity, never on the size of the list.
 */
import type { MigrationBuilder } from "node-pg-migrate";

/** Triggers that keep the counters of one table; `metrics(alias)` is a text[] of the row's metrics. */
function countingTriggers(table: string, metrics: (alias: string) => string): string {
  return `
    CREATE FUNCTION count_${table}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO campaign_count_deltas (campaign_uid, metric, delta)
        SELECT n.campaign_uid, m.metric, count(*)
        FROM new_rows n CROSS JOIN LATERAL unnest(${metrics("n")}) AS m(metric)
        GROUP BY n.campaign_uid, m.metric;
      ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO campaign_count_deltas (campaign_uid, metric, delta)
        SELECT campaign_uid, metric, sum(delta) FROM (
          SELECT o.campaign_uid, m.metric, -1 AS delta
          FROM old_rows o CROSS JOIN LATERAL unnest(${metrics("o")}) AS m(metric)
          UNION ALL
          SELECT n.campaign_uid, m.metric, 1 AS delta
          FROM new_rows n CROSS JOIN LATERAL unnest(${metrics("n")}) AS m(metric)
        ) changes
        GROUP BY campaign_uid, metric
        HAVING sum(delta) <> 0;
      ELSE
        -- A campaign being deleted takes its counters with it.
        INSERT INTO campaign_count_deltas (campaign_uid, metric, delta)
        SELECT o.campaign_uid, m.metric, -count(*)
        FROM old_rows o CROSS JOIN LATERAL unnest(${metrics("o")}) AS m(metric)
        WHERE EXISTS (SELECT 1 FROM campaigns c WHERE c.uid = o.campaign_uid)
        GROUP BY o.campaign_uid, m.metric;
      END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER ${table}_count_insert AFTER INSERT ON ${table}
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_${table}();
    CREATE TRIGGER ${table}_count_update AFTER UPDATE ON ${table}
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_${table}();
    CREATE TRIGGER ${table}_count_delete AFTER DELETE ON ${table}
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION count_${table}();
  `;
}

/** A trigger that writes one audit row per changed row; `changed` filters old (o) and new (n). */
function auditTrigger(options: {
  table: string;
  entity: string;
  /** The primary key column, to pair old and new rows. */
  key: string;
  campaign: string;
  id: string;
  from: string;
  to: string;
  changed: string;
}): string {
  const { table, entity } = options;
  return `
    CREATE FUNCTION audit_${table}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO audit_log (campaign_uid, entity, entity_id, from_state, to_state, actor, reason)
      SELECT ${options.campaign}, '${entity}', ${options.id}, ${options.from}, ${options.to},
        audit_actor(), audit_reason()
      FROM old_rows o JOIN new_rows n ON n.${options.key} = o.${options.key}
      WHERE ${options.changed};
      RETURN NULL;
    END $$;
    CREATE TRIGGER ${table}_audit AFTER UPDATE ON ${table}
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_${table}();
  `;
}

const NO_METRICS = "'{}'::text[]";

export function up(pgm: MigrationBuilder): void {
  pgm.sql(`
    CREATE TABLE audit_log (
      id bigserial PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      campaign_uid uuid,
      entity text NOT NULL CONSTRAINT audit_log_entity_check CHECK (entity IN ('campaign', 'contact', 'phone', 'outbox')),
      entity_id text NOT NULL,
      from_state text,
      to_state text,
      actor text NOT NULL,
      reason text
    );
    CREATE INDEX audit_log_campaign_idx ON audit_log (campaign_uid, id);
    CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id, id);

    -- Who and why, set per transaction with set_config('busca_ativa.actor', ..., true).
    CREATE FUNCTION audit_actor() RETURNS text LANGUAGE sql STABLE AS $$
      SELECT COALESCE(NULLIF(current_setting('busca_ativa.actor', true), ''), session_user::text)
    $$;
    CREATE FUNCTION audit_reason() RETURNS text LANGUAGE sql STABLE AS $$
      SELECT NULLIF(current_setting('busca_ativa.reason', true), '')
    $$;

    ${auditTrigger({
      table: "campaigns",
      entity: "campaign",
      key: "uid",
      campaign: "n.uid",
      id: "n.uid::text",
      from: "o.state",
      to: "n.state",
      changed: "o.state IS DISTINCT FROM n.state",
    })}
    ${auditTrigger({
      table: "contacts",
      entity: "contact",
      key: "id",
      campaign: "n.campaign_uid",
      id: "n.id::text",
      from: "o.state",
      to: "n.state",
      changed: "o.state IS DISTINCT FROM n.state",
    })}
    ${auditTrigger({
      table: "phones",
      entity: "phone",
      key: "id",
      campaign: "n.campaign_uid",
      id: "n.id::text",
      from: "o.reply",
      to: "n.reply",
      changed: "o.reply IS DISTINCT FROM n.reply",
    })}
    ${auditTrigger({
      table: "outbox",
      entity: "outbox",
      key: "id",
      campaign: "n.campaign_uid",
      id: "n.id::text",
      from: "o.state",
      to: "n.state",
      changed:
        "o.state IS DISTINCT FROM n.state AND (o.state IN ('failed', 'uncertain', 'cancelled') " +
        "OR n.state IN ('failed', 'uncertain', 'cancelled'))",
    })}

    CREATE TABLE campaign_counts (
      campaign_uid uuid NOT NULL REFERENCES campaigns (uid) ON DELETE CASCADE,
      metric text NOT NULL,
      value bigint NOT NULL,
      PRIMARY KEY (campaign_uid, metric)
    );
    CREATE TABLE campaign_count_deltas (
      id bigserial PRIMARY KEY,
      campaign_uid uuid NOT NULL REFERENCES campaigns (uid) ON DELETE CASCADE,
      metric text NOT NULL,
      delta bigint NOT NULL
    );
    CREATE INDEX campaign_count_deltas_campaign_idx ON campaign_count_deltas (campaign_uid);

    -- Folds the committed deltas of one campaign into campaign_counts. Safe to run concurrently: a delta
    -- row is deleted (and counted) by exactly one run.
    CREATE FUNCTION compact_campaign_counts(p_campaign uuid) RETURNS void LANGUAGE sql AS $$
      WITH moved AS (
        DELETE FROM campaign_count_deltas WHERE campaign_uid = p_campaign RETURNING metric, delta
      )
      INSERT INTO campaign_counts (campaign_uid, metric, value)
      SELECT p_campaign, metric, sum(delta) FROM moved GROUP BY metric
      ON CONFLICT (campaign_uid, metric) DO UPDATE SET value = campaign_counts.value + EXCLUDED.value;
    $$;

    ${countingTriggers(
      "contacts",
      (x) =>
        `ARRAY['contacts', 'contacts.state.' || ${x}.state] || ` +
        `CASE WHEN ${x}.replied_at IS NOT NULL THEN ARRAY['contacts.replied'] ELSE ${NO_METRICS} END`,
    )}
    ${countingTriggers(
      "phones",
      (x) =>
        `ARRAY['phones', 'phones.wa.' || ${x}.wa_status] || ` +
        `CASE WHEN ${x}.sendable THEN ${NO_METRICS} ELSE ARRAY['phones.not_sendable'] END || ` +
        `CASE WHEN ${x}.reply IS NOT NULL THEN ARRAY['phones.reply.' || ${x}.reply] ELSE ${NO_METRICS} END`,
    )}
    ${countingTriggers("outbox", (x) => `ARRAY['outbox.' || ${x}.kind || '.' || ${x}.state]`)}
    ${countingTriggers("import_rejections", () => `ARRAY['rejected_rows']`)}

    -- Contacts started per campaign and local calendar day (the daily quota), written by the send path.
    CREATE TABLE campaign_daily_sends (
      campaign_uid uuid NOT NULL REFERENCES campaigns (uid) ON DELETE CASCADE,
      local_date date NOT NULL,
      sends integer NOT NULL DEFAULT 0 CONSTRAINT campaign_daily_sends_sends_check CHECK (sends >= 0),
      PRIMARY KEY (campaign_uid, local_date)
    );
  `);
}

export function down(pgm: MigrationBuilder): void {
  pgm.sql(`
    DROP TABLE campaign_daily_sends;
    DROP TRIGGER import_rejections_count_insert ON import_rejections;
    DROP TRIGGER import_rejections_count_update ON import_rejections;
    DROP TRIGGER import_rejections_count_delete ON import_rejections;
    DROP TRIGGER outbox_count_insert ON outbox;
    DROP TRIGGER outbox_count_update ON outbox;
    DROP TRIGGER outbox_count_delete ON outbox;
    DROP TRIGGER phones_count_insert ON phones;
    DROP TRIGGER phones_count_update ON phones;
    DROP TRIGGER phones_count_delete ON phones;
    DROP TRIGGER contacts_count_insert ON contacts;
    DROP TRIGGER contacts_count_update ON contacts;
    DROP TRIGGER contacts_count_delete ON contacts;
    DROP FUNCTION count_import_rejections(), count_outbox(), count_phones(), count_contacts();
    DROP FUNCTION compact_campaign_counts(uuid);
    DROP TABLE campaign_count_deltas, campaign_counts;
    DROP TRIGGER outbox_audit ON outbox;
    DROP TRIGGER phones_audit ON phones;
    DROP TRIGGER contacts_audit ON contacts;
    DROP TRIGGER campaigns_audit ON campaigns;
    DROP FUNCTION audit_outbox(), audit_phones(), audit_contacts(), audit_campaigns();
    DROP FUNCTION audit_reason(), audit_actor();
    DROP TABLE audit_log;
  `);
}
