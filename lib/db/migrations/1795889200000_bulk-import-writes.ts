/**
 * Cheaper bulk writes of contacts, phones and rejected rows (issue #4: import 20,000 rows/s).
 *
 * Counter triggers.
 * The statement-level counters of `1795888800002_audit-and-counts` built an array of metrics for every
 * changed row and unnested it (three or four metrics per contact or phone), so a statement that
 * inserts 5,000 phones aggregated 15,000 generated rows. Here the changed rows are first grouped by the
 * columns the metrics depend on (campaign, state, WhatsApp status...: a handful of groups), and the
 * metrics are made per group: the same deltas, at the cost of one hash aggregation over the rows.
 * Metric names and values are unchanged (docs/database.md), so stored counts need no rebasing.
 * Only the contacts, phones and import_rejections counters change (the outbox's are the send path's).
 *
 * Foreign keys. A foreign key costs an index lookup and a row lock per inserted row (about 40% of the
 * time PostgreSQL spends inserting a phone). Two of them checked a copy of what another key already
 * guarantees: `phones.campaign_uid` (a phone's contact belongs to the campaign, and deleting the
 * campaign deletes the contact and so the phone) and `import_rejections.campaign_uid` (the rejected row's
 * import belongs to the campaign and takes its rejected rows with it). They are dropped; the columns
 * stay (the hot queries filter on them) and the writers set them from the contact and the import.
 */
import type { MigrationBuilder } from "node-pg-migrate";

const NO_METRICS = "'{}'::text[]";

interface Counter {
  table: string;
  /** Expressions over a changed row (alias r) that the metrics depend on, each `expr AS name`. */
  keys: string[];
  /** The metrics of a group (alias g, with the key names) as a text[]. */
  metrics: (g: string) => string;
}

function countingFunction({ table, keys, metrics }: Counter): string {
  const groupBy = ["r.campaign_uid", ...keys].map((_, i) => i + 1).join(", ");
  const grouped = (rows: string, sign: string) =>
    `SELECT ${["r.campaign_uid", ...keys, `${sign}count(*) AS n`].join(", ")} FROM ${rows} r GROUP BY ${groupBy}`;
  return `
    CREATE OR REPLACE FUNCTION count_${table}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO campaign_count_deltas (campaign_uid, metric, delta)
        SELECT g.campaign_uid, m.metric, sum(g.n)
        FROM (${grouped("new_rows", "")}) g CROSS JOIN LATERAL unnest(${metrics("g")}) AS m(metric)
        GROUP BY 1, 2;
      ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO campaign_count_deltas (campaign_uid, metric, delta)
        SELECT g.campaign_uid, m.metric, sum(g.n)
        FROM (${grouped("old_rows", "-")} UNION ALL ${grouped("new_rows", "")}) g
        CROSS JOIN LATERAL unnest(${metrics("g")}) AS m(metric)
        GROUP BY 1, 2
        HAVING sum(g.n) <> 0;
      ELSE
        -- A campaign being deleted takes its counters with it.
        INSERT INTO campaign_count_deltas (campaign_uid, metric, delta)
        SELECT g.campaign_uid, m.metric, sum(g.n)
        FROM (${grouped("old_rows", "-")}) g CROSS JOIN LATERAL unnest(${metrics("g")}) AS m(metric)
        WHERE EXISTS (SELECT 1 FROM campaigns c WHERE c.uid = g.campaign_uid)
        GROUP BY 1, 2;
      END IF;
      RETURN NULL;
    END $$;
  `;
}

const COUNTERS: Counter[] = [
  {
    table: "contacts",
    keys: ["r.state AS state", "r.replied_at IS NOT NULL AS replied"],
    metrics: (g) =>
      `ARRAY['contacts', 'contacts.state.' || ${g}.state] || ` +
      `CASE WHEN ${g}.replied THEN ARRAY['contacts.replied'] ELSE ${NO_METRICS} END`,
  },
  {
    table: "phones",
    keys: ["r.wa_status AS wa_status", "r.sendable AS sendable", "r.reply AS reply"],
    metrics: (g) =>
      `ARRAY['phones', 'phones.wa.' || ${g}.wa_status] || ` +
      `CASE WHEN ${g}.sendable THEN ${NO_METRICS} ELSE ARRAY['phones.not_sendable'] END || ` +
      `CASE WHEN ${g}.reply IS NOT NULL THEN ARRAY['phones.reply.' || ${g}.reply] ELSE ${NO_METRICS} END`,
  },
  { table: "import_rejections", keys: [], metrics: () => `ARRAY['rejected_rows']` },
];

export function up(pgm: MigrationBuilder): void {
  pgm.sql(`
    ${COUNTERS.map(countingFunction).join("\n")}
    ALTER TABLE phones DROP CONSTRAINT phones_campaign_uid_fkey;
    ALTER TABLE import_rejections DROP CONSTRAINT import_rejections_campaign_uid_fkey;
  `);
}

/** The per-row metric arrays of 1795888800002_audit-and-counts, as they were. */
const PREVIOUS: Record<string, (x: string) => string> = {
  contacts: (x) =>
    `ARRAY['contacts', 'contacts.state.' || ${x}.state] || ` +
    `CASE WHEN ${x}.replied_at IS NOT NULL THEN ARRAY['contacts.replied'] ELSE ${NO_METRICS} END`,
  phones: (x) =>
    `ARRAY['phones', 'phones.wa.' || ${x}.wa_status] || ` +
    `CASE WHEN ${x}.sendable THEN ${NO_METRICS} ELSE ARRAY['phones.not_sendable'] END || ` +
    `CASE WHEN ${x}.reply IS NOT NULL THEN ARRAY['phones.reply.' || ${x}.reply] ELSE ${NO_METRICS} END`,
  import_rejections: () => `ARRAY['rejected_rows']`,
};

export function down(pgm: MigrationBuilder): void {
  pgm.sql(`
    ALTER TABLE phones ADD CONSTRAINT phones_campaign_uid_fkey
      FOREIGN KEY (campaign_uid) REFERENCES campaigns (uid) ON DELETE CASCADE;
    ALTER TABLE import_rejections ADD CONSTRAINT import_rejections_campaign_uid_fkey
      FOREIGN KEY (campaign_uid) REFERENCES campaigns (uid) ON DELETE CASCADE;
  `);
  pgm.sql(
    Object.entries(PREVIOUS)
      .map(
        ([table, metrics]) => `
    CREATE OR REPLACE FUNCTION count_${table}() RETURNS trigger LANGUAGE plpgsql AS $$
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
        INSERT INTO campaign_count_deltas (campaign_uid, metric, delta)
        SELECT o.campaign_uid, m.metric, -count(*)
        FROM old_rows o CROSS JOIN LATERAL unnest(${metrics("o")}) AS m(metric)
        WHERE EXISTS (SELECT 1 FROM campaigns c WHERE c.uid = o.campaign_uid)
        GROUP BY o.campaign_uid, m.metric;
      END IF;
      RETURN NULL;
    END $$;`,
      )
      .join("\n"),
  );
}
