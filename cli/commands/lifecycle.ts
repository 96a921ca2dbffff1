/**
 * `busca-ativa pause|resume|cancel <name>`: pause and resume set the Campaign's `spec.suspend` (a JSON
 * merge patch with the merge-patch content type; client-node would send JSON Patch otherwise); cancel
 * deletes the Campaign, and the controller's finalizer withdraws its queued work and marks it cancelled
 * in PostgreSQL (its results stay there for `busca-ativa export`).
 */
import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import { usage } from "../usage.js";
import { AppError } from "../../lib/errors.js";
import { mergePatch } from "../../controller/runtime/patch.js";
import {
  CLI_FIELD_MANAGER,
  CampaignClient,
  campaignRef,
  kubeError,
  loadKubeConfig,
  resolveNamespace,
  type CampaignObject,
} from "../kube.js";

interface CommonOptions {
  namespace?: string;
  json?: boolean;
  wait?: boolean;
  timeout: string;
}

const EXIT_HELP =
  "\nExit codes: 0 done; 1 failure (or --wait timed out); 2 bad usage; 3 the campaign does not exist.";

export function registerLifecycleCommands(program: Command): void {
  for (const suspend of [true, false]) {
    program
      .command(suspend ? "pause" : "resume")
      .description(
        suspend
          ? "Pause a campaign (spec.suspend=true): nothing more is queued and waiting sends are withdrawn"
          : "Resume a paused campaign (spec.suspend=false): sending continues where it stopped",
      )
      .argument("<name>", "the Campaign's name")
      .option("-n, --namespace <namespace>", "namespace (default: the kubeconfig context's, else default)")
      .option("--wait", "wait until the controller has acted on the change")
      .option("--timeout <seconds>", "how long --wait waits", "60")
      .option("--json", "print the result as JSON")
      .addHelpText("after", EXIT_HELP)
      .action(async (name: string, options: CommonOptions) => {
        const timeoutMs = parseTimeout(options.timeout);
        const kc = loadKubeConfig();
        const namespace = resolveNamespace(kc, options.namespace);
        const client = new CampaignClient(kc);
        const current = await client.get(namespace, name);
        if (current.metadata.deletionTimestamp) {
          throw new AppError(
            "CAMPAIGN_DELETING",
            `Campaign ${namespace}/${name} is being deleted (cancelled)`,
          );
        }
        const changed = (current.spec?.suspend === true) !== suspend;
        let generation = current.metadata.generation ?? 0;
        if (changed) {
          try {
            const patched = await mergePatch<CampaignObject>(
              kc,
              campaignRef(namespace, name),
              { spec: { suspend } },
              { fieldManager: CLI_FIELD_MANAGER },
            );
            generation = patched.metadata.generation ?? generation;
          } catch (err) {
            throw kubeError(err, `${suspend ? "pause" : "resume"} Campaign ${name}`, namespace, name);
          }
        }
        if (options.wait) await waitForObservation(client, namespace, name, generation, timeoutMs);
        if (options.json) {
          console.log(JSON.stringify({ namespace, name, suspend, changed }));
        } else if (!changed) {
          console.log(
            `Campaign ${namespace}/${name} is already ${suspend ? "paused" : "running (not paused)"}`,
          );
        } else if (suspend) {
          console.log(
            `Paused campaign ${namespace}/${name}: nothing more is queued and waiting sends are withdrawn. ` +
              `Resume it with: busca-ativa resume ${name} -n ${namespace}`,
          );
        } else {
          console.log(`Resumed campaign ${namespace}/${name}: sending continues inside its window`);
        }
      });
  }

  program
    .command("cancel")
    .description(
      "Cancel a campaign for good: deletes the Campaign; the controller withdraws its queued messages and marks it cancelled in PostgreSQL (its results stay for export)",
    )
    .argument("<name>", "the Campaign's name")
    .option("-n, --namespace <namespace>", "namespace (default: the kubeconfig context's, else default)")
    .option("-y, --yes", "do not ask for confirmation (required when stdin is not a terminal)")
    .option("--wait", "wait until the Campaign is gone (its cleanup finished)")
    .option("--timeout <seconds>", "how long --wait waits", "120")
    .option("--json", "print the result as JSON")
    .addHelpText("after", EXIT_HELP)
    .action(async (name: string, options: CommonOptions & { yes?: boolean }) => {
      const timeoutMs = parseTimeout(options.timeout);
      const kc = loadKubeConfig();
      const namespace = resolveNamespace(kc, options.namespace);
      const client = new CampaignClient(kc);
      const current = await client.get(namespace, name);
      if (!options.yes) {
        if (!process.stdin.isTTY) {
          usage(
            `cancelling ${namespace}/${name} cannot be undone and stdin is not a terminal to confirm: pass --yes`,
          );
        }
        if (!(await confirmByName(current))) {
          console.log("Nothing was changed.");
          return;
        }
      }
      await client.delete(namespace, name);
      if (options.wait) await waitUntilGone(client, namespace, name, timeoutMs);
      if (options.json) {
        console.log(JSON.stringify({ namespace, name, deleted: true, gone: options.wait === true }));
        return;
      }
      console.log(
        options.wait
          ? `Cancelled campaign ${namespace}/${name}: its queued messages were withdrawn. Its results stay: busca-ativa export ${name} -n ${namespace}`
          : `Deleted campaign ${namespace}/${name}; the controller withdraws its queued messages and marks it cancelled. Its results stay: busca-ativa export ${name} -n ${namespace}`,
      );
    });
}

function parseTimeout(text: string): number {
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0) usage("--timeout must be a number of seconds");
  return seconds * 1000;
}

async function confirmByName(campaign: CampaignObject): Promise<boolean> {
  const { namespace, name } = campaign.metadata;
  const counts = campaign.status?.counts;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const summary = counts ? ` (${counts.contacts ?? 0} contacts, ${counts.sent ?? 0} sent)` : "";
    const answer = await rl.question(
      `Cancel campaign ${namespace}/${name}${summary}? Sending stops for good and queued messages are withdrawn.\n` +
        `Type the campaign's name to confirm: `,
    );
    return answer.trim() === name;
  } finally {
    rl.close();
  }
}

async function waitForObservation(
  client: CampaignClient,
  namespace: string,
  name: string,
  generation: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const campaign = await client.get(namespace, name);
    if ((campaign.status?.observedGeneration ?? -1) >= generation) return;
    if (Date.now() >= deadline) {
      throw new AppError(
        "CAMPAIGN_NOT_OBSERVED",
        `The controller has not acted on ${namespace}/${name} after ${timeoutMs / 1000}s: check that it is running (busca-ativa controller)`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function waitUntilGone(
  client: CampaignClient,
  namespace: string,
  name: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const campaign = await client.find(namespace, name);
    if (!campaign) return;
    if (Date.now() >= deadline) {
      const finalizers = campaign.metadata.finalizers?.join(", ") || "none";
      throw new AppError(
        "CAMPAIGN_STILL_DELETING",
        `Campaign ${namespace}/${name} is still there after ${timeoutMs / 1000}s (finalizers: ${finalizers}): check that the controller is running`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
