/** Builds the two CustomResourceDefinitions from the zod schemas. */
import { z } from "zod";
import { campaignSchema } from "../campaign/resource.js";
import { CAMPAIGN_NAMES, CATEGORY, FOLLOW_UP_SCHEDULE_NAMES, GROUP, VERSION } from "../constants.js";
import type { ResourceNames } from "../constants.js";
import { followUpScheduleSchema } from "../followupschedule/resource.js";
import { toStructural } from "./structural.js";
import type { JsonSchema } from "./structural.js";

export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  jsonPath: string;
  description: string;
  priority?: number;
}

export interface CrdSource {
  names: ResourceNames;
  schema: z.ZodType;
  printerColumns: PrinterColumn[];
}

const AGE: PrinterColumn = {
  name: "Age",
  type: "date",
  jsonPath: ".metadata.creationTimestamp",
  description: "Time since the object was created.",
};

export const CAMPAIGN_SOURCE: CrdSource = {
  names: CAMPAIGN_NAMES,
  schema: campaignSchema,
  printerColumns: [
    { name: "Phase", type: "string", jsonPath: ".status.phase", description: "Where the campaign stands." },
    {
      name: "Contacts",
      type: "integer",
      jsonPath: ".status.counts.contacts",
      description: "Patients imported.",
    },
    {
      name: "Sent",
      type: "integer",
      jsonPath: ".status.counts.sent",
      description: "Contacts sent the message.",
    },
    {
      name: "Replied",
      type: "integer",
      jsonPath: ".status.counts.replied",
      description: "Contacts who replied.",
    },
    {
      name: "Confirmed",
      type: "integer",
      jsonPath: ".status.counts.confirmed",
      description: "Contacts who answered SIM.",
    },
    {
      name: "Progress",
      type: "integer",
      jsonPath: ".status.progress",
      description: "Percent of contacts whose outreach is finished.",
    },
    // A string, not a date: kubectl shows future dates as "<invalid>".
    {
      name: "Next Send",
      type: "string",
      jsonPath: ".status.nextSendTime",
      description: "When the next first message is due.",
    },
    AGE,
    {
      name: "Pause Reason",
      type: "string",
      jsonPath: ".status.pauseReason",
      description: "Why nothing is sent right now.",
      priority: 1,
    },
    {
      name: "Failed",
      type: "integer",
      jsonPath: ".status.counts.failed",
      description: "Sends failed.",
      priority: 1,
    },
  ],
};

export const FOLLOW_UP_SCHEDULE_SOURCE: CrdSource = {
  names: FOLLOW_UP_SCHEDULE_NAMES,
  schema: followUpScheduleSchema,
  printerColumns: [
    {
      name: "Schedule",
      type: "string",
      jsonPath: ".spec.schedule",
      description: "Cron schedule of the runs.",
    },
    {
      name: "Time Zone",
      type: "string",
      jsonPath: ".spec.timeZone",
      description: "Time zone of the schedule.",
    },
    {
      name: "Last Run",
      type: "date",
      jsonPath: ".status.lastScheduleTime",
      description: "When a run last started.",
    },
    AGE,
    {
      name: "Suspend",
      type: "boolean",
      jsonPath: ".spec.suspend",
      description: "Runs are stopped.",
      priority: 1,
    },
  ],
};

export const CRD_SOURCES: readonly CrdSource[] = [CAMPAIGN_SOURCE, FOLLOW_UP_SCHEDULE_SOURCE];

/** The OpenAPI v3 schema of a kind, as it goes into the CRD. */
export function openApiSchema(schema: z.ZodType): JsonSchema {
  const raw = z.toJSONSchema(schema, {
    target: "openapi-3.0",
    io: "input",
    reused: "inline",
    cycles: "throw",
    unrepresentable: "throw",
  }) as JsonSchema;
  const properties = { ...(raw.properties as Record<string, JsonSchema>) };
  properties.apiVersion = {
    type: "string",
    description: "APIVersion defines the versioned schema of this representation of an object.",
  };
  properties.kind = { type: "string", description: "Kind is a string value representing the REST resource." };
  delete properties.metadata;
  const required = (raw.required as string[] | undefined)?.filter(
    (k) => !["apiVersion", "kind", "metadata"].includes(k),
  );
  const structural = toStructural({ ...raw, properties, required });
  // The API server owns metadata's schema: a CRD may say no more than that it is an object.
  const { apiVersion, kind, ...rest } = structural.properties as Record<string, JsonSchema>;
  structural.properties = { apiVersion, kind, metadata: { type: "object" }, ...rest };
  return structural;
}

export function buildCrd(source: CrdSource): JsonSchema {
  const { names } = source;
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: names.crdName,
      labels: { "app.kubernetes.io/name": "busca-ativa", "app.kubernetes.io/part-of": "busca-ativa" },
    },
    spec: {
      group: GROUP,
      names: {
        kind: names.kind,
        listKind: names.listKind,
        plural: names.plural,
        singular: names.singular,
        shortNames: [...names.shortNames],
        categories: [CATEGORY],
      },
      scope: "Namespaced",
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: openApiSchema(source.schema) },
          subresources: { status: {} },
          additionalPrinterColumns: source.printerColumns.map((c) => ({ ...c })),
        },
      ],
    },
  };
}
