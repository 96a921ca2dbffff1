/**
 * The patient_lists table: lists stored by `busca-ativa import` (the file itself, its SHA-256 and the
 * check report, counts only), read by a Campaign's import job through `spec.audience.listRef`.
 */
import type { Queryable } from "./pool.js";

export interface PatientListInput {
  namespace: string;
  name: string;
  format: "csv" | "xlsx";
  content: Buffer;
  checksum: string;
  report: unknown;
}

export interface StoredPatientList {
  /** False when a list of that name was replaced. */
  created: boolean;
  /** The replaced list's checksum (undefined when created). */
  previousChecksum: string | undefined;
}

/** Stores the list under (namespace, name), replacing a list of the same name. */
export async function upsertPatientList(db: Queryable, list: PatientListInput): Promise<StoredPatientList> {
  const { rows } = await db.query<{ previous: string | null }>(
    `WITH previous AS (
       SELECT checksum FROM patient_lists WHERE namespace = $1 AND name = $2
     )
     INSERT INTO patient_lists (namespace, name, format, content, checksum, report, imported_at)
     VALUES ($1, $2, $3, $4, $5, $6, now())
     ON CONFLICT (namespace, name) DO UPDATE SET
       format = EXCLUDED.format, content = EXCLUDED.content, checksum = EXCLUDED.checksum,
       report = EXCLUDED.report, imported_at = EXCLUDED.imported_at
     RETURNING (SELECT checksum FROM previous) AS previous`,
    [list.namespace, list.name, list.format, list.content, list.checksum, JSON.stringify(list.report)],
  );
  const previous = rows[0]?.previous ?? null;
  return { created: previous === null, previousChecksum: previous ?? undefined };
}

/** Campaigns of the namespace whose spec (the controller's snapshot) names the list. */
export async function campaignsUsingList(
  db: Queryable,
  namespace: string,
  name: string,
): Promise<{ name: string; state: string }[]> {
  const { rows } = await db.query<{ name: string; state: string }>(
    `SELECT name, state FROM campaigns
     WHERE namespace = $1 AND spec -> 'audience' -> 'listRef' ->> 'name' = $2
     ORDER BY created_at`,
    [namespace, name],
  );
  return rows;
}

/** How many of `e164s` opted out in the namespace (queried in chunks; the numbers are never logged). */
export async function countOptedOut(
  db: Queryable,
  namespace: string,
  e164s: readonly string[],
): Promise<number> {
  let total = 0;
  for (let i = 0; i < e164s.length; i += 5000) {
    const { rows } = await db.query<{ n: number }>(
      "SELECT count(*)::bigint AS n FROM opt_outs WHERE namespace = $1 AND e164 = ANY($2::text[])",
      [namespace, e164s.slice(i, i + 5000)],
    );
    total += Number(rows[0]?.n ?? 0);
  }
  return total;
}
