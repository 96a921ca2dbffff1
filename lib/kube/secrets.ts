/** Reading a Secret's data as text. `get` only: no component lists or watches Secrets. */
import * as k8s from "@kubernetes/client-node";
import { AppError } from "../errors.js";

export async function readSecretData(
  kc: k8s.KubeConfig,
  namespace: string,
  name: string,
): Promise<Record<string, string>> {
  let secret: k8s.V1Secret;
  try {
    secret = await kc.makeApiClient(k8s.CoreV1Api).readNamespacedSecret({ name, namespace });
  } catch (err) {
    const status = err instanceof k8s.ApiException ? err.code : undefined;
    if (status === 404) {
      throw new AppError("SECRET_NOT_FOUND", `The Secret ${namespace}/${name} does not exist`, {
        namespace,
        name,
      });
    }
    throw new AppError(
      "SECRET_UNREADABLE",
      `The Secret ${namespace}/${name} could not be read (HTTP ${status ?? "?"}); check that this service account may get Secrets in ${namespace}`,
      { namespace, name, status },
      { cause: err },
    );
  }
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(secret.data ?? {}))
    data[key] = Buffer.from(value, "base64").toString("utf8");
  for (const [key, value] of Object.entries(secret.stringData ?? {})) data[key] = value;
  return data;
}

/** One key of a Secret or ConfigMap as raw bytes (a spreadsheet is binary). */
export async function readKeyBytes(
  kc: k8s.KubeConfig,
  kind: "Secret" | "ConfigMap",
  namespace: string,
  name: string,
  key: string,
): Promise<Buffer> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  try {
    if (kind === "Secret") {
      const secret = await core.readNamespacedSecret({ name, namespace });
      const value = secret.data?.[key];
      if (value !== undefined) return Buffer.from(value, "base64");
    } else {
      const map = await core.readNamespacedConfigMap({ name, namespace });
      const binary = map.binaryData?.[key];
      if (binary !== undefined) return Buffer.from(binary, "base64");
      const text = map.data?.[key];
      if (text !== undefined) return Buffer.from(text, "utf8");
    }
  } catch (err) {
    const status = err instanceof k8s.ApiException ? err.code : undefined;
    throw new AppError(
      status === 404 ? `${kind.toUpperCase()}_NOT_FOUND` : `${kind.toUpperCase()}_UNREADABLE`,
      status === 404
        ? `The ${kind} ${namespace}/${name} does not exist`
        : `The ${kind} ${namespace}/${name} could not be read (HTTP ${status ?? "?"})`,
      { namespace, name, status },
      { cause: err },
    );
  }
  throw new AppError(
    `${kind.toUpperCase()}_KEY_MISSING`,
    `The ${kind} ${namespace}/${name} has no key "${key}"`,
    {
      namespace,
      name,
      key,
    },
  );
}
