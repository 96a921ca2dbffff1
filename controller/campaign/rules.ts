/**
 * The rules the API server cannot check (docs/api.md, "Rules the API server cannot check"), each turned
 * into a finding with the condition it sets and a message for people. Never patient data: only names of
 * objects, keys, columns and placeholders.
 */
import * as k8s from "@kubernetes/client-node";
import {
  CampaignConditionReason as Reason,
  CampaignConditionType as Type,
  DEFAULT_WEBHOOK_AUTHENTICATION,
  effectiveIntervalMs,
  normalizeReplyText,
  requiredCredentialKeys,
  unknownPlaceholders,
  windowMinutes,
  type CampaignSpec,
} from "../../crds/index.js";
import type { ObjectKeysCache } from "../../lib/kube/object-keys-cache.js";
import { assertTimeZone } from "../pacing/window.js";

export interface Finding {
  /** The condition the finding sets to False. */
  condition: (typeof Type)[keyof typeof Type];
  reason: string;
  message: string;
  /** A warning is reported but does not stop the campaign. */
  warning?: boolean;
}

/** Rules on the spec alone: time zone (1), keyword overlap (9), reachable quota (10). */
export function checkSpec(spec: CampaignSpec): Finding[] {
  const findings: Finding[] = [];
  try {
    assertTimeZone(spec.schedule.timeZone);
  } catch (err) {
    findings.push({ condition: Type.Ready, reason: Reason.InvalidTimeZone, message: (err as Error).message });
  }
  const owners = new Map<string, string>();
  const lists: [string, readonly string[]][] = [
    ["replies.keywords.confirm", spec.replies.keywords.confirm],
    ["replies.keywords.decline", spec.replies.keywords.decline],
    ["replies.keywords.notMe", spec.replies.keywords.notMe],
    ["replies.keywords.optOut", spec.replies.keywords.optOut],
  ];
  for (const [field, words] of lists) {
    for (const word of words) {
      const key = normalizeReplyText(word);
      const owner = owners.get(key);
      if (owner && owner !== field) {
        findings.push({
          condition: Type.Ready,
          reason: Reason.InvalidSpec,
          message: `The keyword "${word}" in ${field} means the same as one in ${owner} (compared ignoring case, accents and punctuation); keep it in one list`,
        });
      }
      owners.set(key, field);
    }
  }
  if (spec.schedule.interval) {
    const needed = effectiveIntervalMs(spec.schedule) * spec.schedule.dailyQuota;
    const window = windowMinutes(spec.schedule.window) * 60_000;
    if (needed > window) {
      findings.push({
        condition: Type.Sending,
        reason: "QuotaUnreachable",
        message: `At one send every ${spec.schedule.interval}, only ${Math.floor(window / effectiveIntervalMs(spec.schedule))} of the daily quota of ${spec.schedule.dailyQuota} fit in the window`,
        warning: true,
      });
    }
  }
  return findings;
}

/** Rule 2, once the list's columns are known. */
export function checkPlaceholders(spec: CampaignSpec, columns: readonly string[]): Finding[] {
  const templates: [string, string][] = [
    ["message.template", spec.message.template],
    ...(spec.message.variants ?? []).map((v, i): [string, string] => [`message.variants[${i}]`, v]),
    ...(spec.message.metaTemplate?.bodyParameters ?? []).map((v, i): [string, string] => [
      `message.metaTemplate.bodyParameters[${i}]`,
      v,
    ]),
    ["replies.declineReason.question", spec.replies.declineReason.question],
    ...Object.entries(spec.replies.texts).map(([k, v]): [string, string] => [`replies.texts.${k}`, v]),
  ];
  const findings: Finding[] = [];
  for (const [field, template] of templates) {
    const unknown = unknownPlaceholders(template, columns);
    if (unknown.length > 0) {
      findings.push({
        condition: Type.Ready,
        reason: Reason.UnknownPlaceholder,
        message: `${field} uses {${unknown.join("}, {")}}, which is not a column of the list (columns: ${
          columns.length ? columns.join(", ") : "none besides the name and phone"
        }; {nome} and {procedimento} always work)`,
      });
    }
  }
  return findings;
}

async function readOrUndefined<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof k8s.ApiException && err.code === 404) return undefined;
    throw err;
  }
}

/**
 * Rules 3 (audience source), 5 (credentials) and 7 (follow-up schedule): lookups in the namespace. Secrets
 * and ConfigMaps are looked at through `objectKeys` (key names only, cached for a short while).
 */
export async function checkReferences(
  kc: k8s.KubeConfig,
  namespace: string,
  spec: CampaignSpec,
  listExists: (name: string) => Promise<boolean>,
  objectKeys: ObjectKeysCache,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const audience = spec.audience;
  const source = audience.secretKeyRef
    ? { kind: "Secret" as const, ref: audience.secretKeyRef }
    : audience.configMapKeyRef
      ? { kind: "ConfigMap" as const, ref: audience.configMapKeyRef }
      : undefined;
  if (source) {
    const keys = await objectKeys.keys(source.kind, namespace, source.ref.name);
    if (!keys?.has(source.ref.key)) {
      findings.push({
        condition: Type.AudienceImported,
        reason: Reason.AudienceNotFound,
        message: keys
          ? `The ${source.kind} ${source.ref.name} has no key "${source.ref.key}"`
          : `The ${source.kind} ${source.ref.name} does not exist`,
      });
    }
  } else if (audience.listRef && !(await listExists(audience.listRef.name))) {
    findings.push({
      condition: Type.AudienceImported,
      reason: Reason.AudienceNotFound,
      message: `No patient list "${audience.listRef.name}" was imported into this namespace (busca-ativa import)`,
    });
  }

  const secretName = spec.sender.credentialsSecretRef.name;
  const credentials = await objectKeys.keys("Secret", namespace, secretName);
  const webhook = {
    ...spec.sender.webhook,
    authentication:
      spec.sender.webhook.authentication ?? DEFAULT_WEBHOOK_AUTHENTICATION[spec.sender.provider],
  };
  const needed = requiredCredentialKeys({ provider: spec.sender.provider, webhook });
  if (spec.sender.provider !== "meta-cloud" && !spec.sender.baseUrl) needed.push("baseUrl");
  const missing = credentials ? needed.filter((k) => !credentials.has(k)) : needed;
  if (!credentials || missing.length > 0) {
    findings.push({
      condition: Type.ProviderReady,
      reason: Reason.CredentialsNotFound,
      message: credentials
        ? `The credentials Secret ${secretName} lacks the keys ${missing.join(", ")}`
        : `The credentials Secret ${secretName} does not exist (it needs the keys ${needed.join(", ")})`,
    });
  }

  if (spec.followUpScheduleRef) {
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const name = spec.followUpScheduleRef.name;
    const schedule = await readOrUndefined(() =>
      custom.getNamespacedCustomObject({
        group: "buscaativa.io",
        version: "v1alpha1",
        namespace,
        plural: "followupschedules",
        name,
      }),
    );
    if (!schedule) {
      findings.push({
        condition: Type.Ready,
        reason: Reason.FollowUpScheduleNotFound,
        message: `The FollowUpSchedule ${name} does not exist in this namespace; no reminders are sent until it does`,
        warning: true,
      });
    }
  }
  return findings;
}
