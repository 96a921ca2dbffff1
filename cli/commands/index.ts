/** Every command of the CLI, registered on the program. */
import type { Command } from "commander";
import { registerProcessCommands } from "./processes.js";
import { registerSandboxCommand } from "./sandbox.js";
import { registerFollowUpCommand } from "./followup.js";
import { registerDemoCommand } from "./demo.js";
import { registerDevCommands } from "./dev.js";
import { registerImportCommand } from "./import.js";
import { registerCampaignCommand } from "./campaign.js";
import { registerStatusCommand } from "./status.js";
import { registerLifecycleCommands } from "./lifecycle.js";
import { registerExportCommand } from "./export.js";
import { registerCleanupCommand } from "./cleanup.js";

export function registerCommands(program: Command): void {
  registerProcessCommands(program);
  registerSandboxCommand(program);
  registerFollowUpCommand(program);
  registerDemoCommand(program);
  registerDevCommands(program);
  registerImportCommand(program);
  registerCampaignCommand(program);
  registerStatusCommand(program);
  registerLifecycleCommands(program);
  registerExportCommand(program);
  registerCleanupCommand(program);
}
