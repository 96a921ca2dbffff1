/**
 * The values the chart is rendered, linted and installed with: every optional feature on and off.
 * Each entry is a values overlay on top of the chart's values.yaml.
 */
import type { Values } from "./helm.js";

export const KEDA_EXTERNAL: Values = {
  enabled: true,
  redis: { address: "redis.data.svc:6379", passwordSecret: { name: "redis-auth", key: "password" } },
};

export const MATRIX: Record<string, Values> = {
  default: {},
  evaluation: { evaluation: { enabled: true }, sandbox: { enabled: true } },
  "evaluation with persistence": {
    evaluation: {
      enabled: true,
      redis: { persistence: { enabled: true, size: "2Gi", storageClassName: "standard" } },
      postgresql: { persistence: { enabled: true } },
    },
  },
  keda: { keda: KEDA_EXTERNAL },
  "keda in evaluation with scalingModifiers": {
    evaluation: { enabled: true },
    keda: { enabled: true },
    workers: {
      outbound: { keda: { scalingModifiers: { enabled: true } } },
      inbound: { keda: { scalingModifiers: { enabled: true } } },
    },
  },
  ingress: {
    webhook: {
      ingress: {
        enabled: true,
        className: "nginx",
        annotations: { "cert-manager.io/cluster-issuer": "letsencrypt" },
        tls: [{ hosts: ["busca-ativa.example.org"], secretName: "busca-ativa-tls" }],
      },
    },
  },
  serviceMonitor: { metrics: { serviceMonitor: { enabled: true, labels: { release: "prometheus" } } } },
  "metrics off": { metrics: { enabled: false } },
  "rbac per namespace": { rbac: { scope: "namespaces", namespaces: ["team-a", "team-b"] } },
  "networkPolicy off": { networkPolicy: { enabled: false } },
  "egress unrestricted": { networkPolicy: { egress: { enabled: false } } },
  "webhook ingress narrowed": {
    networkPolicy: {
      webhookFrom: [
        { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } },
      ],
      egress: { extra: [{ to: [{ podSelector: { matchLabels: { app: "evolution-api" } } }] }] },
    },
  },
  "followup namespaces in evaluation": {
    evaluation: { enabled: true },
    followup: { namespaces: ["team-a"] },
  },
  "separate connection secrets": {
    postgresql: { external: { existingSecret: "pg-app", existingSecretKey: "uri" } },
    redis: { external: { existingSecret: "redis-app", existingSecretKey: "url" } },
    followup: { envSecret: { name: "busca-ativa-followup-env" } },
  },
  "no cron policy, no aggregation, no tests": {
    rbac: { cronJobPolicy: { enabled: false }, aggregateToDefaultRoles: false },
    tests: { enabled: false },
    migrate: { enabled: false },
    cleanup: { enabled: false },
  },
  "pdbs off, fixed replicas": {
    controller: { pdb: { enabled: false } },
    webhook: { pdb: { enabled: false } },
    workers: {
      outbound: { pdb: { enabled: false }, autoscaling: { enabled: false }, replicas: 3 },
      inbound: { pdb: { enabled: false }, autoscaling: { enabled: false } },
    },
  },
  everything: {
    evaluation: { enabled: true },
    sandbox: { enabled: true },
    keda: { enabled: true },
    webhook: { ingress: { enabled: true } },
    metrics: { serviceMonitor: { enabled: true } },
    rbac: { scope: "namespaces", namespaces: ["team-a"] },
    followup: { namespaces: ["team-a"] },
    image: { digest: `sha256:${"a".repeat(64)}` },
    imagePullSecrets: [{ name: "registry" }],
    commonLabels: { "hospital.example.org/team": "regulacao" },
  },
};
