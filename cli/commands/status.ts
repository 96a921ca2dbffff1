/**
 * `busca-ativa status [name]`: campaigns' progress from their status (written by the controller; counts
 * only), one progress bar per campaign. `--watch` redraws in a terminal, or prints a line per change into
 * a pipe or a log; `--json` prints the statuses.
 */
import type { Command } from "commander";
import { usage } from "../usage.js";
import { AppError } from "../../lib/errors.js";
import { CampaignClient, loadKubeConfig, resolveNamespace, type CampaignObject } from "../kube.js";
import {
  renderCampaign,
  renderCompact,
  statusJson,
  summarise,
  type CampaignStatusJson,
} from "../status/render.js";

interface StatusOptions {
  namespace?: string;
  allNamespaces?: boolean;
  watch?: boolean;
  interval: string;
  json?: boolean;
}

export function registerStatusCommand(program: Command): void {
  program
    .command("status")
    .description(
      "Show campaigns' progress: phase, pause reason, a progress bar, counts and the next send time",
    )
    .argument("[name]", "one campaign (default: every campaign of the namespace)")
    .option("-n, --namespace <namespace>", "namespace (default: the kubeconfig context's, else default)")
    .option("-A, --all-namespaces", "campaigns of every namespace")
    .option("-w, --watch", "keep showing the status as it changes, until interrupted (Ctrl-C)")
    .option("--interval <seconds>", "how often --watch reads the status", "2")
    .option("--json", "print the statuses as JSON (with --watch: one JSON line per change)")
    .addHelpText(
      "after",
      "\nExit codes: 0 ok; 1 the API could not be read; 2 bad usage; 3 the named campaign does not exist.",
    )
    .action(async (name: string | undefined, options: StatusOptions) => {
      if (name && options.allNamespaces) usage("give a campaign name or -A, not both");
      const intervalMs = Number(options.interval) * 1000;
      if (!Number.isFinite(intervalMs) || intervalMs < 200) {
        usage("--interval must be a number of seconds, at least 0.2");
      }
      const kc = loadKubeConfig();
      const client = new CampaignClient(kc);
      const namespace = options.allNamespaces ? undefined : resolveNamespace(kc, options.namespace);
      const read = async (): Promise<CampaignObject[]> =>
        name ? [await client.get(namespace!, name)] : client.list(namespace);

      const first = await read();
      if (!options.watch) {
        printOnce(first, options, name !== undefined, namespace);
        return;
      }
      await watch(first, read, options, intervalMs, name !== undefined);
    });
}

function printOnce(
  campaigns: CampaignObject[],
  options: StatusOptions,
  named: boolean,
  namespace: string | undefined,
): void {
  if (options.json) {
    const json = campaigns.map(statusJson);
    console.log(JSON.stringify(named ? json[0] : json, null, 2));
    return;
  }
  if (campaigns.length === 0) {
    console.log(namespace ? `No campaigns in namespace ${namespace}` : "No campaigns in any namespace");
    return;
  }
  const now = new Date();
  const unicode = process.stdout.isTTY === true;
  console.log(campaigns.flatMap((c) => renderCampaign(summarise(c), { now, unicode })).join("\n"));
}

/** Polls until SIGINT/SIGTERM; a named campaign that is deleted ends the watch. */
async function watch(
  first: CampaignObject[],
  read: () => Promise<CampaignObject[]>,
  options: StatusOptions,
  intervalMs: number,
  named: boolean,
): Promise<void> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const tty = process.stdout.isTTY === true && !options.json;
  const lastLine = new Map<string, string>();
  let drawnLines = 0;
  let campaigns = first;
  try {
    for (;;) {
      if (tty) drawnLines = redraw(campaigns, drawnLines, intervalMs);
      else printChanges(campaigns, lastLine, options.json === true);
      await pause(intervalMs, stop.signal);
      if (stop.signal.aborted) break;
      try {
        campaigns = await read();
      } catch (err) {
        if (named && err instanceof AppError && err.code === "CAMPAIGN_NOT_FOUND") {
          const [gone] = first;
          console.log(`Campaign ${gone?.metadata.namespace}/${gone?.metadata.name} was deleted`);
          return;
        }
        console.error(`Could not read the status (${(err as Error).message}); trying again`);
      }
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

function redraw(campaigns: CampaignObject[], previousLines: number, intervalMs: number): number {
  const now = new Date();
  const width = process.stdout.columns || 120;
  const lines = [
    `Every ${intervalMs / 1000}s · ${now.toLocaleTimeString("pt-BR")} · Ctrl-C to stop`,
    "",
    ...(campaigns.length === 0
      ? ["No campaigns"]
      : campaigns.flatMap((c) => renderCampaign(summarise(c), { now, unicode: true }))),
  ].map((line) => (line.length > width ? line.slice(0, width - 1) : line));
  const up = previousLines > 0 ? `\x1b[${previousLines}F\x1b[0J` : "";
  process.stdout.write(`${up}${lines.join("\n")}\n`);
  return lines.length;
}

function printChanges(campaigns: CampaignObject[], lastLine: Map<string, string>, json: boolean): void {
  const now = new Date();
  for (const campaign of campaigns) {
    const key = `${campaign.metadata.namespace}/${campaign.metadata.name}`;
    const output = json ? JSON.stringify(statusJson(campaign)) : renderCompact(summarise(campaign), { now });
    if (lastLine.get(key) === output) continue;
    lastLine.set(key, output);
    if (json) {
      const line: CampaignStatusJson & { at: string } = { at: now.toISOString(), ...statusJson(campaign) };
      console.log(JSON.stringify(line));
    } else console.log(`${now.toISOString()}  ${output}`);
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });
}
