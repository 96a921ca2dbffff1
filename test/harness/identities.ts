/**
 * Kubeconfigs for identities in the test cluster: the admin, any user (a client certificate signed by
 * the cluster CA: the user is its CN, its groups the O fields, as in a real cluster) and any
 * ServiceAccount (a token from the TokenRequest API). Used to prove RBAC.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Agent, request } from "node:https";
import { clientCertificate, type Pki } from "./pki.js";

/** What is needed to mint identities; part of the environment's info. */
export interface ClusterAccess {
  apiServer: string;
  dir: string;
  pki: Pki;
  kubeconfig: string;
}

export type Credentials = { cert: string; key: string } | { token: string };

export function kubeconfigYaml(
  server: string,
  caFile: string,
  user: string,
  credentials: Credentials,
): string {
  const ca = readFileSync(caFile).toString("base64");
  const userBlock =
    "token" in credentials
      ? `    token: ${credentials.token}`
      : `    client-certificate-data: ${Buffer.from(credentials.cert).toString("base64")}\n` +
        `    client-key-data: ${Buffer.from(credentials.key).toString("base64")}`;
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: test",
    "  cluster:",
    `    server: ${server}`,
    `    certificate-authority-data: ${ca}`,
    "users:",
    `- name: ${JSON.stringify(user)}`,
    "  user:",
    userBlock,
    "contexts:",
    "- name: test",
    "  context:",
    "    cluster: test",
    `    user: ${JSON.stringify(user)}`,
    "current-context: test",
    "",
  ].join("\n");
}

function uniqueFile(access: ClusterAccess, prefix: string): string {
  const safe = prefix.replace(/[^a-zA-Z0-9-]/g, "_");
  return join(access.dir, `${safe}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.kubeconfig`);
}

/** A kubeconfig file acting as `user` in `groups`. */
export function kubeconfigForUser(access: ClusterAccess, user: string, groups: string[] = []): string {
  const path = uniqueFile(access, `user-${user}`);
  writeFileSync(
    path,
    kubeconfigYaml(access.apiServer, access.pki.caCert, user, clientCertificate(access.pki, user, groups)),
  );
  return path;
}

/** An HTTPS agent that authenticates as the cluster admin. */
export function adminAgent(access: ClusterAccess): Agent {
  const yaml = readFileSync(access.kubeconfig, "utf8");
  const cert = Buffer.from(/client-certificate-data: (\S+)/.exec(yaml)![1]!, "base64");
  const key = Buffer.from(/client-key-data: (\S+)/.exec(yaml)![1]!, "base64");
  return new Agent({ ca: readFileSync(access.pki.caCert), cert, key });
}

/** A kubeconfig file acting as a ServiceAccount (which must exist), with a TokenRequest token. */
export async function kubeconfigForServiceAccount(
  access: ClusterAccess,
  namespace: string,
  name: string,
  expirationSeconds = 3600,
): Promise<string> {
  const agent = adminAgent(access);
  try {
    const body = JSON.stringify({
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: { expirationSeconds },
    });
    const token = await new Promise<string>((resolve, reject) => {
      const req = request(
        `${access.apiServer}/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
        { method: "POST", agent, headers: { "content-type": "application/json" } },
        (res) => {
          let data = "";
          res.on("data", (c: Buffer) => (data += c.toString()));
          res.on("end", () => {
            if (res.statusCode !== 201) {
              reject(
                new Error(`TokenRequest for ${namespace}/${name} failed with ${res.statusCode}: ${data}`),
              );
              return;
            }
            resolve((JSON.parse(data) as { status: { token: string } }).status.token);
          });
        },
      );
      req.on("error", reject);
      req.end(body);
    });
    const path = uniqueFile(access, `sa-${namespace}-${name}`);
    writeFileSync(
      path,
      kubeconfigYaml(access.apiServer, access.pki.caCert, `system:serviceaccount:${namespace}:${name}`, {
        token,
      }),
    );
    return path;
  } finally {
    agent.destroy();
  }
}
