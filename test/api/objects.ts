/** Helpers for the API tests: minimal valid objects and creating custom objects the way kubectl does. */
import {
  ApiException,
  CustomObjectsApi,
  HttpMethod,
  RequestContext,
  createConfiguration,
} from "@kubernetes/client-node";
import type { KubeConfig } from "@kubernetes/client-node";
import { API_VERSION, CAMPAIGN_KIND, FOLLOW_UP_SCHEDULE_KIND, GROUP, VERSION } from "../../crds/constants.js";
import { statusMessage } from "../../crds/install.js";

export type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [k: string]: unknown };
} & Record<string, unknown>;

/** The smallest Campaign the API accepts: a list in a Secret, a message, a sandbox sender. */
export function minimalCampaign(name = "minima"): Manifest {
  return {
    apiVersion: API_VERSION,
    kind: CAMPAIGN_KIND,
    metadata: { name },
    spec: {
      audience: { secretKeyRef: { name: "lista-pacientes", key: "pacientes.csv" } },
      message: {
        template: "Olá, {nome}! Você ainda aguarda o procedimento {procedimento}? Responda 1, 2 ou 3.",
      },
      sender: {
        provider: "sandbox",
        credentialsSecretRef: { name: "credenciais-sandbox" },
        instance: "central-agendamentos",
        baseUrl: "http://sandbox.busca-ativa.svc:8080",
      },
    },
  };
}

/** The smallest FollowUpSchedule: everything defaulted. */
export function minimalFollowUpSchedule(name = "lembretes"): Manifest {
  return { apiVersion: API_VERSION, kind: FOLLOW_UP_SCHEDULE_KIND, metadata: { name }, spec: {} };
}

export function pluralOf(kind: string): string {
  return `${kind.toLowerCase()}s`;
}

/** Creates a custom object with strict field validation (unknown fields are errors, as `kubectl apply` does). */
export async function createCustomObject(
  kc: KubeConfig,
  namespace: string,
  body: Manifest,
): Promise<Manifest> {
  const api = kc.makeApiClient(CustomObjectsApi);
  return (await api.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: pluralOf(body.kind),
    body,
    fieldValidation: "Strict",
  })) as Manifest;
}

export async function replaceCustomObject(
  kc: KubeConfig,
  namespace: string,
  body: Manifest,
): Promise<Manifest> {
  const api = kc.makeApiClient(CustomObjectsApi);
  return (await api.replaceNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: pluralOf(body.kind),
    name: body.metadata.name,
    body,
    fieldValidation: "Strict",
  })) as Manifest;
}

/** The API server's refusal: HTTP status and the Status message. */
export async function refusal(action: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await action;
  } catch (err) {
    if (err instanceof ApiException) return { code: err.code, message: statusMessage(err.body) };
    throw err;
  }
  throw new Error("The API server accepted the object, but it should have been refused");
}

/**
 * A deep copy of a manifest with values set at dotted paths ("spec.steps.0.final"); `undefined`
 * removes the field.
 */
export function withValues(manifest: Manifest, values: Record<string, unknown>): Manifest {
  const copy = structuredClone(manifest);
  for (const [path, value] of Object.entries(values)) setPath(copy, path.split("."), value);
  return copy;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  if (rest.length === 0) {
    if (value === undefined) delete target[head];
    else target[head] = value;
    return;
  }
  const next = target[head];
  if (typeof next !== "object" || next === null) {
    target[head] = /^[0-9]+$/.test(rest[0] ?? "") ? [] : {};
  }
  setPath(target[head] as Record<string, unknown>, rest, value);
}

/** GET a list as a server-side Table, the way kubectl asks for it (printer columns and cells). */
export async function getTable(
  kc: KubeConfig,
  path: string,
): Promise<{ columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] }> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("The kubeconfig has no current cluster");
  const ctx = new RequestContext(cluster.server + path, HttpMethod.GET);
  ctx.setHeaderParam("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io");
  await kc.applySecurityAuthentication(ctx);
  ctx.setSignal(AbortSignal.timeout(30_000));
  const response = await createConfiguration().httpApi.send(ctx).toPromise();
  const text = await response.body.text();
  if (response.httpStatusCode !== 200)
    throw new Error(`GET ${path} as Table: HTTP ${response.httpStatusCode} ${text}`);
  return JSON.parse(text);
}
