/**
 * One connection pool per API server and identity for the generated API clients of
 * @kubernetes/client-node.
 *
 * client-node 2.0.1 caches the https.Agent it gives watches, but `KubeConfig.applySecurityAuthentication`
 * (every call of a client from `makeApiClient`) builds a new undici Agent each time. So every API call
 * opens a new TLS connection with a full handshake, and the old connection lingers until the agent is
 * garbage-collected: about 11 ms of client CPU per call, as much again in kube-apiserver, one extra
 * connection per call and memory that grows with the call rate (bench/results/controller-scale.md).
 *
 * `shareDispatchers(kc)` makes that KubeConfig reuse one dispatcher per set of TLS options (the CA, client
 * certificate and key, server name). The options are read from their files on every call as before, so a
 * rotated certificate gets a new dispatcher; the one it replaces is closed once its requests finish.
 */
import { createHash } from "node:crypto";
import type { KubeConfig } from "@kubernetes/client-node";

type CreateDispatcher = (
  this: KubeConfig,
  cluster: unknown,
  agentOptions: Record<string, unknown>,
) => unknown;
/** The private method this replaces (client-node 2.0.1 `KubeConfig.createDispatcher`). */
interface Patchable {
  createDispatcher?: CreateDispatcher;
  [SHARED]?: true;
}

const SHARED = Symbol("busca-ativa.sharedDispatchers");
/** Dispatchers kept per KubeConfig: more than one only while credentials rotate. */
const KEEP = 4;
const TLS_FIELDS = ["ca", "cert", "key", "pfx", "passphrase", "servername", "rejectUnauthorized"] as const;

/** Makes `kc`'s API clients share connections; returns `kc`. Safe to call twice. */
export function shareDispatchers(kc: KubeConfig): KubeConfig {
  const target = kc as unknown as Patchable;
  const original = target.createDispatcher;
  if (typeof original !== "function" || target[SHARED]) return kc;
  const cache = new Map<string, unknown>();
  target.createDispatcher = function (
    this: KubeConfig,
    cluster: unknown,
    agentOptions: Record<string, unknown>,
  ) {
    const key = dispatcherKey(cluster, agentOptions);
    if (cache.has(key)) return cache.get(key);
    const dispatcher = original.call(this, cluster, agentOptions);
    cache.set(key, dispatcher);
    if (cache.size > KEEP) {
      const [oldestKey, oldest] = cache.entries().next().value as [string, unknown];
      cache.delete(oldestKey);
      void (oldest as { close?: () => Promise<void> } | undefined)?.close?.().catch(() => undefined);
    }
    return dispatcher;
  };
  target[SHARED] = true;
  return kc;
}

/** What makes two dispatchers interchangeable: the cluster's endpoint and proxy, and the TLS options. */
export function dispatcherKey(cluster: unknown, agentOptions: Record<string, unknown>): string {
  const c = (cluster ?? {}) as { name?: string; server?: string; proxyUrl?: string };
  const hash = createHash("sha256").update(JSON.stringify([c.name, c.server, c.proxyUrl]));
  for (const field of TLS_FIELDS) {
    const value = agentOptions[field];
    hash.update(`\0${field}=`);
    if (value === undefined || value === null) hash.update("-");
    else if (Buffer.isBuffer(value) || typeof value === "string") hash.update(value);
    else hash.update(JSON.stringify(value));
  }
  return hash.digest("hex");
}
