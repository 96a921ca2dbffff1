/**
 * rbac.scope=namespaces: the controller, workers and webhook get their permissions in the listed
 * namespaces only (RoleBindings to the ClusterRoles), nothing cluster-wide and nothing elsewhere.
 * Needs the test environment: `npx vitest run test/chart/rbac-namespaces.test.ts`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshNamespace } from "../harness/fixtures.js";
import { accesses, describeAccess, serviceAccountCan, type Access } from "./access.js";
import { installChart, type InstalledRelease } from "./release.js";

describe("RBAC with rbac.scope=namespaces", () => {
  let installed: InstalledRelease;
  let team: { value: string; dispose: () => Promise<void> };

  beforeAll(async () => {
    team = await freshNamespace("team");
    installed = await installChart({ values: { rbac: { scope: "namespaces", namespaces: [team.value] } } });
  }, 180_000);
  afterAll(async () => {
    await installed?.dispose();
    await team?.dispose();
  });

  it("grants in the listed namespace, and nowhere else or cluster-wide", async () => {
    const { release, namespace } = installed;
    const elsewhere = ["team-x", ""];
    const table: { sa: string; allowed: Access[]; denied: Access[] }[] = [
      {
        sa: "controller",
        allowed: [
          ...accesses("get,list,watch,update,patch", "campaigns.buscaativa.io", [team.value]),
          ...accesses("create,delete", "cronjobs.batch", [team.value]),
          ...accesses("get", "secrets", [team.value]),
          ...accesses("create", "events", [team.value]),
          ...accesses("get,create,update", "leases.coordination.k8s.io", [namespace]),
        ],
        denied: [
          ...accesses("get,list,watch", "campaigns.buscaativa.io", elsewhere),
          ...accesses("create", "cronjobs.batch", elsewhere),
          ...accesses("get", "secrets", ["team-x"]),
          ...accesses("list", "secrets", [team.value]),
        ],
      },
      {
        sa: "worker",
        allowed: [
          ...accesses("get,list,watch", "followupschedules.buscaativa.io", [team.value]),
          ...accesses("get", "configmaps", [team.value]),
        ],
        denied: [
          ...accesses("list,watch", "followupschedules.buscaativa.io", elsewhere),
          ...accesses("get", "secrets", ["team-x"]),
        ],
      },
      {
        sa: "webhook",
        allowed: [...accesses("get,list,watch", "campaigns.buscaativa.io", [team.value])],
        denied: [...accesses("list", "campaigns.buscaativa.io", elsewhere)],
      },
    ];
    const problems: string[] = [];
    for (const row of table) {
      const sa = `${release}-busca-ativa-${row.sa}`;
      for (const [list, expected] of [
        [row.allowed, true],
        [row.denied, false],
      ] as const) {
        for (const access of list) {
          const allowed = await serviceAccountCan(namespace, sa, access);
          if (allowed !== expected)
            problems.push(`${sa}: ${describeAccess(access)} is ${allowed ? "allowed" : "denied"}`);
        }
      }
    }
    expect(problems).toEqual([]);
  }, 60_000);

  it("creates no ClusterRoleBinding", () => {
    expect(installed.objects.filter((o) => o.kind === "ClusterRoleBinding")).toEqual([]);
  });
});
