/**
 * What each optional feature of the chart renders, and the environment contract of each process.
 * Pure (needs helm only): `TESTENV=off npx vitest run test/chart/features.test.ts`.
 */
import { describe, expect, it } from "vitest";
import { renderChart, type K8sObject } from "./helm.js";
import { KEDA_EXTERNAL, MATRIX } from "./matrix.js";
import { byKind, containers, envOf, find, podTemplates } from "./objects.js";

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered YAML is untyped */
const spec = (o: K8sObject): any => o.spec;
const names = (objects: K8sObject[], kind: string) => byKind(objects, kind).map((o) => o.metadata.name);
function containerOf(objects: K8sObject[], kind: string, name: string) {
  return containers(podTemplates([find(objects, kind, name)])[0]!)[0]!;
}

describe("process contract", () => {
  it("caps the controller's V8 heap below its memory limit, from controller.heap", async () => {
    const mebibytes = (q: string) => Number(/^(\d+)Mi$/.exec(q)?.[1] ?? Number.NaN);
    const byDefault = containerOf(await renderChart({}), "Deployment", "busca-ativa-controller");
    expect(envOf(byDefault).NODE_OPTIONS).toBe("--max-old-space-size=160 --max-semi-space-size=4");
    expect(mebibytes(byDefault.resources.limits.memory) - 160).toBeGreaterThanOrEqual(150);

    const raised = containerOf(
      await renderChart({
        controller: {
          heap: { maxOldSpaceMiB: 512, maxSemiSpaceMiB: 8 },
          resources: { requests: { cpu: "100m", memory: "512Mi" }, limits: { memory: "768Mi" } },
        },
      }),
      "Deployment",
      "busca-ativa-controller",
    );
    expect(envOf(raised).NODE_OPTIONS).toBe("--max-old-space-size=512 --max-semi-space-size=8");
    expect(raised.resources.limits.memory).toBe("768Mi");
  });

  it("runs each process with its command and environment", async () => {
    const objects = await renderChart({});
    const controller = containerOf(objects, "Deployment", "busca-ativa-controller");
    expect(controller.args).toEqual(["controller"]);
    const env = envOf(controller);
    expect(Object.keys(env)).toEqual(
      expect.arrayContaining(["DATABASE_URL", "REDIS_URL", "LOG_LEVEL", "QUEUE_PREFIX", "POD_NAME"]),
    );
    expect(env).toMatchObject({
      QUEUE_PREFIX: "busca-ativa",
      HEALTH_PORT: "8081",
      WATCH_NAMESPACES: "",
      FOLLOWUP_IMAGE: "ghcr.io/busca-ativa/busca-ativa:0.1.0",
      FOLLOWUP_SERVICE_ACCOUNT: "busca-ativa-followup",
      FOLLOWUP_ENV_SECRET: "busca-ativa-connections",
    });
    expect(Object.keys(env)).toContain("POD_NAMESPACE");
    for (const group of ["outbound", "inbound"]) {
      const worker = containerOf(objects, "Deployment", `busca-ativa-worker-${group}`);
      expect(worker.args).toEqual(["worker", "--groups", group]);
      expect(Object.keys(envOf(worker))).toEqual(
        expect.arrayContaining(["WORKER_CONCURRENCY", "SHUTDOWN_GRACE_SECONDS", "HEALTH_PORT", "REDIS_URL"]),
      );
    }
    const webhook = containerOf(objects, "Deployment", "busca-ativa-webhook");
    expect(webhook.args).toEqual(["webhook"]);
    expect(envOf(webhook).WEBHOOK_BODY_LIMIT_BYTES).toBe("1048576");
    expect(containerOf(objects, "Job", "busca-ativa-migrate").args).toEqual(["migrate"]);
    const cleanup = containerOf(objects, "CronJob", "busca-ativa-cleanup");
    expect(cleanup.args).toEqual(["cleanup"]);
    expect(envOf(cleanup).RETENTION_DAYS).toBe("180");
  });

  it("reads the database and Redis URLs from the existing Secrets named in values", async () => {
    const objects = await renderChart(MATRIX["separate connection secrets"]!);
    const controller = containerOf(objects, "Deployment", "busca-ativa-controller");
    const refs = Object.fromEntries(
      (controller.env ?? []).map((e: any) => [e.name, e.valueFrom?.secretKeyRef]),
    );
    expect(refs.DATABASE_URL).toEqual({ name: "pg-app", key: "uri" });
    expect(refs.REDIS_URL).toEqual({ name: "redis-app", key: "url" });
    expect(envOf(controller).FOLLOWUP_ENV_SECRET).toBe("busca-ativa-followup-env");
  });
});

describe("migrate hook and cleanup CronJob", () => {
  it("migrates before install and upgrade, with no API token, its ServiceAccount created first", async () => {
    const objects = await renderChart({});
    const job = find(objects, "Job", "busca-ativa-migrate");
    expect(job.metadata.annotations).toMatchObject({
      "helm.sh/hook": "pre-install,pre-upgrade",
      "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded",
    });
    const sa = find(objects, "ServiceAccount", "busca-ativa-migrate");
    expect(Number(sa.metadata.annotations!["helm.sh/hook-weight"])).toBeLessThan(
      Number(job.metadata.annotations!["helm.sh/hook-weight"]),
    );
    expect(sa.automountServiceAccountToken).toBe(false);
    expect(spec(job).template.spec.automountServiceAccountToken).toBe(false);
  });

  it("migrates after install in evaluation mode, where the database belongs to the release", async () => {
    const objects = await renderChart(MATRIX.evaluation!);
    const job = find(objects, "Job", "busca-ativa-migrate");
    expect(job.metadata.annotations!["helm.sh/hook"]).toBe("post-install,pre-upgrade");
  });

  it("cleans up every 6 hours in America/Fortaleza, never two at once, with no API token", async () => {
    const cron = find(await renderChart({}), "CronJob", "busca-ativa-cleanup");
    expect(spec(cron)).toMatchObject({
      schedule: "0 */6 * * *",
      timeZone: "America/Fortaleza",
      concurrencyPolicy: "Forbid",
    });
    expect(spec(cron).jobTemplate.spec.template.spec.automountServiceAccountToken).toBe(false);
  });
});

describe("autoscaling", () => {
  it("scales both worker groups on CPU by default, with no fixed replica count", async () => {
    const objects = await renderChart({});
    expect(names(objects, "HorizontalPodAutoscaler").sort()).toEqual([
      "busca-ativa-worker-inbound",
      "busca-ativa-worker-outbound",
    ]);
    expect(byKind(objects, "ScaledObject")).toEqual([]);
    expect(spec(find(objects, "Deployment", "busca-ativa-worker-outbound")).replicas).toBeUndefined();
  });

  it("with KEDA, reads one wait list per queue of each group and drops the CPU HPAs", async () => {
    const objects = await renderChart({ keda: KEDA_EXTERNAL, queuePrefix: "{ba}" });
    expect(byKind(objects, "HorizontalPodAutoscaler")).toEqual([]);
    const triggers = (group: string) =>
      spec(find(objects, "ScaledObject", `busca-ativa-worker-${group}`)).triggers.map((t: any) => [
        t.name,
        t.metadata.listName,
        t.metadata.address,
        t.authenticationRef?.name,
      ]);
    expect(triggers("outbound")).toEqual([
      ["import", "{ba}:import:wait", "redis.data.svc:6379", "busca-ativa-redis"],
      ["validate", "{ba}:validate:wait", "redis.data.svc:6379", "busca-ativa-redis"],
      ["send", "{ba}:send:wait", "redis.data.svc:6379", "busca-ativa-redis"],
    ]);
    expect(triggers("inbound").map((t: string[]) => t[1])).toEqual(["{ba}:inbound:wait", "{ba}:status:wait"]);
    expect(spec(find(objects, "ScaledObject", "busca-ativa-worker-outbound")).minReplicaCount).toBe(1);
    const auth = find(objects, "TriggerAuthentication", "busca-ativa-redis");
    expect(spec(auth).secretTargetRef).toEqual([
      { parameter: "password", name: "redis-auth", key: "password" },
    ]);
  });

  it("combines the triggers with a formula when scalingModifiers is on", async () => {
    const objects = await renderChart(MATRIX["keda in evaluation with scalingModifiers"]!);
    const outbound = spec(find(objects, "ScaledObject", "busca-ativa-worker-outbound"));
    expect(outbound.advanced.scalingModifiers).toMatchObject({ formula: "import + validate + send" });
    expect(outbound.triggers[0].metadata.address).toBe("busca-ativa-redis.busca-ativa.svc:6379");
  });
});

describe("optional objects", () => {
  it("renders the Ingress, ServiceMonitor and sandbox only when enabled", async () => {
    const plain = await renderChart({});
    for (const kind of ["Ingress", "ServiceMonitor", "StatefulSet"]) expect(byKind(plain, kind)).toEqual([]);
    const ingress = find(await renderChart(MATRIX.ingress!), "Ingress", "busca-ativa-webhook");
    expect(spec(ingress).rules[0].http.paths[0].backend.service).toEqual({
      name: "busca-ativa-webhook",
      port: { name: "http" },
    });
    const monitor = find(await renderChart(MATRIX.serviceMonitor!), "ServiceMonitor", "busca-ativa");
    expect(monitor.metadata.labels!.release).toBe("prometheus");
    const evaluation = await renderChart(MATRIX.evaluation!);
    expect(names(evaluation, "Deployment")).toContain("busca-ativa-sandbox");
  });

  it("runs the evaluation Redis as BullMQ needs it: noeviction and AOF", async () => {
    const objects = await renderChart(MATRIX.evaluation!);
    const redis = containerOf(objects, "StatefulSet", "busca-ativa-redis");
    const command = [...(redis.command ?? []), ...(redis.args ?? [])].join(" ");
    expect(command).toContain("--maxmemory-policy noeviction");
    expect(command).toContain("--appendonly yes");
    const secret = find(objects, "Secret", "busca-ativa-evaluation");
    expect(secret.metadata.annotations!["buscaativa.io/not-for-production"]).toBe("true");
  });
});

describe("RBAC scope", () => {
  it("binds cluster-wide by default", async () => {
    const objects = await renderChart({});
    expect(names(objects, "ClusterRoleBinding").sort()).toEqual([
      "busca-ativa-busca-ativa-controller",
      "busca-ativa-busca-ativa-webhook",
      "busca-ativa-busca-ativa-worker",
    ]);
  });

  it("binds per namespace and watches only those namespaces with scope=namespaces", async () => {
    const objects = await renderChart(MATRIX["rbac per namespace"]!);
    expect(byKind(objects, "ClusterRoleBinding")).toEqual([]);
    const bindings = byKind(objects, "RoleBinding").filter((b) => (b as any).roleRef.kind === "ClusterRole");
    expect(bindings.map((b) => `${b.metadata.namespace}/${b.metadata.name}`).sort()).toEqual([
      "team-a/busca-ativa-busca-ativa-controller",
      "team-a/busca-ativa-busca-ativa-webhook",
      "team-a/busca-ativa-busca-ativa-worker",
      "team-b/busca-ativa-busca-ativa-controller",
      "team-b/busca-ativa-busca-ativa-webhook",
      "team-b/busca-ativa-busca-ativa-worker",
    ]);
    const controller = containerOf(objects, "Deployment", "busca-ativa-controller");
    expect(envOf(controller).WATCH_NAMESPACES).toBe("team-a,team-b");
  });

  it("creates the followup ServiceAccount, Role, RoleBinding and env Secret in each followup namespace", async () => {
    const objects = await renderChart(MATRIX["followup namespaces in evaluation"]!);
    const inTeam = objects.filter((o) => o.metadata.namespace === "team-a").map((o) => o.kind);
    expect(inTeam.sort()).toEqual(["Role", "RoleBinding", "Secret", "ServiceAccount"]);
    const secret = objects.find((o) => o.kind === "Secret" && o.metadata.namespace === "team-a")!;
    const url = Buffer.from((secret as any).data.DATABASE_URL, "base64").toString();
    expect(url).toMatch(/@busca-ativa-postgresql\.busca-ativa\.svc:5432\//);
    const evaluation = find(objects, "Secret", "busca-ativa-evaluation") as any;
    expect((secret as any).data).toEqual({
      DATABASE_URL: evaluation.data.DATABASE_URL,
      REDIS_URL: evaluation.data.REDIS_URL,
    });
  });
});

describe("NetworkPolicies", () => {
  it("deny ingress to every pod of the release, allow the webhook on 8080 and metrics from the scrapers", async () => {
    const objects = await renderChart({});
    const deny = find(objects, "NetworkPolicy", "busca-ativa-default-deny");
    expect(spec(deny).policyTypes).toEqual(["Ingress", "Egress"]);
    expect(spec(deny).ingress).toBeUndefined();
    expect(spec(find(objects, "NetworkPolicy", "busca-ativa-webhook")).ingress).toEqual([
      { ports: [{ protocol: "TCP", port: 8080 }] },
    ]);
    const controller = spec(find(objects, "NetworkPolicy", "busca-ativa-controller"));
    expect(controller.ingress[0].from[0].namespaceSelector.matchLabels).toEqual({
      "kubernetes.io/metadata.name": "monitoring",
    });
    const egressPorts = controller.egress.flatMap((r: any) => r.ports.map((p: any) => p.port));
    expect(egressPorts).toEqual(expect.arrayContaining([53, 443, 6443, 6379, 5432]));
    expect(spec(find(objects, "NetworkPolicy", "busca-ativa-migrate")).ingress).toEqual([]);
  });

  it("let the release's own pods (helm test, sandbox) reach the webhook when webhookFrom narrows it", async () => {
    const objects = await renderChart(MATRIX["webhook ingress narrowed"]!);
    const from = spec(find(objects, "NetworkPolicy", "busca-ativa-webhook")).ingress[0].from;
    expect(from).toEqual(
      expect.arrayContaining([
        { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } },
        {
          podSelector: {
            matchLabels: {
              "app.kubernetes.io/name": "busca-ativa",
              "app.kubernetes.io/instance": "busca-ativa",
            },
          },
        },
      ]),
    );
  });

  it("render none when disabled, and no egress rules when egress is unrestricted", async () => {
    expect(byKind(await renderChart(MATRIX["networkPolicy off"]!), "NetworkPolicy")).toEqual([]);
    const open = await renderChart(MATRIX["egress unrestricted"]!);
    for (const policy of byKind(open, "NetworkPolicy")) {
      expect(spec(policy).policyTypes).toEqual(["Ingress"]);
      expect(spec(policy).egress).toBeUndefined();
    }
  });
});
