/**
 * Per-test isolation on the shared environment: a fresh namespace, a Redis key prefix, a fresh
 * database. Each helper registers its own cleanup with the running test or suite.
 */
import { randomBytes } from "node:crypto";
import { inject, onTestFinished } from "vitest";
import * as k8s from "@kubernetes/client-node";
import pg from "pg";
import type { TestEnvInfo } from "./environment.js";
import * as identities from "./identities.js";
import type { ClusterAccess } from "./identities.js";

export function testEnv(): TestEnvInfo {
  const env = inject("testEnv");
  if (!env) throw new Error("The test environment was not started (TESTENV=off?): this test needs it");
  return env;
}

/** A short random suffix, valid in Kubernetes names, Redis keys and database names. */
export function uniqueSuffix(): string {
  return randomBytes(4).toString("hex");
}

function access(): ClusterAccess {
  const env = testEnv();
  return { apiServer: env.apiServer, dir: env.dir, pki: env.pki, kubeconfig: env.kubeconfig };
}

/** A kubeconfig file acting as `user` in `groups` (client certificate), for RBAC tests. */
export function kubeconfigForUser(user: string, groups: string[] = []): string {
  return identities.kubeconfigForUser(access(), user, groups);
}

/** A kubeconfig file acting as an existing ServiceAccount (TokenRequest token), for RBAC tests. */
export function kubeconfigForServiceAccount(namespace: string, name: string): Promise<string> {
  return identities.kubeconfigForServiceAccount(access(), namespace, name);
}

export function adminKubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(testEnv().kubeconfig);
  return kc;
}

export function kubeConfigFromFile(path: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

/** Registers cleanup with the current test when inside one, else returns it for the caller. */
function cleanupLater(fn: () => Promise<void>): void {
  try {
    onTestFinished(fn);
  } catch {
    // Outside a test (beforeAll): the caller owns cleanup through the returned handle.
  }
}

export interface Disposable<T> {
  value: T;
  dispose: () => Promise<void>;
}

/** Creates a namespace `t-<prefix>-<random>`; deleted when the test finishes. */
export async function freshNamespace(prefix = "ns"): Promise<Disposable<string>> {
  const name = `t-${prefix}-${uniqueSuffix()}`.slice(0, 63);
  const core = adminKubeConfig().makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name, labels: { "buscaativa.io/test": "true" } } } });
  const dispose = async () => {
    await core.deleteNamespace({ name }).catch(() => undefined);
  };
  cleanupLater(dispose);
  return { value: name, dispose };
}

/** A Redis key prefix unique to this test (for BullMQ's `prefix` option). */
export function redisPrefix(name = "t"): string {
  return `${name}-${uniqueSuffix()}`;
}

/** Creates an empty database and returns its URL; dropped when the test finishes. */
export async function freshDatabase(options: { template?: string } = {}): Promise<Disposable<string>> {
  const adminUrl = testEnv().databaseUrl;
  const name = `t_${uniqueSuffix()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const template = options.template ? ` TEMPLATE ${quoteIdent(options.template)}` : "";
    await admin.query(`CREATE DATABASE ${quoteIdent(name)}${template}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const dispose = async () => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    } finally {
      await client.end();
    }
  };
  cleanupLater(dispose);
  return { value: url.toString(), dispose };
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
