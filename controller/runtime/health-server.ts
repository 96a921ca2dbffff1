/**
 * The probe and metrics endpoint (node:http), like controller-runtime's manager:
 * - GET /healthz   liveness: every registered health check must pass;
 * - GET /readyz    readiness: every registered readiness check must pass (e.g. informers synced);
 * - GET /healthz/<name>, /readyz/<name>: one check;
 * - `?verbose` lists every check as `[+]name ok` / `[-]name failed: reason`;
 * - GET /metrics   the prom-client registry given (not the global one).
 * A check passes by returning and fails by throwing; each has a time limit.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { errorMessage } from "../../lib/errors.js";
import type { Logger } from "../../lib/logger.js";

export type Check = () => void | Promise<void>;

export interface HealthServerOptions {
  /** TCP port; 0 picks a free one (see `port` after start). controller-runtime's probe port is 8081. */
  port: number;
  /** Default "0.0.0.0". */
  host?: string;
  registry: Registry;
  logger: Logger;
  /** A check still running after this long fails; default 5,000 ms. */
  checkTimeoutMs?: number;
}

interface CheckResult {
  name: string;
  ok: boolean;
  reason?: string;
}

/** A readiness check that passes once every informer's cache has synced. */
export function informersSynced(informers: ReadonlyArray<{ name: string; hasSynced(): boolean }>): Check {
  return () => {
    const waiting = informers.filter((i) => !i.hasSynced()).map((i) => i.name);
    if (waiting.length > 0) throw new Error(`informers not synced yet: ${waiting.join(", ")}`);
  };
}

export class HealthServer {
  private readonly options: HealthServerOptions;
  private readonly health = new Map<string, Check>();
  private readonly ready = new Map<string, Check>();
  private server: Server | undefined;
  private shuttingDown = false;

  constructor(options: HealthServerOptions) {
    this.options = options;
  }

  /** Adds a liveness check; failing it makes the kubelet restart the container. */
  addHealthzCheck(name: string, check: Check): this {
    assertName(name, this.health);
    this.health.set(name, check);
    return this;
  }

  /** Adds a readiness check; failing it takes the pod out of Service endpoints. */
  addReadyzCheck(name: string, check: Check): this {
    assertName(name, this.ready);
    this.ready.set(name, check);
    return this;
  }

  /** From now on /readyz fails with "shutting down" (call at the start of a graceful shutdown). */
  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  /** Listens; resolves with the port. */
  async start(): Promise<number> {
    if (this.server) throw new Error("The health server is already started");
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.options.logger.error({ err: errorMessage(err), path: req.url }, "Health server request failed");
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        res.end("internal error\n");
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port, this.options.host ?? "0.0.0.0", () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.options.logger.info({ port: this.port }, "Health and metrics server listening");
    return this.port;
  }

  get port(): number {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error("The health server is not listening");
    return address.port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method !== "GET" && req.method !== "HEAD") {
      res
        .writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" })
        .end("method not allowed\n");
      return;
    }
    if (url.pathname === "/metrics") {
      const body = await this.options.registry.metrics();
      res
        .writeHead(200, { "content-type": this.options.registry.contentType })
        .end(req.method === "HEAD" ? undefined : body);
      return;
    }
    const [, kind, single, extra] = url.pathname.split("/");
    if ((kind !== "healthz" && kind !== "readyz") || extra !== undefined) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found\n");
      return;
    }
    const checks = kind === "healthz" ? this.health : this.ready;
    let selected = [...checks.entries()];
    if (single) {
      selected = selected.filter(([name]) => name === single);
      if (selected.length === 0) {
        res
          .writeHead(404, { "content-type": "text/plain; charset=utf-8" })
          .end(`no ${kind} check named ${single}\n`);
        return;
      }
    }
    const results = await Promise.all(selected.map(([name, check]) => this.runCheck(name, check)));
    if (kind === "readyz" && !single && this.shuttingDown) {
      results.unshift({ name: "shutdown", ok: false, reason: "shutting down" });
    }
    const failed = results.filter((r) => !r.ok);
    const verbose = url.searchParams.has("verbose") || failed.length > 0;
    const lines = verbose
      ? results.map((r) => (r.ok ? `[+]${r.name} ok` : `[-]${r.name} failed: ${r.reason}`))
      : [];
    lines.push(failed.length === 0 ? `${kind} check passed` : `${kind} check failed`);
    const body = verbose ? `${lines.join("\n")}\n` : "ok";
    res
      .writeHead(failed.length === 0 ? 200 : 500, { "content-type": "text/plain; charset=utf-8" })
      .end(req.method === "HEAD" ? undefined : body);
  }

  private async runCheck(name: string, check: Check): Promise<CheckResult> {
    const timeoutMs = this.options.checkTimeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(check),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return { name, ok: true };
    } catch (err) {
      return { name, ok: false, reason: errorMessage(err) };
    } finally {
      clearTimeout(timer);
    }
  }
}

function assertName(name: string, checks: Map<string, Check>): void {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) {
    throw new Error(`Check names are lowercase words with dashes (got ${JSON.stringify(name)})`);
  }
  if (checks.has(name)) throw new Error(`A check named ${name} is already registered`);
}
