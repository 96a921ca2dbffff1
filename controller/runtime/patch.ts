/**
 * Writing to the API server the safe way:
 * - custom resources: JSON merge patch (`application/merge-patch+json`), set explicitly, because
 *   client-node's generated patch calls default to JSON Patch and strategic merge does not exist for
 *   custom resources (it fails with 415);
 * - objects the controller owns (CronJobs...): server-side apply (`application/apply-patch+yaml`; the
 *   JSON body is valid YAML) with a field manager;
 * - read-modify-write under optimistic concurrency (`metadata.resourceVersion` in the patch) with
 *   `retryOnConflict`, for finalizers.
 */
import {
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { isConflict, isNotFound } from "./api-errors.js";

/** Which custom object: its API group, version, plural resource name, namespace and name. */
export interface CustomObjectRef {
  group: string;
  version: string;
  plural: string;
  namespace: string;
  name: string;
}

/** A KubeConfig (an API client is made for it) or a ready CustomObjectsApi. */
export type CustomObjectsClient = KubeConfig | CustomObjectsApi;

export interface MergePatchOptions {
  /** Recorded in managedFields; default "busca-ativa-controller". */
  fieldManager?: string;
  /**
   * Optimistic concurrency: the patch only applies if the object still has this resourceVersion,
   * otherwise the API server answers 409 Conflict (retry with `retryOnConflict`).
   */
  resourceVersion?: string;
}

export const DEFAULT_FIELD_MANAGER = "busca-ativa-controller";

const mergePatchHeader = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

function customObjectsApi(client: CustomObjectsClient): CustomObjectsApi {
  return client instanceof KubeConfig ? client.makeApiClient(CustomObjectsApi) : client;
}

function withResourceVersion(patch: Record<string, unknown>, resourceVersion: string | undefined) {
  if (resourceVersion === undefined) return patch;
  const metadata = (patch.metadata ?? {}) as Record<string, unknown>;
  return { ...patch, metadata: { ...metadata, resourceVersion } };
}

/** JSON merge patch (RFC 7386) of a custom object: objects merge, arrays and scalars replace, null deletes. */
export async function mergePatch<T = KubernetesObject>(
  client: CustomObjectsClient,
  ref: CustomObjectRef,
  patch: Record<string, unknown>,
  options: MergePatchOptions = {},
): Promise<T> {
  return (await customObjectsApi(client).patchNamespacedCustomObject(
    {
      ...ref,
      body: withResourceVersion(patch, options.resourceVersion),
      fieldManager: options.fieldManager ?? DEFAULT_FIELD_MANAGER,
    },
    mergePatchHeader,
  )) as T;
}

/**
 * JSON merge patch of a custom object's `/status` subresource with `{ status: statusPatch }`. Only the
 * fields given change; conditions are a list, so pass the whole list (see conditions.ts).
 */
export async function mergePatchStatus<T = KubernetesObject>(
  client: CustomObjectsClient,
  ref: CustomObjectRef,
  statusPatch: Record<string, unknown>,
  options: MergePatchOptions = {},
): Promise<T> {
  return (await customObjectsApi(client).patchNamespacedCustomObjectStatus(
    {
      ...ref,
      body: withResourceVersion({ status: statusPatch }, options.resourceVersion),
      fieldManager: options.fieldManager ?? DEFAULT_FIELD_MANAGER,
    },
    mergePatchHeader,
  )) as T;
}

const objectApis = new WeakMap<KubeConfig, KubernetesObjectApi>();

/**
 * Server-side apply of `obj` (a complete intent: apiVersion, kind, metadata.name/namespace and every
 * field this manager owns; no resourceVersion, no managedFields). Creates it when missing, updates the
 * fields `fieldManager` owns, and with `force` (the default for controllers) takes over fields another
 * manager set. Works for built-in and custom kinds (the resource is found through discovery, cached).
 */
export async function applyObject<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  obj: T,
  fieldManager = DEFAULT_FIELD_MANAGER,
  force = true,
): Promise<T> {
  let api = objectApis.get(kubeConfig);
  if (!api) {
    api = KubernetesObjectApi.makeApiClient(kubeConfig);
    objectApis.set(kubeConfig, api);
  }
  return (await api.patch(
    obj,
    undefined,
    undefined,
    fieldManager,
    force,
    PatchStrategy.ServerSideApply,
  )) as T;
}

export interface RetryOnConflictOptions {
  /** Pause between attempts, with ±10 % jitter; default 10 ms (client-go's DefaultRetry). */
  delayMs?: number;
}

/**
 * Runs `fn` again (up to `attempts` times in all, default 5) while it fails with 409 Conflict; `fn`
 * must re-read the object each time. Any other error, or the last conflict, is thrown.
 */
export async function retryOnConflict<T>(
  fn: (attempt: number) => Promise<T>,
  attempts = 5,
  options: RetryOnConflictOptions = {},
): Promise<T> {
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new RangeError(`retryOnConflict: attempts must be a whole number of at least 1 (got ${attempts})`);
  }
  const delayMs = options.delayMs ?? 10;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!isConflict(err) || attempt >= attempts) throw err;
      const jittered = delayMs * (0.9 + Math.random() * 0.2);
      await new Promise((resolve) => setTimeout(resolve, jittered));
    }
  }
}

export function hasFinalizer(obj: KubernetesObject, finalizer: string): boolean {
  return obj.metadata?.finalizers?.includes(finalizer) ?? false;
}

async function readCustomObject(
  client: CustomObjectsClient,
  ref: CustomObjectRef,
): Promise<KubernetesObject> {
  return (await customObjectsApi(client).getNamespacedCustomObject(ref)) as KubernetesObject;
}

/**
 * Adds `finalizer` to a custom object unless present. Reads the object, writes the new list guarded by
 * its resourceVersion, retries on conflict. Returns true when it changed the object.
 */
export async function addFinalizer(
  client: CustomObjectsClient,
  ref: CustomObjectRef,
  finalizer: string,
  options: { fieldManager?: string; attempts?: number } = {},
): Promise<boolean> {
  return retryOnConflict(async () => {
    const current = await readCustomObject(client, ref);
    if (hasFinalizer(current, finalizer)) return false;
    if (current.metadata?.deletionTimestamp) return false; // the API server forbids new finalizers now
    const finalizers = [...(current.metadata?.finalizers ?? []), finalizer];
    await mergePatch(
      client,
      ref,
      { metadata: { finalizers } },
      {
        resourceVersion: current.metadata?.resourceVersion,
        fieldManager: options.fieldManager,
      },
    );
    return true;
  }, options.attempts ?? 5);
}

/**
 * Removes `finalizer` from a custom object if present (after its cleanup ran). Same concurrency
 * guard. Returns true when it changed the object; false when absent or the object is already gone.
 */
export async function removeFinalizer(
  client: CustomObjectsClient,
  ref: CustomObjectRef,
  finalizer: string,
  options: { fieldManager?: string; attempts?: number } = {},
): Promise<boolean> {
  return retryOnConflict(async () => {
    let current: KubernetesObject;
    try {
      current = await readCustomObject(client, ref);
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
    if (!hasFinalizer(current, finalizer)) return false;
    const finalizers = (current.metadata?.finalizers ?? []).filter((f) => f !== finalizer);
    try {
      await mergePatch(
        client,
        ref,
        { metadata: { finalizers } },
        {
          resourceVersion: current.metadata?.resourceVersion,
          fieldManager: options.fieldManager,
        },
      );
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
    return true;
  }, options.attempts ?? 5);
}
