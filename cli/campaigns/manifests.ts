/**
 * The objects `busca-ativa campaign create` applies, pure: a Secret `<name>-lista` holding the patient
 * list under `lista.xlsx` or `lista.csv`, and the Campaign pointing at it (or at a list stored with
 * `busca-ativa import`), checked against the Campaign schema before anything is sent.
 */
import type { z } from "zod";
import {
  API_VERSION,
  CAMPAIGN_KIND,
  campaignSchema,
  formatIssues,
  type CampaignInput,
  type Provider,
} from "../../crds/index.js";

/** The message sent when no `--template` is given (the Celery system's first message, generalised). */
export const DEFAULT_CLI_TEMPLATE = [
  "Olá, *{nome}*! 👋",
  "",
  "Aqui é da Central de Agendamentos do hospital.",
  "Você está na fila de espera para o procedimento *{procedimento}*.",
  "",
  "Você ainda tem interesse em realizar esse procedimento?",
  "",
  "1️⃣ *SIM* – tenho interesse",
  "2️⃣ *NÃO* – não tenho mais interesse",
  "3️⃣ *DESCONHEÇO* – não sou essa pessoa",
  "",
  "_Responda apenas com o número da opção._",
].join("\n");

export const MANAGED_BY_LABEL = { "app.kubernetes.io/managed-by": "busca-ativa-cli" } as const;
export const CAMPAIGN_LABEL = "buscaativa.io/campaign";

export type ListSource =
  { kind: "file"; content: Buffer; format: "csv" | "xlsx" } | { kind: "list"; name: string };

export interface CampaignCreateInput {
  name: string;
  namespace: string;
  list: ListSource;
  provider: Provider;
  senderSecret: string;
  instance?: string;
  phoneNumberId?: string;
  baseUrl?: string;
  template: string;
  metaTemplate?: { name: string; language?: string };
  followUp?: string;
  columnMapping?: Record<string, string[]>;
  timeZone?: string;
  window?: { start: string; end: string };
  daysOfWeek?: string[];
  dailyQuota?: number;
  description?: string;
  suspend?: boolean;
}

export interface SecretManifest {
  apiVersion: "v1";
  kind: "Secret";
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    ownerReferences?: {
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
      blockOwnerDeletion?: boolean;
    }[];
  };
  type: "Opaque";
  data: Record<string, string>;
}

export interface CampaignManifests {
  /** Absent when the Campaign uses a stored list (`--list`). */
  secret?: SecretManifest;
  /** The Secret key holding the file. */
  key?: string;
  campaign: CampaignInput & { metadata: { name: string; namespace: string } };
}

export function listSecretName(campaign: string): string {
  return `${campaign}-lista`;
}

/** The Secret and Campaign, or the schema's complaints (to show as a usage error). */
export function buildCampaignManifests(
  input: CampaignCreateInput,
): { manifests: CampaignManifests } | { error: string } {
  const labels = { ...MANAGED_BY_LABEL };
  let secret: SecretManifest | undefined;
  let key: string | undefined;
  let audience: Record<string, unknown>;
  if (input.list.kind === "file") {
    key = `lista.${input.list.format}`;
    secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: listSecretName(input.name),
        namespace: input.namespace,
        labels: { ...labels, [CAMPAIGN_LABEL]: input.name },
      },
      type: "Opaque",
      data: { [key]: input.list.content.toString("base64") },
    };
    audience = { secretKeyRef: { name: secret.metadata.name, key } };
  } else {
    audience = { listRef: { name: input.list.name } };
  }
  if (input.columnMapping) audience.columnMapping = input.columnMapping;

  const schedule: Record<string, unknown> = {};
  if (input.timeZone) schedule.timeZone = input.timeZone;
  if (input.window) schedule.window = input.window;
  if (input.daysOfWeek) schedule.daysOfWeek = input.daysOfWeek;
  if (input.dailyQuota !== undefined) schedule.dailyQuota = input.dailyQuota;

  const campaign = {
    apiVersion: API_VERSION,
    kind: CAMPAIGN_KIND,
    metadata: { name: input.name, namespace: input.namespace, labels },
    spec: {
      ...(input.description ? { description: input.description } : {}),
      audience,
      message: {
        template: input.template,
        ...(input.metaTemplate
          ? {
              metaTemplate: {
                name: input.metaTemplate.name,
                ...(input.metaTemplate.language ? { language: input.metaTemplate.language } : {}),
              },
            }
          : {}),
      },
      sender: {
        provider: input.provider,
        credentialsSecretRef: { name: input.senderSecret },
        ...(input.instance ? { instance: input.instance } : {}),
        ...(input.phoneNumberId ? { phoneNumberId: input.phoneNumberId } : {}),
        ...(input.baseUrl ? { baseUrl: input.baseUrl } : {}),
      },
      ...(Object.keys(schedule).length > 0 ? { schedule } : {}),
      ...(input.followUp ? { followUpScheduleRef: { name: input.followUp } } : {}),
      ...(input.suspend ? { suspend: true } : {}),
    },
  } as CampaignManifests["campaign"];

  const checked = campaignSchema.safeParse(campaign);
  if (!checked.success) return { error: formatIssues(checked.error as z.ZodError) };
  return { manifests: { campaign, ...(secret ? { secret, key } : {}) } };
}

/** The Secret for `--dry-run` output: the file's bytes are patient data, so they are not shown. */
export function redactedSecret(secret: SecretManifest, sha256: string): SecretManifest {
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(secret.data)) {
    const bytes = Buffer.from(value, "base64").length;
    data[key] = `<${bytes} bytes, sha256 ${sha256}; not shown: patient data>`;
  }
  return { ...secret, data };
}
