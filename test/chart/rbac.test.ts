/**
 * RBAC proven by the API server: for each ServiceAccount the chart creates, every permission the design
 * gives it is allowed and a list of sensitive permissions is denied (SubjectAccessReview for the SA's
 * identity, cross-checked once with a real token through `kubectl auth can-i`).
 * Needs the test environment: `npx vitest run test/chart/rbac.test.ts`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshNamespace, kubeconfigForServiceAccount } from "../harness/fixtures.js";
import { accesses, describeAccess, serviceAccountCan, type Access } from "./access.js";
import { kubectl, type K8sObject } from "./helm.js";
import { createHookObjects, installChart, type InstalledRelease } from "./release.js";

const OTHER = "team-x"; // a namespace the release knows nothing about (reviews need no real namespace)

/** Denied to every identity the chart creates. */
function sensitive(ns: string): Access[] {
  return [
    ...accesses("list,watch", "secrets", [ns, OTHER, ""]),
    ...accesses("create,update,patch,delete", "secrets", [ns, OTHER]),
    ...accesses("create", "pods", [ns, OTHER]),
    ...accesses("create", "pods/exec", [ns, OTHER]),
    ...accesses("create", "pods/attach", [ns]),
    ...accesses("create", "serviceaccounts/token", [ns, OTHER]),
    ...accesses("create,delete", "jobs.batch", [ns, OTHER]),
    ...accesses("create", "deployments.apps", [ns]),
    ...accesses("get,create", "nodes/proxy", [""]),
    ...accesses("escalate,bind", "clusterroles.rbac.authorization.k8s.io", [""]),
    ...accesses("escalate,bind", "roles.rbac.authorization.k8s.io", [ns]),
    ...accesses("create", "clusterrolebindings.rbac.authorization.k8s.io", [""]),
    ...accesses("create", "rolebindings.rbac.authorization.k8s.io", [ns, OTHER]),
    ...accesses("impersonate", "users", [""]),
    ...accesses("impersonate", "serviceaccounts", [ns]),
    ...accesses("impersonate", "groups", [""]),
    ...accesses("delete", "namespaces", [""]),
    ...accesses("create,update", "customresourcedefinitions.apiextensions.k8s.io", [""]),
    ...accesses("update,delete", "validatingadmissionpolicies.admissionregistration.k8s.io", [""]),
    ...accesses("delete", "validatingadmissionpolicybindings.admissionregistration.k8s.io", [""]),
    ...accesses("create", "campaigns.buscaativa.io", [ns]),
    ...accesses("delete", "campaigns.buscaativa.io", [ns]),
  ];
}

interface Identity {
  sa: string;
  /** Where the ServiceAccount lives; default the release namespace. */
  namespace?: string;
  allowed: Access[];
  denied: Access[];
}

function identities(release: string, ns: string, followupNs: string): Identity[] {
  const crds = "campaigns.buscaativa.io";
  const fus = "followupschedules.buscaativa.io";
  const everywhere = [ns, OTHER, ""];
  return [
    {
      sa: `${release}-busca-ativa-controller`,
      allowed: [
        ...accesses("get,list,watch,update,patch", crds, everywhere),
        ...accesses("get,list,watch,update,patch", fus, everywhere),
        ...accesses("get,update,patch", "campaigns/status.buscaativa.io", [OTHER]),
        ...accesses("get,update,patch", "followupschedules/status.buscaativa.io", [OTHER]),
        ...accesses("update", "campaigns/finalizers.buscaativa.io", [OTHER]),
        ...accesses("update", "followupschedules/finalizers.buscaativa.io", [OTHER]),
        ...accesses("get,list,watch,create,update,patch,delete", "cronjobs.batch", [OTHER]),
        ...accesses("get,list,watch", "jobs.batch", [OTHER, ""]),
        ...accesses("create,patch", "events.events.k8s.io", [OTHER]),
        ...accesses("create,patch", "events", [OTHER]),
        ...accesses("get,create,update", "leases.coordination.k8s.io", [ns]),
        ...accesses("get", "secrets", [OTHER]),
        ...accesses("get", "configmaps", [OTHER]),
      ],
      denied: [
        ...accesses("get,create,update", "leases.coordination.k8s.io", [OTHER]),
        ...accesses("delete", "leases.coordination.k8s.io", [ns]),
        ...accesses("list,watch", "configmaps", [OTHER]),
      ],
    },
    {
      sa: `${release}-busca-ativa-worker`,
      allowed: [
        ...accesses("get,list,watch", crds, everywhere),
        ...accesses("get,list,watch", fus, everywhere),
        ...accesses("get", "secrets", [OTHER]),
        ...accesses("get", "configmaps", [OTHER]),
      ],
      denied: [
        ...accesses("update,patch", crds, [OTHER]),
        ...accesses("update,patch", "campaigns/status.buscaativa.io", [OTHER]),
        ...accesses("create", "cronjobs.batch", [OTHER]),
        ...accesses("create", "events", [OTHER]),
        ...accesses("get,create", "leases.coordination.k8s.io", [ns]),
      ],
    },
    {
      sa: `${release}-busca-ativa-webhook`,
      allowed: [...accesses("get,list,watch", crds, everywhere), ...accesses("get", "secrets", [OTHER])],
      denied: [
        ...accesses("get", fus, [OTHER]),
        ...accesses("get", "configmaps", [OTHER]),
        ...accesses("update,patch", crds, [OTHER]),
      ],
    },
    ...[ns, followupNs].map((where) => ({
      sa: `${release}-busca-ativa-followup`,
      namespace: where,
      allowed: [...accesses("get", fus, [where]), ...accesses("get,list", crds, [where])],
      denied: [
        ...accesses("list,watch,update,patch", fus, [where]),
        ...accesses("watch,update,patch", crds, [where]),
        ...accesses("get", crds, [OTHER, ""]),
        ...accesses("get", "secrets", [where]),
        ...accesses("get", "configmaps", [where]),
      ],
    })),
    ...["cleanup", "migrate"].map((component) => ({
      sa: `${release}-busca-ativa-${component}`,
      allowed: [],
      denied: [...accesses("get,list", crds, [ns, ""]), ...accesses("get", "secrets", [ns])],
    })),
  ];
}

describe("RBAC of the chart's ServiceAccounts (rbac.scope=cluster)", () => {
  let installed: InstalledRelease;
  let followupNs: { value: string; dispose: () => Promise<void> };
  let hooks: K8sObject[];

  beforeAll(async () => {
    followupNs = await freshNamespace("followup");
    installed = await installChart({ values: { followup: { namespaces: [followupNs.value] } } });
    hooks = await createHookObjects(installed, {
      followup: { namespaces: [followupNs.value], envSecret: { copy: false } },
    });
  }, 180_000);
  afterAll(async () => {
    await installed?.dispose();
    await followupNs?.dispose();
  });

  it("allows each identity exactly what the design lists, and denies the sensitive rest", async () => {
    const { release, namespace } = installed;
    const problems: string[] = [];
    for (const identity of identities(release, namespace, followupNs.value)) {
      const saNamespace = identity.namespace ?? namespace;
      const check = async (access: Access, expected: boolean) => {
        const allowed = await serviceAccountCan(saNamespace, identity.sa, access);
        if (allowed !== expected)
          problems.push(`${identity.sa}: ${describeAccess(access)} is ${allowed ? "allowed" : "denied"}`);
      };
      for (const access of identity.allowed) await check(access, true);
      for (const access of [...identity.denied, ...sensitive(namespace)]) await check(access, false);
    }
    expect(problems).toEqual([]);
  }, 120_000);

  it("gives the same answers to a real ServiceAccount token (kubectl auth can-i)", async () => {
    const { release, namespace } = installed;
    const kubeconfig = await kubeconfigForServiceAccount(namespace, `${release}-busca-ativa-controller`);
    const canI = async (...args: string[]) =>
      (await kubectl(["--kubeconfig", kubeconfig, "auth", "can-i", ...args])).stdout.trim();
    expect(await canI("get", "secrets", "-n", OTHER)).toBe("yes");
    expect(await canI("list", "secrets", "-n", OTHER)).toBe("no");
    expect(await canI("watch", "secrets", "--all-namespaces")).toBe("no");
    expect(await canI("create", "cronjobs.batch", "-n", OTHER)).toBe("yes");
    expect(await canI("create", "pods", "--subresource=exec", "-n", namespace)).toBe("no");
  });

  it("mounts no API token for cleanup and migrate", async () => {
    const serviceAccounts = [...installed.objects, ...hooks].filter((o) => o.kind === "ServiceAccount");
    for (const component of ["cleanup", "migrate"]) {
      const sa = serviceAccounts.find((o) => o.metadata.name.endsWith(`-${component}`));
      expect(sa?.automountServiceAccountToken, component).toBe(false);
    }
  });
});
