/**
 * `startSandbox`: a real HTTP server on 127.0.0.1 speaking Evolution API v2 and Meta Cloud API, with a
 * control API, used by tests, the demo, benchmarks and `busca-ativa sandbox`.
 */
import Fastify from "fastify";
import { SandboxClient } from "./client.js";
import type { SandboxConfig, SandboxOptions } from "./config.js";
import { registerControlRoutes } from "./control-routes.js";
import { SandboxCore } from "./core.js";
import { installReplies } from "./delivery.js";
import { errorEnvelope } from "./evolution-payloads.js";
import { registerEvolutionRoutes } from "./evolution-routes.js";
import { registerMetaRoutes } from "./meta-routes.js";

export interface SandboxHandle {
  /** Base URL: Evolution's root and Meta's Graph base at once, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** The typed control API client. */
  client: SandboxClient;
  /** The resolved startup configuration (API keys, instance names, phone-number ids, secrets). */
  config: SandboxConfig;
  /** Stops the server: pending webhooks are dropped and held answers released. */
  close(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<SandboxHandle> {
  const core = new SandboxCore(options);
  installReplies(core);
  const app = Fastify({
    logger: false,
    forceCloseConnections: true,
    bodyLimit: 1_048_576,
    keepAliveTimeout: 65_000,
  });
  registerEvolutionRoutes(app, core);
  registerMetaRoutes(app, core);
  registerControlRoutes(app, core);
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send(errorEnvelope(404, [`Cannot ${req.method} ${req.url.split("?")[0]}`]));
  });
  await app.listen({ host: core.config.host, port: core.config.port });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : core.config.port;
  const host = core.config.host.includes(":") ? `[${core.config.host}]` : core.config.host;
  core.url = `http://${host}:${port}`;
  let closed = false;
  return {
    url: core.url,
    client: new SandboxClient(core.url),
    config: core.config,
    async close() {
      if (closed) return;
      closed = true;
      core.shutdown();
      await app.close();
    },
  };
}
