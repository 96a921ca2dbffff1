/**
 * `busca-ativa campaign create <name> --file lista.xlsx ...`: checks the list with the import's parser,
 * then applies (server-side apply, field manager busca-ativa-cli) a Secret `<name>-lista` holding the
 * file and the Campaign pointing at it. The Secret is then owned by the Campaign, so deleting (cancelling)
 * the campaign deletes the list too. `--dry-run` prints the YAML instead (the file's bytes elided).
 */
import { readFile } from "node:fs/promises";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Command } from "commander";
import { usage } from "../usage.js";
import { stringify } from "yaml";
import { PROVIDERS, type Provider } from "../../crds/index.js";
import { AppError } from "../../lib/errors.js";
import { applyObject } from "../../controller/runtime/patch.js";
import {
  buildCampaignManifests,
  DEFAULT_CLI_TEMPLATE,
  listSecretName,
  redactedSecret,
  type CampaignManifests,
  type ListSource,
} from "../campaigns/manifests.js";
import { checkPatientList, type ListCheck } from "../lists/check.js";
import { parseColumnMap } from "../lists/column-map.js";
import { formatListCheck } from "../lists/report-text.js";
import {
  CLI_FIELD_MANAGER,
  CampaignClient,
  kubeError,
  loadKubeConfig,
  resolveNamespace,
  type CampaignObject,
} from "../kube.js";

/** Secrets hold at most 1 MiB; a larger list goes through `busca-ativa import` and `--list`. */
const SECRET_LIMIT_BYTES = 1_000_000;
const NAME_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

interface CreateOptions {
  file?: string;
  list?: string;
  namespace?: string;
  senderSecret: string;
  provider: string;
  instance?: string;
  phoneNumberId?: string;
  baseUrl?: string;
  template?: string;
  templateFile?: string;
  metaTemplate?: string;
  followUp?: string;
  map?: string;
  timeZone?: string;
  window?: string;
  days?: string;
  dailyQuota?: string;
  description?: string;
  suspend?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

export function registerCampaignCommand(program: Command): void {
  const campaign = program.command("campaign").description("Create campaigns from a spreadsheet");
  campaign
    .command("create")
    .description(
      "Create (or update) a Campaign and the Secret <name>-lista holding its patient list (CSV or XLSX)",
    )
    .argument("<name>", "the Campaign's name (lower-case letters, digits and -, at most 57 characters)")
    .option(
      "-f, --file <path>",
      "the patient list, .xlsx or .csv (at most 1 MB; larger: import it and use --list)",
    )
    .option("--list <name>", "use a list stored with busca-ativa import instead of --file")
    .option("-n, --namespace <namespace>", "namespace (default: the kubeconfig context's, else default)")
    .option("--sender-secret <name>", "Secret with the provider's credentials", "whatsapp-credentials")
    .option("--provider <provider>", `WhatsApp provider: ${PROVIDERS.join(", ")}`, "evolution")
    .option("--instance <name>", "Evolution (or sandbox) instance name")
    .option("--phone-number-id <id>", "Meta phone-number id (meta-cloud)")
    .option("--base-url <url>", "provider base URL (required for evolution and sandbox)")
    .option("--template <text>", "first message; {nome}, {procedimento} and list columns are filled in")
    .option("--template-file <path>", "read the first message from a file")
    .option("--meta-template <name[:language]>", "Meta-approved template (required for meta-cloud)")
    .option("--follow-up <schedule>", "FollowUpSchedule whose reminders the campaign uses")
    .option("--map <columns>", "list headers per column, e.g. name=Paciente,phone=Celular|Telefone")
    .option("--time-zone <zone>", "IANA time zone of the send window (default America/Fortaleza)")
    .option("--window <HH:MM-HH:MM>", "daily send window (default 08:00-18:00)")
    .option("--days <days>", "days messages may go out, e.g. Mon,Tue,Wed,Thu,Fri,Sat (default Mon-Fri)")
    .option("--daily-quota <n>", "patients sent their first message per day (default 50)")
    .option("--description <text>", "what the campaign is for (never sent to patients)")
    .option("--suspend", "create it paused (resume with busca-ativa resume)")
    .option("--dry-run", "print the YAML that would be applied (the file's bytes elided) and change nothing")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      "\nThe list is checked with the import's own parser first; a list with no acceptable row is refused." +
        "\nExit codes: 0 applied (or printed); 1 failure (unreadable list, API error); 2 bad usage or an invalid Campaign.",
    )
    .action(async (name: string, options: CreateOptions) => {
      if (!NAME_PATTERN.test(name) || name.length > 57) {
        usage(
          `"${name}" is not a valid campaign name: lower-case letters, digits and -, at most 57 characters`,
        );
      }
      if (Boolean(options.file) === Boolean(options.list)) usage("give either --file or --list");
      if (!(PROVIDERS as readonly string[]).includes(options.provider)) {
        usage(`--provider must be one of ${PROVIDERS.join(", ")}`);
      }
      if (options.template && options.templateFile) usage("give --template or --template-file, not both");
      const columnMapping = options.map ? mapOrUsage(options.map) : undefined;
      const window = options.window ? parseWindow(options.window) : undefined;
      const dailyQuota = options.dailyQuota !== undefined ? Number(options.dailyQuota) : undefined;
      if (dailyQuota !== undefined && !Number.isInteger(dailyQuota))
        usage("--daily-quota must be a whole number");
      const template = options.templateFile
        ? await readOrUsage(options.templateFile).then((b) => b.toString("utf8"))
        : (options.template ?? DEFAULT_CLI_TEMPLATE);

      let list: ListSource;
      let check: ListCheck | undefined;
      if (options.file) {
        const content = await readOrUsage(options.file);
        if (content.length > SECRET_LIMIT_BYTES) {
          usage(
            `${options.file} has ${content.length} bytes; a Secret holds at most 1 MB. Store it with ` +
              `busca-ativa import ${options.file} --name <list> and create the campaign with --list <list>`,
          );
        }
        check = (await checkPatientList(content, { columnMapping })).report;
        if (check.rows.accepted === 0) {
          throw new AppError(
            "IMPORT_NO_ACCEPTED_ROWS",
            `No row of ${options.file} can be imported (${check.rows.rejected} rejected): fix the list and try again`,
          );
        }
        list = { kind: "file", content, format: check.format };
      } else {
        list = { kind: "list", name: options.list! };
      }

      const kc = options.dryRun ? undefined : loadKubeConfig();
      const namespace = options.dryRun
        ? (options.namespace ?? "default")
        : resolveNamespace(kc, options.namespace);
      const built = buildCampaignManifests({
        name,
        namespace,
        list,
        provider: options.provider as Provider,
        senderSecret: options.senderSecret,
        instance: options.instance,
        phoneNumberId: options.phoneNumberId,
        baseUrl: options.baseUrl,
        template,
        metaTemplate: options.metaTemplate ? parseMetaTemplate(options.metaTemplate) : undefined,
        followUp: options.followUp,
        columnMapping,
        timeZone: options.timeZone,
        window,
        daysOfWeek: options.days?.split(",").map((d) => d.trim()),
        dailyQuota,
        description: options.description,
        suspend: options.suspend,
      });
      if ("error" in built) return usage(`the Campaign would be invalid: ${built.error}`);
      const { manifests } = built;

      if (options.dryRun) {
        printDryRun(manifests, check, options.json === true);
        return;
      }
      const applied = await applyManifests(kc!, manifests);
      if (options.json) {
        console.log(
          JSON.stringify({
            namespace,
            name,
            uid: applied.campaign.metadata.uid,
            created: !applied.existed,
            secret: manifests.secret
              ? { name: manifests.secret.metadata.name, key: manifests.key }
              : undefined,
            list: check,
          }),
        );
        return;
      }
      if (check) console.log(formatListCheck(check).join("\n"));
      if (manifests.secret) {
        console.log(`Applied Secret ${namespace}/${manifests.secret.metadata.name} (key ${manifests.key})`);
      }
      console.log(`${applied.existed ? "Updated" : "Created"} Campaign ${namespace}/${name}`);
      if (applied.existed && manifests.secret) {
        console.log(
          "Note: the campaign existed already and imported its list when it started; a changed file is not imported again. Create a new campaign for a new list.",
        );
      }
      console.log(`Follow it with: busca-ativa status ${name} -n ${namespace} --watch`);
    });
}

function mapOrUsage(text: string): Record<string, string[]> {
  const parsed = parseColumnMap(text);
  if ("error" in parsed) return usage(`--map: ${parsed.error}`);
  return parsed.mapping;
}

function parseWindow(text: string): { start: string; end: string } {
  const match = /^(\d{2}:\d{2})-(\d{2}:\d{2})$/.exec(text.trim());
  if (!match) return usage("--window must look like 08:00-18:00");
  return { start: match[1]!, end: match[2]! };
}

function parseMetaTemplate(text: string): { name: string; language?: string } {
  const [templateName = "", language] = text.split(":");
  return language ? { name: templateName, language } : { name: templateName };
}

async function readOrUsage(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    return usage(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function printDryRun(manifests: CampaignManifests, check: ListCheck | undefined, json: boolean): void {
  const secret = manifests.secret ? redactedSecret(manifests.secret, check?.checksum ?? "?") : undefined;
  if (json) {
    console.log(JSON.stringify({ secret, campaign: manifests.campaign, list: check }));
    return;
  }
  const docs = [...(secret ? [secret] : []), manifests.campaign].map((d) => stringify(d, { lineWidth: 0 }));
  if (check)
    console.log(
      formatListCheck(check)
        .map((line) => `# ${line}`)
        .join("\n"),
    );
  console.log(docs.join("---\n").trimEnd());
}

async function applyManifests(
  kc: NonNullable<ReturnType<typeof loadKubeConfig>>,
  manifests: CampaignManifests,
): Promise<{ campaign: CampaignObject; existed: boolean }> {
  const { namespace, name } = manifests.campaign.metadata;
  const existed = (await new CampaignClient(kc).find(namespace, name)) !== undefined;
  try {
    if (manifests.secret) await applyObject(kc, manifests.secret, CLI_FIELD_MANAGER, true);
    const campaign = (await applyObject(
      kc,
      manifests.campaign as unknown as KubernetesObject,
      CLI_FIELD_MANAGER,
      true,
    )) as unknown as CampaignObject;
    if (manifests.secret && campaign.metadata.uid) {
      // Owned by the Campaign: cancelling (deleting) the campaign deletes the copy of the list.
      await applyObject(
        kc,
        {
          ...manifests.secret,
          metadata: {
            ...manifests.secret.metadata,
            ownerReferences: [
              {
                apiVersion: manifests.campaign.apiVersion,
                kind: manifests.campaign.kind,
                name,
                uid: campaign.metadata.uid,
              },
            ],
          },
        },
        CLI_FIELD_MANAGER,
        true,
      );
    }
    return { campaign, existed };
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw kubeError(err, `apply Campaign ${name} and Secret ${listSecretName(name)}`, namespace);
  }
}
