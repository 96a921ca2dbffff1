/**
 * The import job: reads a Campaign's patient list from where its spec says (a Secret or ConfigMap key, or
 * a list imported with `busca-ativa import`) and imports it. Idempotent: the same file twice is a no-op.
 */
import type * as k8s from "@kubernetes/client-node";
import type { Pool } from "pg";
import type { Logger } from "../../lib/logger.js";
import { AppError } from "../../lib/errors.js";
import { readKeyBytes } from "../../lib/kube/secrets.js";
import { importPatientList, type ImportReport } from "../import/index.js";
import type { CampaignSpecCache } from "../campaigns/spec-cache.js";

export interface ImportRunner {
  run(campaignUid: string, logger: Logger): Promise<ImportSummary>;
}

/** What the job returns (kept in Redis for a while): counts only, never patient data. */
export interface ImportSummary {
  contacts: number;
  rejectedRows: number;
  alreadyImported: boolean;
}

export class AudienceImportRunner implements ImportRunner {
  constructor(private readonly deps: { pool: Pool; kc: k8s.KubeConfig; specs: CampaignSpecCache }) {}

  async run(campaignUid: string, logger: Logger): Promise<ImportSummary> {
    const record = await this.deps.specs.record(campaignUid);
    const audience = record.spec.audience;
    let source: Buffer;
    let description: string;
    let format = audience.format;
    if (audience.secretKeyRef) {
      const ref = audience.secretKeyRef;
      source = await readKeyBytes(this.deps.kc, "Secret", record.namespace, ref.name, ref.key);
      description = `secret ${record.namespace}/${ref.name} key ${ref.key}`;
    } else if (audience.configMapKeyRef) {
      const ref = audience.configMapKeyRef;
      source = await readKeyBytes(this.deps.kc, "ConfigMap", record.namespace, ref.name, ref.key);
      description = `configmap ${record.namespace}/${ref.name} key ${ref.key}`;
    } else if (audience.listRef) {
      const { rows } = await this.deps.pool.query<{ content: Buffer; format: "csv" | "xlsx" }>(
        "SELECT content, format FROM patient_lists WHERE namespace = $1 AND name = $2",
        [record.namespace, audience.listRef.name],
      );
      if (!rows[0]) {
        throw new AppError(
          "LIST_NOT_FOUND",
          `No patient list "${audience.listRef.name}" was imported into namespace ${record.namespace}; run busca-ativa import first`,
        );
      }
      source = rows[0].content;
      format = rows[0].format;
      description = `list ${record.namespace}/${audience.listRef.name}`;
    } else {
      throw new AppError(
        "AUDIENCE_MISSING",
        `Campaign ${record.namespace}/${record.name} names no patient list`,
      );
    }
    const report: ImportReport = await importPatientList({
      pool: this.deps.pool,
      campaignUid,
      source,
      format,
      columnMapping: audience.columnMapping,
      sourceDescription: description,
      logger,
    });
    const summary = summarise(report);
    logger.info(summary, "Imported a campaign's patient list");
    return summary;
  }
}

function summarise(report: ImportReport): ImportSummary {
  return {
    contacts: report.contacts.created,
    rejectedRows: report.rows.rejected,
    alreadyImported: report.alreadyImported,
  };
}
