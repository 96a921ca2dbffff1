/**
 * Which keys a Secret or ConfigMap holds, through a short-lived cache. The controller checks a Campaign's
 * audience and credentials references on every reconcile; with 1,000 Campaigns that was two GETs per
 * reconcile, most of them of the same few Secrets. Only key names are kept, never a value: a Secret's
 * content does not stay in the controller's memory, and no list or watch of Secrets is needed (RBAC `get`
 * on Secrets, as before).
 *
 * - An object that exists is remembered for `ttlMs` (default 30 s): a key removed from it (or the object
 *   deleted) is noticed within that time.
 * - An object that does not exist is not remembered: the reconcile after its creation sees it.
 * - Concurrent asks for the same object share one GET.
 * - Any error other than 404 is thrown, uncached, for the caller's retry.
 */
import * as k8s from "@kubernetes/client-node";

export type KeyedKind = "Secret" | "ConfigMap";

export interface ObjectKeysCacheOptions {
  kubeConfig: k8s.KubeConfig;
  /** How long an existing object's keys are trusted; default 30,000 ms. 0: every ask is a GET. */
  ttlMs?: number;
  /** Objects remembered at most (the oldest are forgotten first); default 10,000. */
  maxEntries?: number;
  /** Milliseconds since the epoch; default Date.now. */
  now?: () => number;
}

interface Entry {
  keys: ReadonlySet<string>;
  expiresAt: number;
}

export class ObjectKeysCache {
  private readonly core: k8s.CoreV1Api;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<ReadonlySet<string> | undefined>>();

  constructor(options: ObjectKeysCacheOptions) {
    this.core = options.kubeConfig.makeApiClient(k8s.CoreV1Api);
    this.ttlMs = options.ttlMs ?? 30_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
    if (this.ttlMs < 0) throw new RangeError("ObjectKeysCache option ttlMs must be 0 or more");
    if (this.maxEntries < 1) throw new RangeError("ObjectKeysCache option maxEntries must be at least 1");
  }

  /** The object's keys (`data` and `binaryData`), or undefined when it does not exist. */
  async keys(kind: KeyedKind, namespace: string, name: string): Promise<ReadonlySet<string> | undefined> {
    const id = `${kind}/${namespace}/${name}`;
    const cached = this.entries.get(id);
    if (cached && cached.expiresAt > this.now()) return cached.keys;
    if (cached) this.entries.delete(id);
    let pending = this.inFlight.get(id);
    if (!pending) {
      pending = this.read(kind, namespace, name).finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, pending);
    }
    const keys = await pending;
    if (keys && this.ttlMs > 0 && !this.entries.has(id)) {
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(id, { keys, expiresAt: this.now() + this.ttlMs });
    }
    return keys;
  }

  /** Objects remembered now (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  private async read(
    kind: KeyedKind,
    namespace: string,
    name: string,
  ): Promise<ReadonlySet<string> | undefined> {
    try {
      if (kind === "Secret") {
        const secret = await this.core.readNamespacedSecret({ name, namespace });
        return new Set(Object.keys(secret.data ?? {}));
      }
      const map = await this.core.readNamespacedConfigMap({ name, namespace });
      return new Set([...Object.keys(map.data ?? {}), ...Object.keys(map.binaryData ?? {})]);
    } catch (err) {
      if (err instanceof k8s.ApiException && err.code === 404) return undefined;
      throw err;
    }
  }
}
