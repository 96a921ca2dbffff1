#!/usr/bin/env node
/**
 * `busca-ativa`: one binary for every process and every operator task. Each command lives in
 * cli/commands/<name>.ts and only wires options to the code in controller/, worker/, lib/ and test/sandbox.
 *
 * Exit codes (docs/cli.md): 0 success; 1 failure; 2 bad usage or configuration; 3 a campaign or object
 * not found; 4 the demo's counts did not add up.
 */
import { Command, CommanderError } from "commander";
import { AppError } from "../lib/errors.js";
import { ConfigError } from "../lib/config.js";
import { registerCommands } from "./commands/index.js";
import { EXIT } from "./exit-codes.js";

const program = new Command()
  .name("busca-ativa")
  .description("WhatsApp outreach for hospital waiting lists, as a Kubernetes operator")
  .showHelpAfterError()
  .exitOverride();
registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : EXIT.usage;
  } else if (err instanceof ConfigError) {
    console.error(err.message);
    process.exitCode = EXIT.usage;
  } else if (err instanceof AppError) {
    console.error(`${err.code}: ${err.message}`);
    process.exitCode = err.code.endsWith("NOT_FOUND") ? EXIT.notFound : EXIT.failure;
  } else {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = EXIT.failure;
  }
}
