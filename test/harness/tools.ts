/**
 * Where the test environment finds its binaries.
 *
 * etcd, kube-apiserver, kube-controller-manager and kubectl: `KUBEBUILDER_ASSETS` when it names a folder
 * that holds them (the kubebuilder envtest convention, with TEST_ASSET_* per binary), else `.tools/bin`
 * as filled by `hack/install-tools.sh`. Redis and PostgreSQL come from the system's packages.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const TOOLS_BIN = join(REPO_ROOT, ".tools", "bin");

const ASSET_VARIABLES: Record<string, string> = {
  etcd: "TEST_ASSET_ETCD",
  "kube-apiserver": "TEST_ASSET_KUBE_APISERVER",
  kubectl: "TEST_ASSET_KUBECTL",
  "kube-controller-manager": "TEST_ASSET_KUBE_CONTROLLER_MANAGER",
};

/** Path to a Kubernetes tool, or an error that says how to get it. */
export function kubeTool(
  name: "etcd" | "kube-apiserver" | "kube-controller-manager" | "kubectl" | "helm",
): string {
  const variable = ASSET_VARIABLES[name];
  const explicit = variable ? process.env[variable] : undefined;
  if (explicit && existsSync(explicit)) return explicit;
  const assets = process.env.KUBEBUILDER_ASSETS;
  if (assets && existsSync(join(assets, name))) return join(assets, name);
  const local = join(TOOLS_BIN, name);
  if (existsSync(local)) return local;
  throw new Error(`${name} not found in KUBEBUILDER_ASSETS or ${TOOLS_BIN}: run \`npm run tools\` first`);
}

export function hasKubeTool(name: Parameters<typeof kubeTool>[0]): boolean {
  try {
    kubeTool(name);
    return true;
  } catch {
    return false;
  }
}

export function redisServer(): string {
  for (const candidate of ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error("redis-server not found: run `npm run tools` (installs Debian's redis-server)");
}

/** The newest PostgreSQL server's bin folder, e.g. /usr/lib/postgresql/15/bin. */
export function postgresBin(): string {
  const base = "/usr/lib/postgresql";
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => existsSync(join(base, v, "bin", "postgres")))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(base, versions[0], "bin");
  }
  throw new Error("PostgreSQL server not found: run `npm run tools` (installs Debian's postgresql)");
}
