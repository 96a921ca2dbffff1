/**
 * The servers a benchmark runs against: the test harness's real kube-apiserver + etcd, Redis and
 * PostgreSQL (TestEnvironment, outside vitest), started by the benchmark and stopped at its end. With
 * `--env <file>` a benchmark reuses an environment kept running by `npx tsx bench/lib/bench-env.ts up
 * <file>` instead (handy while iterating; results should come from a fresh one).
 *
 * Also: databases with every migration applied, namespaces, and the pids whose CPU the benchmarks charge
 * to Redis, PostgreSQL and the API server.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import * as k8s from "@kubernetes/client-node";
import { Redis } from "ioredis";
import pg from "pg";
import { runMigrations } from "../../lib/db/migrate.js";
import { shareDispatchers } from "../../lib/kube/shared-dispatcher.js";
import { TestEnvironment, type TestEnvInfo } from "../../test/harness/environment.js";
import { findPids, postmasterPid, treeCpuSeconds } from "./proc.js";

export interface BenchEnvironment {
  info: TestEnvInfo;
  kc: k8s.KubeConfig;
  /** CPU seconds used so far by each server (PostgreSQL counts every backend). */
  cpu(): Promise<{ redis: number; postgres: number; apiserver: number; etcd: number }>;
  /** Pids of the servers, for memory readings. */
  pids: { postgres: number; apiserver: number; etcd: number };
  stop(): Promise<void>;
}

export async function startBenchEnvironment(
  options: { envFile?: string; controllerManager?: boolean } = {},
): Promise<BenchEnvironment> {
  let info: TestEnvInfo;
  let owned: TestEnvironment | undefined;
  if (options.envFile) {
    info = JSON.parse(readFileSync(options.envFile, "utf8")) as TestEnvInfo;
  } else {
    owned = await TestEnvironment.start({ controllerManager: options.controllerManager ?? false });
    info = owned.info;
  }
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(info.kubeconfig);
  shareDispatchers(kc);

  const admin = new pg.Client({ connectionString: info.databaseUrl });
  await admin.connect();
  const dataDirectory = (await admin.query<{ data_directory: string }>("SHOW data_directory")).rows[0]!
    .data_directory;
  await admin.end();
  const pids = {
    postgres: postmasterPid(dataDirectory),
    apiserver: findPids("kube-apiserver", info.dir)[0] ?? -1,
    etcd: findPids("etcd", info.dir)[0] ?? -1,
  };
  const redis = new Redis(info.redisUrl, { maxRetriesPerRequest: 1 });
  return {
    info,
    kc,
    pids,
    async cpu() {
      const text = await redis.info("cpu");
      const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, "m").exec(text)?.[1] ?? 0);
      return {
        redis: field("used_cpu_user") + field("used_cpu_sys"),
        postgres: treeCpuSeconds(pids.postgres),
        apiserver: treeCpuSeconds(pids.apiserver),
        etcd: treeCpuSeconds(pids.etcd),
      };
    },
    async stop() {
      redis.disconnect();
      await owned?.stop();
    },
  };
}

/** A new database on the environment's server with every migration applied; returns its URL. */
export async function createMigratedDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  await runMigrations(url.toString());
  return url.toString();
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
}

export async function createNamespace(kc: k8s.KubeConfig, name: string): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  try {
    await core.createNamespace({ body: { metadata: { name } } });
  } catch (err) {
    if (!(err instanceof k8s.ApiException && err.code === 409)) throw err;
  }
}

export async function putSecret(
  kc: k8s.KubeConfig,
  namespace: string,
  name: string,
  stringData: Record<string, string>,
): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  try {
    await core.deleteNamespacedSecret({ name, namespace });
  } catch (err) {
    if (!(err instanceof k8s.ApiException && err.code === 404)) throw err;
  }
  await core.createNamespacedSecret({ namespace, body: { metadata: { name }, stringData } });
}

// `npx tsx bench/lib/bench-env.ts up <file>`: keep an environment running for `--env <file>`, until SIGTERM.
if (process.argv[1] && pathToFileURL(resolve(process.argv[1])).href === import.meta.url) {
  const [command, file] = process.argv.slice(2);
  if (command !== "up" || !file) {
    console.error("usage: npx tsx bench/lib/bench-env.ts up <info-file>");
    process.exit(2);
  }
  if (existsSync(file)) rmSync(file);
  const env = await TestEnvironment.start({ controllerManager: false });
  writeFileSync(file, JSON.stringify(env.info, null, 2));
  console.log(`Environment up; info in ${file}`);
  const stop = () => void env.stop().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  setInterval(() => undefined, 1 << 30);
}
