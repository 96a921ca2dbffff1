/**
 * `busca-ativa export <name> --format csv|xlsx`: the campaign's per-patient results from PostgreSQL, with
 * the Celery system's export columns, to a file the operator names. Patient data goes to that file only,
 * never to the terminal or a log: the command prints counts.
 */
import { existsSync } from "node:fs";
import type { Command } from "commander";
import { usage } from "../usage.js";
import { env, parseEnv } from "../../lib/config.js";
import { createPool } from "../../lib/db/pool.js";
import { exportCampaign } from "../../lib/export/export-campaign.js";
import { findExportCampaign } from "../../lib/export/rows.js";
import { namespaceWithoutCluster } from "../kube.js";

interface ExportOptions {
  namespace?: string;
  format: string;
  output?: string;
  uid?: string;
  force?: boolean;
  jsonSummary?: boolean;
}

export function registerExportCommand(program: Command): void {
  program
    .command("export")
    .description("Export a campaign's per-patient results (CSV for Excel pt-BR, or XLSX) to a file")
    .argument("<name>", "the campaign's name")
    .option("-n, --namespace <namespace>", "namespace (default: the kubeconfig context's, else default)")
    .requiredOption("--format <format>", "csv (UTF-8 with BOM, ; delimited) or xlsx")
    .option("-o, --output <file>", "the file to write (default: <name>.<format> here)")
    .option("--uid <uid>", "which campaign, when the name was used by a deleted campaign too")
    .option("--force", "replace the output file if it exists")
    .option("--json-summary", "print the summary (counts, file, size) as JSON")
    .addHelpText(
      "after",
      "\nColumns: Nome, Nascimento, Telefones, Procedimento, Status, Enviado, Data Envio, Confirmado, Rejeitado," +
        "\nResposta, Data Resposta, Erro, Motivo, Sem Resposta, Linha (times in the campaign's time zone; see docs/cli.md)." +
        "\nNeeds DATABASE_URL. Works for cancelled (deleted) campaigns too." +
        "\nExit codes: 0 written; 1 failure; 2 bad usage or configuration; 3 no such campaign in the database.",
    )
    .action(async (name: string, options: ExportOptions) => {
      if (options.format !== "csv" && options.format !== "xlsx") {
        usage("--format must be csv or xlsx");
      }
      const format = options.format as "csv" | "xlsx";
      const output = options.output ?? `${name}.${format}`;
      if (existsSync(output) && !options.force) {
        usage(`${output} exists: pass --force to replace it, or choose another --output`);
      }
      const config = parseEnv({ DATABASE_URL: env.postgresUrl() });
      const namespace = namespaceWithoutCluster(options.namespace);
      const pool = createPool({
        connectionString: config.DATABASE_URL,
        max: 2,
        applicationName: "busca-ativa-export",
      });
      try {
        const { campaign, others } = await findExportCampaign(pool, namespace, name, options.uid);
        const summary = await exportCampaign({ pool, campaign, format, output });
        if (options.jsonSummary) {
          console.log(JSON.stringify({ ...summary, otherCampaignsWithThisName: others }));
          return;
        }
        console.log(
          `Exported ${summary.rows} patients of ${namespace}/${name} (${summary.campaignState}) to ${output} ` +
            `(${format.toUpperCase()}, ${summary.bytes} bytes, times in ${summary.timeZone})`,
        );
        const states = Object.entries(summary.byState)
          .sort((a, b) => b[1] - a[1])
          .map(([state, n]) => `${state} ${n}`);
        if (states.length > 0) console.log(`  ${states.join(" · ")}`);
        if (others.length > 0) {
          console.log(
            `Note: ${others.length} earlier campaign(s) had this name; exported the newest (uid ${campaign.uid}). Others: ${others.join(", ")} (use --uid)`,
          );
        }
      } finally {
        await pool.end();
      }
    });
}
