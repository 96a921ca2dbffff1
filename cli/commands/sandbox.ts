/**
 * `busca-ativa sandbox`: the sandbox WhatsApp server (Evolution API v2 and Meta Cloud API wire formats,
 * simulated patients, faults, a control API under /__control). For tests, demos and evaluation installs:
 * it never talks to WhatsApp.
 */
import type { Command } from "commander";
import { z } from "zod";
import { env, parseEnv } from "../../lib/config.js";
import { startSandbox } from "../../test/sandbox/index.js";
import { untilSignal } from "../signals.js";

export function registerSandboxCommand(program: Command): void {
  program
    .command("sandbox")
    .description("Run the sandbox WhatsApp server (SANDBOX_HOST, SANDBOX_PORT, SANDBOX_CONFIG as JSON)")
    .option("--host <host>", "address to listen on (default SANDBOX_HOST or 127.0.0.1)")
    .option("--port <port>", "port (default SANDBOX_PORT or 8080; 0 picks a free one)")
    .option("--config <json>", "sandbox options as JSON (see docs/sandbox.md); default SANDBOX_CONFIG")
    .option("--json", "print the URL and the resolved credentials as JSON")
    .action(async (options: { host?: string; port?: string; config?: string; json?: boolean }) => {
      const settings = parseEnv({
        SANDBOX_HOST: z.string().default("127.0.0.1"),
        SANDBOX_PORT: env.port(8080),
        SANDBOX_CONFIG: z.string().default("{}"),
      });
      let config: Record<string, unknown>;
      try {
        config = JSON.parse(options.config ?? settings.SANDBOX_CONFIG) as Record<string, unknown>;
      } catch (err) {
        throw new Error(`SANDBOX_CONFIG / --config is not valid JSON: ${(err as Error).message}`, {
          cause: err,
        });
      }
      const sandbox = await startSandbox({
        ...config,
        host: options.host ?? settings.SANDBOX_HOST,
        port: options.port !== undefined ? Number(options.port) : settings.SANDBOX_PORT,
      });
      if (options.json) {
        console.log(
          JSON.stringify({
            url: sandbox.url,
            evolution: sandbox.config.evolution,
            meta: sandbox.config.meta,
          }),
        );
      } else {
        console.log(`Sandbox WhatsApp server listening on ${sandbox.url}`);
      }
      await untilSignal();
      await sandbox.close();
    });
}
