/**
 * `busca-ativa import <file> --name <list>`: checks a patient list with the import's own parser (what a
 * campaign import of it will accept and reject, by reason) and stores the file in PostgreSQL
 * (patient_lists), replacing a list of the same name. A Campaign uses it with
 * `spec.audience.listRef.name`. Prints counts only, never a patient's name or number.
 */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { usage } from "../usage.js";
import { env, parseEnv } from "../../lib/config.js";
import { AppError } from "../../lib/errors.js";
import { createPool } from "../../lib/db/pool.js";
import { campaignsUsingList, countOptedOut, upsertPatientList } from "../../lib/db/patient-lists.js";
import { AUDIENCE_FORMATS } from "../../crds/index.js";
import { checkPatientList } from "../lists/check.js";
import { parseColumnMap } from "../lists/column-map.js";
import { formatListCheck } from "../lists/report-text.js";
import { namespaceWithoutCluster } from "../kube.js";

const LIST_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

interface ImportOptions {
  name: string;
  namespace?: string;
  format: string;
  map?: string;
  json?: boolean;
}

export function registerImportCommand(program: Command): void {
  program
    .command("import")
    .description(
      "Check a patient list (CSV or XLSX) as a campaign import would and store it in PostgreSQL for Campaigns' audience.listRef",
    )
    .argument("<file>", "the patient list, .csv or .xlsx")
    .requiredOption(
      "--name <list>",
      "the list's name (lower-case letters, digits and -), used in listRef.name",
    )
    .option(
      "-n, --namespace <namespace>",
      "namespace of the Campaigns that will use it (default: kubeconfig's, else default)",
    )
    .option("--format <format>", `file format: ${AUDIENCE_FORMATS.join(", ")}`, "auto")
    .option("--map <columns>", "list headers per column, e.g. name=Paciente,phone=Celular|Telefone")
    .option("--json", "print the result and the report as JSON")
    .addHelpText(
      "after",
      "\nNeeds DATABASE_URL. A list of the same name is replaced; campaigns that imported it already keep their contacts." +
        "\nExit codes: 0 stored; 1 the list cannot be imported (no header, no acceptable row, unreadable) or the database failed; 2 bad usage or configuration.",
    )
    .action(async (file: string, options: ImportOptions) => {
      if (!LIST_NAME.test(options.name) || options.name.length > 63) {
        usage(`--name "${options.name}" must be lower-case letters, digits and -, at most 63 characters`);
      }
      if (!(AUDIENCE_FORMATS as readonly string[]).includes(options.format)) {
        usage(`--format must be one of ${AUDIENCE_FORMATS.join(", ")}`);
      }
      let columnMapping: Record<string, string[]> | undefined;
      if (options.map) {
        const parsed = parseColumnMap(options.map);
        if ("error" in parsed) return usage(`--map: ${parsed.error}`);
        columnMapping = parsed.mapping;
      }
      const config = parseEnv({ DATABASE_URL: env.postgresUrl() });
      let content: Buffer;
      try {
        content = await readFile(file);
      } catch (err) {
        return usage(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      const namespace = namespaceWithoutCluster(options.namespace);

      const { report, phoneNumbers } = await checkPatientList(content, {
        format: options.format as "auto" | "csv" | "xlsx",
        columnMapping,
      });
      if (report.rows.accepted === 0) {
        if (options.json)
          console.log(JSON.stringify({ namespace, name: options.name, stored: false, report }));
        else console.log(formatListCheck(report).join("\n"));
        throw new AppError(
          "IMPORT_NO_ACCEPTED_ROWS",
          `No row of ${file} can be imported (${report.rows.rejected} rejected): nothing was stored`,
        );
      }

      const pool = createPool({
        connectionString: config.DATABASE_URL,
        max: 2,
        applicationName: "busca-ativa-import",
      });
      try {
        report.phones.optedOut = await countOptedOut(pool, namespace, phoneNumbers);
        const stored = await upsertPatientList(pool, {
          namespace,
          name: options.name,
          format: report.format,
          content,
          checksum: report.checksum,
          report,
        });
        const usedBy = await campaignsUsingList(pool, namespace, options.name);
        const outcome = stored.created
          ? "created"
          : stored.previousChecksum === report.checksum
            ? "unchanged"
            : "replaced";
        if (options.json) {
          console.log(
            JSON.stringify({
              namespace,
              name: options.name,
              stored: outcome,
              usedBy: usedBy.map((c) => c.name),
              report,
            }),
          );
          return;
        }
        console.log(formatListCheck(report).join("\n"));
        const verb = { created: "Stored", replaced: "Replaced", unchanged: "Stored again (same file)" }[
          outcome
        ];
        console.log(
          `${verb} list ${namespace}/${options.name} (${report.format}, sha256 ${report.checksum.slice(0, 12)}…)`,
        );
        if (usedBy.length > 0) {
          console.log(
            `Used by ${usedBy.map((c) => c.name).join(", ")}: a campaign that imported the list already keeps the contacts it imported`,
          );
        }
        console.log(`Use it in a Campaign: spec.audience.listRef.name: ${options.name}`);
        if (columnMapping) {
          console.log(
            `  with spec.audience.columnMapping: ${JSON.stringify(columnMapping)} (as checked here)`,
          );
        }
      } finally {
        await pool.end();
      }
    });
}
