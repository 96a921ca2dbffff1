/**
 * The whole test environment: a Kubernetes control plane, Redis and PostgreSQL, each a real server in
 * a temporary folder on free ports. Used by the vitest global setup, by `npm run testenv -- up`, and
 * by tools that need a local stack.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ControlPlane } from "./controlplane.js";
import type { Pki } from "./pki.js";
import { PostgresServer } from "./postgres.js";
import { RedisServer } from "./redis.js";

/** What tests and tools need to reach the environment; serialisable. */
export interface TestEnvInfo {
  dir: string;
  /** The admin kubeconfig (group system:masters). */
  kubeconfig: string;
  apiServer: string;
  caFile: string;
  /** The cluster CA and ServiceAccount keys, to mint identities (see identities.ts). */
  pki: Pki;
  redisUrl: string;
  databaseUrl: string;
}

export interface StartOptions {
  /** Folder for data and logs; default a new folder under the system's temp dir. */
  dir?: string;
  /** The pid whose exit stops every server; default this process. */
  ownerPid?: number;
  /** Run kube-controller-manager; default true. */
  controllerManager?: boolean;
}

export class TestEnvironment {
  private constructor(
    readonly info: TestEnvInfo,
    readonly controlPlane: ControlPlane,
    private readonly redis: RedisServer,
    private readonly postgres: PostgresServer,
    private readonly ownsDir: boolean,
  ) {}

  static async start(options: StartOptions = {}): Promise<TestEnvironment> {
    const ownsDir = options.dir === undefined;
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), "busca-ativa-testenv-"));
    // The three servers start in parallel; if one fails, the others are stopped before rethrowing.
    const started = await Promise.allSettled([
      ControlPlane.start({ dir, ownerPid: options.ownerPid, controllerManager: options.controllerManager }),
      RedisServer.start(dir, options.ownerPid),
      PostgresServer.start(dir, options.ownerPid),
    ]);
    const [plane, redis, postgres] = started;
    if (plane.status === "rejected" || redis.status === "rejected" || postgres.status === "rejected") {
      await Promise.all(started.map((s) => (s.status === "fulfilled" ? s.value.stop() : undefined)));
      const reasons = started.flatMap((s) => (s.status === "rejected" ? [String(s.reason)] : []));
      throw new Error(`The test environment did not start (files kept in ${dir}):\n${reasons.join("\n")}`);
    }
    const info: TestEnvInfo = {
      dir,
      kubeconfig: plane.value.info.adminKubeconfig,
      apiServer: plane.value.info.server,
      caFile: plane.value.info.caFile,
      pki: plane.value.access.pki,
      redisUrl: redis.value.url,
      databaseUrl: postgres.value.url,
    };
    return new TestEnvironment(info, plane.value, redis.value, postgres.value, ownsDir);
  }

  /** Shell lines that export the variables the product and its tools read. */
  envScript(): string {
    return [
      `export KUBECONFIG=${JSON.stringify(this.info.kubeconfig)}`,
      `export REDIS_URL=${JSON.stringify(this.info.redisUrl)}`,
      `export DATABASE_URL=${JSON.stringify(this.info.databaseUrl)}`,
      "",
    ].join("\n");
  }

  async stop(options: { keepFiles?: boolean } = {}): Promise<void> {
    await Promise.all([this.controlPlane.stop(), this.redis.stop(), this.postgres.stop()]);
    if (this.ownsDir && !options.keepFiles) rmSync(this.info.dir, { recursive: true, force: true });
  }
}
