/**
 * Bad values are refused by helm before anything is rendered, with a message naming the field:
 * values.schema.json for shapes and ranges, template checks for rules across fields.
 * Pure (needs helm only): `TESTENV=off npx vitest run test/chart/schema.test.ts`.
 */
import { describe, expect, it } from "vitest";
import { template, type Values } from "./helm.js";

interface BadValues {
  what: string;
  values: Values;
  /** Text helm's refusal must contain: the field's path (schema) or name (template checks). */
  message: string;
}

const SCHEMA_REFUSALS: BadValues[] = [
  { what: "an unknown top-level key", values: { replicas: 3 }, message: "additional properties 'replicas'" },
  {
    what: "a typo in a key",
    values: { controller: { replica: 2 } },
    message: "additional properties 'replica'",
  },
  { what: "an unknown RBAC scope", values: { rbac: { scope: "everything" } }, message: "/rbac/scope" },
  {
    what: "scope=namespaces without namespaces",
    values: { rbac: { scope: "namespaces" } },
    message: "/rbac/namespaces",
  },
  {
    what: "a bad namespace name",
    values: { rbac: { namespaces: ["Team_A"] } },
    message: "/rbac/namespaces/0",
  },
  {
    what: "a repeated namespace",
    values: { followup: { namespaces: ["a", "a"] } },
    message: "/followup/namespaces",
  },
  {
    what: "running as root",
    values: { securityContext: { runAsUser: 0 } },
    message: "/securityContext/runAsUser",
  },
  {
    what: "a user name instead of a uid",
    values: { securityContext: { runAsUser: "node" } },
    message: "/securityContext/runAsUser",
  },
  {
    what: "no Secret for the database in production",
    values: { postgresql: { external: { existingSecret: "" } } },
    message: "/postgresql/external/existingSecret",
  },
  {
    what: "no Secret for Redis in production",
    values: { redis: { external: { existingSecret: "" } } },
    message: "/redis/external/existingSecret",
  },
  {
    what: "a bad Secret key",
    values: { redis: { external: { existingSecretKey: "a b" } } },
    message: "/redis/external/existingSecretKey",
  },
  { what: "no controller", values: { controller: { replicas: 0 } }, message: "/controller/replicas" },
  {
    what: "resources without limits",
    values: { controller: { resources: { limits: null } } },
    message: "/controller/resources",
  },
  {
    what: "a malformed memory quantity",
    values: { webhook: { resources: { requests: { memory: "lots" } } } },
    message: "/webhook/resources/requests/memory",
  },
  {
    what: "KEDA scaling outbound workers to zero",
    values: { workers: { outbound: { keda: { minReplicas: 0 } } } },
    message: "/workers/outbound/keda/minReplicas",
  },
  {
    what: "a listLength for a queue the group does not have",
    values: { workers: { inbound: { keda: { listLength: { send: 5 } } } } },
    message: "/workers/inbound/keda/listLength",
  },
  {
    what: "zero concurrency",
    values: { workers: { inbound: { concurrency: 0 } } },
    message: "/workers/inbound/concurrency",
  },
  {
    what: "a negative shutdown grace",
    values: { workers: { shutdownGraceSeconds: -1 } },
    message: "/workers/shutdownGraceSeconds",
  },
  { what: "KEDA with no Redis address", values: { keda: { enabled: true } }, message: "/keda/redis/address" },
  {
    what: "a Redis URL where KEDA wants host:port",
    values: { keda: { redis: { address: "redis://redis:6379" } } },
    message: "/keda/redis/address",
  },
  {
    what: "an unknown Service type",
    values: { webhook: { service: { type: "Ingress" } } },
    message: "/webhook/service/type",
  },
  {
    what: "a tiny body limit",
    values: { webhook: { bodyLimitBytes: 10 } },
    message: "/webhook/bodyLimitBytes",
  },
  {
    what: "an unknown ingress pathType",
    values: {
      webhook: { ingress: { hosts: [{ host: "x.example.org", paths: [{ path: "/", pathType: "Regex" }] }] } },
    },
    message: "/webhook/ingress/hosts/0/paths/0/pathType",
  },
  {
    what: "a cleanup schedule in words",
    values: { cleanup: { schedule: "every 6 hours" } },
    message: "/cleanup/schedule",
  },
  {
    what: "a UTC offset for a time zone",
    values: { cleanup: { timeZone: "GMT-3" } },
    message: "/cleanup/timeZone",
  },
  { what: "zero retention", values: { cleanup: { retentionDays: 0 } }, message: "/cleanup/retentionDays" },
  { what: "a truncated digest", values: { image: { digest: "sha256:abc" } }, message: "/image/digest" },
  {
    what: "an unknown pull policy",
    values: { image: { pullPolicy: "Sometimes" } },
    message: "/image/pullPolicy",
  },
  { what: "an unknown log level", values: { logLevel: "verbose" }, message: "/logLevel" },
  { what: "a queue prefix with a space", values: { queuePrefix: "busca ativa" }, message: "/queuePrefix" },
  {
    what: "a provider CIDR that is not one",
    values: { networkPolicy: { egress: { providers: { cidrs: ["internet"] } } } },
    message: "/networkPolicy/egress/providers/cidrs/0",
  },
  {
    what: "port 0 for the API server",
    values: { networkPolicy: { egress: { apiServer: { ports: [0] } } } },
    message: "/networkPolicy/egress/apiServer/ports/0",
  },
  {
    what: "a scrape interval in words",
    values: { metrics: { serviceMonitor: { interval: "30 seconds" } } },
    message: "/metrics/serviceMonitor/interval",
  },
  { what: "a privileged sandbox port", values: { sandbox: { port: 80 } }, message: "/sandbox/port" },
  {
    what: "evaluation Redis as root",
    values: { evaluation: { redis: { runAsUser: 0 } } },
    message: "/evaluation/redis/runAsUser",
  },
  {
    what: "a PDB budget in words",
    values: { webhook: { pdb: { maxUnavailable: "half" } } },
    message: "/webhook/pdb/maxUnavailable",
  },
];

const TEMPLATE_REFUSALS: BadValues[] = [
  {
    what: "autoscaling max below min",
    values: { workers: { outbound: { autoscaling: { minReplicas: 4, maxReplicas: 2 } } } },
    message: "workers.outbound.autoscaling.maxReplicas (2) must not be below",
  },
  {
    what: "followup CronJobs with URLs in two Secrets and no env Secret",
    values: {
      postgresql: { external: { existingSecret: "pg" } },
      redis: { external: { existingSecret: "redis" } },
    },
    message: "followup.envSecret.name is required",
  },
  {
    what: "watching a namespace the controller is not bound in",
    values: {
      rbac: { scope: "namespaces", namespaces: ["team-a"] },
      controller: { watchNamespaces: ["team-b"] },
    },
    message: 'controller.watchNamespaces: "team-b" is not in rbac.namespaces',
  },
  {
    what: "copying the env Secret without a cluster (helm template)",
    values: { followup: { namespaces: ["team-a"] } },
    message: "followup.namespaces: cannot copy the Secret busca-ativa/busca-ativa-connections",
  },
];

describe("values.schema.json refuses bad values, naming the field", () => {
  it.each(SCHEMA_REFUSALS)("$what", async ({ values, message }) => {
    const result = await template(values);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("values don't meet the specifications of the schema");
    expect(result.stderr).toContain(message);
  });
});

describe("template checks refuse values that break rules across fields", () => {
  it.each(TEMPLATE_REFUSALS)("$what", async ({ values, message }) => {
    const result = await template(values);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(message);
  });
});

describe("the default values", () => {
  it("are accepted", async () => {
    const result = await template({});
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });
});
