/**
 * Provider credentials from a Kubernetes Secret. The keys are documented in docs/providers.md:
 * - `provider` (optional when the caller says which): `evolution`, `meta-cloud` or `sandbox`;
 * - evolution and sandbox: `apiKey`, at least one of `webhookToken`, `webhookJwtKey`, and optionally
 *   `baseUrl` (a Campaign's `spec.sender.baseUrl` takes precedence);
 * - meta-cloud: `accessToken`, `appSecret`, `verifyToken`, and optionally `graphBaseUrl`, `apiVersion`.
 */
import * as k8s from "@kubernetes/client-node";
import { AppError } from "../../lib/errors.js";
import type { ProviderType } from "./types.js";

export interface EvolutionCredentials {
  /** Optional here: the Campaign's `spec.sender.baseUrl` usually gives it. */
  baseUrl?: string;
  apiKey: string;
  webhookToken?: string;
  webhookJwtKey?: string;
}

export interface MetaCredentials {
  accessToken: string;
  appSecret: string;
  verifyToken: string;
  graphBaseUrl?: string;
  apiVersion?: string;
}

export type ProviderCredentials =
  | { type: "evolution" | "sandbox"; credentials: EvolutionCredentials }
  | { type: "meta-cloud"; credentials: MetaCredentials };

const PROVIDER_TYPES: readonly ProviderType[] = ["evolution", "meta-cloud", "sandbox"];

export const CREDENTIAL_KEYS = {
  evolution: { required: ["apiKey"], optional: ["baseUrl", "webhookToken", "webhookJwtKey"] },
  "meta-cloud": {
    required: ["accessToken", "appSecret", "verifyToken"],
    optional: ["graphBaseUrl", "apiVersion"],
  },
} as const;

export async function loadProviderCredentials(
  kc: k8s.KubeConfig,
  namespace: string,
  secretName: string,
  type?: ProviderType,
): Promise<ProviderCredentials> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  let secret: k8s.V1Secret;
  try {
    secret = await core.readNamespacedSecret({ name: secretName, namespace });
  } catch (err) {
    const status = (err as { code?: unknown }).code;
    if (status === 404) {
      throw new AppError(
        "PROVIDER_SECRET_NOT_FOUND",
        `The provider Secret ${namespace}/${secretName} does not exist; create it with the keys listed in docs/providers.md`,
        { namespace, secretName },
      );
    }
    throw new AppError(
      "PROVIDER_SECRET_UNREADABLE",
      `The provider Secret ${namespace}/${secretName} could not be read (HTTP ${String(status ?? "?")}); check that this service account may get Secrets in ${namespace}`,
      { namespace, secretName, status },
      { cause: err },
    );
  }
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(secret.data ?? {}))
    data[key] = Buffer.from(value, "base64").toString("utf8");
  return credentialsFromSecretData(data, `${namespace}/${secretName}`, type);
}

/** Validates decoded Secret data; every error names the Secret and the missing or bad key. */
export function credentialsFromSecretData(
  data: Record<string, string>,
  secretRef: string,
  type?: ProviderType,
): ProviderCredentials {
  const declared = data.provider?.trim();
  if (declared !== undefined && !PROVIDER_TYPES.includes(declared as ProviderType)) {
    throw credentialError(
      secretRef,
      `its key provider is "${declared}"; expected one of ${PROVIDER_TYPES.join(", ")}`,
    );
  }
  if (type && declared && declared !== type) {
    throw credentialError(
      secretRef,
      `its key provider says "${declared}" but it is used for a ${type} provider`,
    );
  }
  const resolved = type ?? (declared as ProviderType | undefined);
  if (!resolved) {
    throw credentialError(secretRef, `it has no key provider; set it to one of ${PROVIDER_TYPES.join(", ")}`);
  }
  const keys = CREDENTIAL_KEYS[resolved === "sandbox" ? "evolution" : resolved];
  const value = (key: string) => {
    const v = data[key]?.trim();
    return v ? v : undefined;
  };
  const missing = keys.required.filter((key) => value(key) === undefined);
  if (missing.length > 0) {
    throw credentialError(
      secretRef,
      `it has no ${missing.map((k) => `key ${k}`).join(", no ")} (needed for provider ${resolved})`,
    );
  }
  const urlKey = resolved === "meta-cloud" ? "graphBaseUrl" : "baseUrl";
  const url = value(urlKey);
  if (url !== undefined && !/^https?:\/\/[^\s]+$/.test(url)) {
    throw credentialError(secretRef, `its key ${urlKey} is not an http(s) URL`);
  }
  if (resolved === "meta-cloud") {
    return {
      type: resolved,
      credentials: {
        accessToken: value("accessToken")!,
        appSecret: value("appSecret")!,
        verifyToken: value("verifyToken")!,
        graphBaseUrl: value("graphBaseUrl"),
        apiVersion: value("apiVersion"),
      },
    };
  }
  if (value("webhookToken") === undefined && value("webhookJwtKey") === undefined) {
    throw credentialError(
      secretRef,
      "it has neither key webhookToken nor key webhookJwtKey; set at least one so webhooks can be authenticated",
    );
  }
  return {
    type: resolved,
    credentials: {
      baseUrl: value("baseUrl"),
      apiKey: value("apiKey")!,
      webhookToken: value("webhookToken"),
      webhookJwtKey: value("webhookJwtKey"),
    },
  };
}

function credentialError(secretRef: string, problem: string): AppError {
  return new AppError(
    "PROVIDER_CREDENTIALS_INVALID",
    `The provider Secret ${secretRef} is not usable: ${problem}`,
    { secretRef },
  );
}
