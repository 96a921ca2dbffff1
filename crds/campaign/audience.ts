/** Campaign `spec.audience`: where the patient list comes from and how its columns are found. */
import { z } from "zod";
import { DNS_LABEL_PATTERN, asSet, keyReference, text } from "../common.js";
import { DEFAULT_COLUMN_ALIASES } from "../defaults.js";
import { immutableRule, withRules } from "../rules.js";

const aliasList = (column: string, defaults: readonly string[]) =>
  asSet(
    z
      .array(text({ min: 1, max: 128 }))
      .min(1)
      .max(32),
  )
    .meta({
      description: `Header names that identify the ${column} column, compared after trimming, lower-casing and collapsing spaces. When several headers match, the last one wins.`,
    })
    .prefault([...defaults]);

export const columnMappingSchema = z
  .object({
    name: aliasList("patient name (required)", DEFAULT_COLUMN_ALIASES.name),
    phone: aliasList(
      "phone numbers (required; several numbers per cell allowed)",
      DEFAULT_COLUMN_ALIASES.phone,
    ),
    procedure: aliasList("procedure (optional; fills {procedimento})", DEFAULT_COLUMN_ALIASES.procedure),
    birthDate: aliasList(
      "birth date (optional; used to merge duplicate rows)",
      DEFAULT_COLUMN_ALIASES.birthDate,
    ),
  })
  .meta({
    description:
      "Which headers of the list hold each column. Defaults are the header aliases of the system this one replaces; set a list to replace its aliases.",
  });

export const AUDIENCE_FORMATS = ["auto", "csv", "xlsx"] as const;

const listReference = z
  .object({
    name: z
      .string()
      .min(1)
      .max(63)
      .regex(new RegExp(DNS_LABEL_PATTERN))
      .meta({ description: "Name given to the list when it was imported with `busca-ativa import`." }),
  })
  .meta({
    description: "A patient list imported with the `busca-ativa import` command into this namespace.",
  });

const audienceBase = z
  .object({
    secretKeyRef: keyReference("Secret")
      .meta({
        description:
          "A Secret key holding the CSV or XLSX file (the usual place: patient data is sensitive).",
      })
      .optional(),
    configMapKeyRef: keyReference("ConfigMap")
      .meta({ description: "A ConfigMap key holding the file: `data` for CSV, `binaryData` for XLSX." })
      .optional(),
    listRef: listReference.optional(),
    format: z.enum(AUDIENCE_FORMATS).default("auto").meta({
      description:
        "File format of a Secret or ConfigMap key: `auto` tells XLSX from CSV by content (XLSX: first sheet). Must be `auto` with `listRef`.",
    }),
    columnMapping: columnMappingSchema.prefault({}),
  })
  .meta({
    description:
      "The patients to contact: exactly one of `secretKeyRef`, `configMapKeyRef` or `listRef`. Cannot change once the campaign exists.",
  });

export const audienceSchema = withRules(audienceBase, [
  {
    rule: "[has(self.secretKeyRef), has(self.configMapKeyRef), has(self.listRef)].filter(x, x).size() == 1",
    message: "set exactly one of secretKeyRef, configMapKeyRef or listRef to say where the patient list is",
    holds: (a) => [a.secretKeyRef, a.configMapKeyRef, a.listRef].filter((x) => x !== undefined).length === 1,
  },
  {
    rule: "!has(self.listRef) || self.format == 'auto'",
    message: "format applies only to a Secret or ConfigMap file; leave it out (auto) with listRef",
    fieldPath: ".format",
    holds: (a) => a.listRef === undefined || a.format === "auto",
  },
  immutableRule(
    "audience cannot change once the campaign exists: create a new Campaign for another patient list",
  ),
]);

export type Audience = z.output<typeof audienceSchema>;
export type ColumnMapping = z.output<typeof columnMappingSchema>;
