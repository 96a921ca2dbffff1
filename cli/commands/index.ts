/** Every command of the CLI, registered on the program. */
import type { Command } from "commander";
import { registerProcessCommands } from "./processes.js";
import { registerSandboxCommand } from "./sandbox.js";

export function registerCommands(program: Command): void {
  registerProcessCommands(program);
  registerSandboxCommand(program);
}
