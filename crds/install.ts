/**
 * Installs (or updates) the CRDs from the generated YAML through the API server, and waits until they
 * are served. Idempotent and safe to run from several processes at once: an unchanged CRD is left
 * alone, a changed one is replaced at its current resourceVersion (retried on conflict).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { ApiException, ApiextensionsV1Api, loadYaml } from "@kubernetes/client-node";
import type { KubeConfig, V1CustomResourceDefinition } from "@kubernetes/client-node";
import { CAMPAIGN_NAMES, FOLLOW_UP_SCHEDULE_NAMES } from "./constants.js";

/**
 * The generated CRD files: next to this module when run from source (crds/), or in the repository's
 * crds/ folder when run from the build (dist/crds/).
 */
export const CRD_FILES: readonly URL[] = [CAMPAIGN_NAMES, FOLLOW_UP_SCHEDULE_NAMES].map((names) => {
  const beside = new URL(`./${names.crdName}.yaml`, import.meta.url);
  const fromBuild = new URL(`../../crds/${names.crdName}.yaml`, import.meta.url);
  return existsSync(beside) || !existsSync(fromBuild) ? beside : fromBuild;
});

/** Annotation holding a hash of the installed spec, so an unchanged CRD is not rewritten. */
export const CRD_HASH_ANNOTATION = "buscaativa.io/crd-spec-hash";

export interface InstallOptions {
  /** How long to wait for each CRD to be established; default 30 s. */
  timeoutMs?: number;
}

export function loadCrdManifests(files: readonly URL[] = CRD_FILES): V1CustomResourceDefinition[] {
  return files.map((file) => {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      throw new Error(`The CRD file ${file.pathname} is missing: run \`npm run generate\``, { cause: err });
    }
    // Through client-node's model: its API methods serialise only the model's own property names
    // (`x_kubernetes_validations`, `_default`), so plain JSON would lose those fields.
    return loadYaml<V1CustomResourceDefinition>(text);
  });
}

export async function installCrds(kc: KubeConfig, options: InstallOptions = {}): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const crds = loadCrdManifests();
  for (const crd of crds) await applyCrd(api, crd);
  for (const crd of crds)
    await waitUntilEstablished(api, crd.metadata?.name ?? "", options.timeoutMs ?? 30_000);
}

function specHash(crd: V1CustomResourceDefinition): string {
  return createHash("sha256").update(JSON.stringify(crd.spec)).digest("hex").slice(0, 32);
}

async function applyCrd(api: ApiextensionsV1Api, manifest: V1CustomResourceDefinition): Promise<void> {
  const name = manifest.metadata?.name ?? "";
  const hash = specHash(manifest);
  const body: V1CustomResourceDefinition = {
    ...manifest,
    metadata: {
      ...manifest.metadata,
      annotations: { ...manifest.metadata?.annotations, [CRD_HASH_ANNOTATION]: hash },
    },
  };
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      await api.createCustomResourceDefinition({ body });
      return;
    } catch (err) {
      if (statusCode(err) !== 409) throw installError(name, err);
    }
    const existing = await api.readCustomResourceDefinition({ name });
    if (existing.metadata?.annotations?.[CRD_HASH_ANNOTATION] === hash) return;
    try {
      await api.replaceCustomResourceDefinition({
        name,
        body: {
          ...body,
          metadata: { ...body.metadata, resourceVersion: existing.metadata?.resourceVersion },
        },
      });
      return;
    } catch (err) {
      // 409: someone else changed it between our read and write (or deleted it): read again and retry.
      if (statusCode(err) !== 409 && statusCode(err) !== 404) throw installError(name, err);
    }
  }
  throw new Error(`Could not install the CRD ${name}: it kept changing under concurrent updates; try again`);
}

async function waitUntilEstablished(api: ApiextensionsV1Api, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const crd = await api.readCustomResourceDefinition({ name });
    const conditions = crd.status?.conditions ?? [];
    const isTrue = (type: string) => conditions.some((c) => c.type === type && c.status === "True");
    if (isTrue("Established") && isTrue("NamesAccepted")) return;
    if (Date.now() >= deadline) {
      const summary = conditions.map((c) => `${c.type}=${c.status} (${c.reason ?? ""}: ${c.message ?? ""})`);
      throw new Error(`The CRD ${name} was not established within ${timeoutMs} ms: ${summary.join("; ")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function statusCode(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

function installError(name: string, err: unknown): Error {
  const code = statusCode(err);
  const hint =
    code === 403
      ? "the credentials lack permission to manage customresourcedefinitions (a cluster administrator must install them)"
      : code === 422
        ? "the API server refused the CRD schema; regenerate it with `npm run generate` and check the message"
        : "see the cause";
  const detail = err instanceof ApiException ? ` The API server said: ${statusMessage(err.body)}` : "";
  return new Error(`Installing the CRD ${name} failed (HTTP ${code ?? "?"}): ${hint}.${detail}`, {
    cause: err,
  });
}

/** The `message` of a Kubernetes Status body, or the body itself. */
export function statusMessage(body: unknown): string {
  if (typeof body === "string") {
    try {
      return statusMessage(JSON.parse(body));
    } catch {
      return body.slice(0, 2000);
    }
  }
  if (body && typeof body === "object" && typeof (body as { message?: unknown }).message === "string") {
    return (body as { message: string }).message;
  }
  return String(body).slice(0, 2000);
}
