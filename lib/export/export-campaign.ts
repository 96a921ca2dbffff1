/**
 * Exports a campaign's per-patient results to a file the operator asked for: written under a temporary
 * name readable only by its owner (patient data), renamed into place when complete, removed on failure.
 * Returns counts only.
 */
import { createWriteStream } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Pool } from "pg";
import { DEFAULT_TIME_ZONE } from "../../crds/common.js";
import { EXPORT_COLUMNS, exportRow, reasonLabels, type ExportContext } from "./columns.js";
import { readExportContacts, type ExportCampaign } from "./rows.js";
import { CsvExportWriter, XlsxExportWriter, type ExportFormat, type ExportWriter } from "./writers.js";

export interface ExportOptions {
  pool: Pool;
  campaign: ExportCampaign;
  format: ExportFormat;
  /** The file to write (replaced if it exists). */
  output: string;
  /** Contacts read per query; default 1000. */
  batchSize?: number;
}

export interface ExportSummary {
  namespace: string;
  name: string;
  uid: string;
  campaignState: string;
  format: ExportFormat;
  output: string;
  bytes: number;
  rows: number;
  /** Contacts per state (our state names; docs/cli.md maps them to the Status labels). */
  byState: Record<string, number>;
  timeZone: string;
}

export async function exportCampaign(options: ExportOptions): Promise<ExportSummary> {
  const { campaign, format, output } = options;
  const timeZone = campaign.spec?.schedule?.timeZone ?? DEFAULT_TIME_ZONE;
  const context: ExportContext = {
    timeZone,
    reasonLabels: reasonLabels(campaign.spec?.replies?.declineReason?.options),
  };
  const temporary = join(dirname(output), `.${basename(output)}.${process.pid}.partial`);
  const stream = createWriteStream(temporary, { mode: 0o600 });
  const byState: Record<string, number> = {};
  let rows = 0;
  let writer: ExportWriter | undefined;
  try {
    writer =
      format === "csv"
        ? await CsvExportWriter.open(stream, EXPORT_COLUMNS)
        : XlsxExportWriter.open(stream, EXPORT_COLUMNS);
    for await (const batch of readExportContacts(options.pool, campaign.uid, options.batchSize)) {
      for (const contact of batch) {
        await writer.writeRow(exportRow(contact, context));
        byState[contact.state] = (byState[contact.state] ?? 0) + 1;
        rows += 1;
      }
    }
    await writer.close();
    await rename(temporary, output);
  } catch (err) {
    stream.destroy();
    await rm(temporary, { force: true });
    throw err;
  }
  const { size } = await stat(output);
  return {
    namespace: campaign.namespace,
    name: campaign.name,
    uid: campaign.uid,
    campaignState: campaign.state,
    format,
    output,
    bytes: size,
    rows,
    byState,
    timeZone,
  };
}
