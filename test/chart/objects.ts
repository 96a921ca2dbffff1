/** Reading rendered objects: pod templates of every workload kind, containers, RBAC rules. */
import type { K8sObject } from "./helm.js";

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered YAML is untyped; tests assert its shape */
export interface PodTemplate {
  /** "Deployment/busca-ativa-controller" */
  owner: string;
  labels: Record<string, string>;
  spec: any;
}

export interface Container {
  owner: string;
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  securityContext?: any;
  resources?: any;
  livenessProbe?: unknown;
  readinessProbe?: unknown;
  volumeMounts?: { name: string; mountPath: string }[];
}

export function podTemplates(objects: K8sObject[]): PodTemplate[] {
  const templates: PodTemplate[] = [];
  for (const o of objects) {
    const owner = `${o.kind}/${o.metadata.name}`;
    const spec = o.spec as any;
    if (["Deployment", "StatefulSet", "Job"].includes(o.kind)) {
      templates.push({ owner, labels: spec.template.metadata?.labels ?? {}, spec: spec.template.spec });
    } else if (o.kind === "CronJob") {
      const t = spec.jobTemplate.spec.template;
      templates.push({ owner, labels: t.metadata?.labels ?? {}, spec: t.spec });
    } else if (o.kind === "Pod") {
      templates.push({ owner, labels: o.metadata.labels ?? {}, spec });
    }
  }
  return templates;
}

export function containers(template: PodTemplate): Container[] {
  return [...(template.spec.initContainers ?? []), ...(template.spec.containers ?? [])].map((c: any) => ({
    ...c,
    owner: template.owner,
  }));
}

export function allContainers(objects: K8sObject[]): Container[] {
  return podTemplates(objects).flatMap(containers);
}

export function byKind(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) {
    const names = byKind(objects, kind).map((o) => o.metadata.name);
    throw new Error(`No ${kind} named ${name}; rendered ${kind}s: ${names.join(", ") || "none"}`);
  }
  return found;
}

export function envOf(container: Container): Record<string, string | undefined> {
  return Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
}

/** Whether a label selector (matchLabels only) selects these labels. */
export function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

export interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
}

export function rulesOf(role: K8sObject): Rule[] {
  return (role.rules as Rule[] | undefined) ?? [];
}

/** Whether a rule grants `verb` on `group`/`resource`, wildcards included. */
export function grants(rule: Rule, group: string, resource: string, verb: string): boolean {
  const anyOf = (list: string[] | undefined, value: string) =>
    (list ?? []).includes(value) || (list ?? []).includes("*");
  return anyOf(rule.apiGroups, group) && anyOf(rule.resources, resource) && anyOf(rule.verbs, verb);
}
