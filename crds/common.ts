/**
 * Small schemas shared by both kinds: bounded texts, Kubernetes names and references, times of day,
 * durations, time zones, timestamps and label selectors.
 */
import { z } from "zod";
import { DURATION_PATTERN, parseDuration } from "./duration.js";
import { celRegex, matchesRule, withRules } from "./rules.js";

/** Length in Unicode code points, as the API server counts `maxLength` and CEL counts `size()`. */
export function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** A string whose length is bounded in code points (an emoji counts once, as the API server counts). */
export function text(options: { min?: number; max: number }) {
  const { min = 0, max } = options;
  const schema = z.string().superRefine((s, ctx) => {
    const n = codePointLength(s);
    if (n < min)
      ctx.addIssue({ code: "custom", message: `must be at least ${min} characters long`, input: s });
    if (n > max)
      ctx.addIssue({ code: "custom", message: `may not be longer than ${max} characters`, input: s });
  });
  return schema.meta(min > 0 ? { minLength: min, maxLength: max } : { maxLength: max });
}

export const DNS_LABEL_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
export const DNS_SUBDOMAIN_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

/** The name of a Secret, ConfigMap or other object in the same namespace (DNS subdomain). */
export const objectName = () => z.string().min(1).max(253).regex(new RegExp(DNS_SUBDOMAIN_PATTERN));

/** A key inside a Secret or ConfigMap. */
export const dataKey = () =>
  z
    .string()
    .min(1)
    .max(253)
    .regex(/^[-._a-zA-Z0-9]+$/);

export const localObjectReference = (what: string) =>
  z
    .object({ name: objectName().meta({ description: `Name of the ${what} in the campaign's namespace.` }) })
    .meta({ description: `Reference to a ${what} in the same namespace.` });

export const keyReference = (what: string) =>
  z
    .object({
      name: objectName().meta({ description: `Name of the ${what} in the same namespace.` }),
      key: dataKey().meta({ description: `Key inside the ${what} that holds the file.` }),
    })
    .meta({ description: `A key of a ${what} in the same namespace.` });

export const TIME_OF_DAY_PATTERN = "^([01][0-9]|2[0-3]):[0-5][0-9]$";

/** "HH:MM", 00:00 to 23:59. */
export const timeOfDay = () =>
  withRules(z.string().max(5), [
    matchesRule(
      TIME_OF_DAY_PATTERN,
      "must be a time of day written as HH:MM between 00:00 and 23:59, e.g. 08:00",
    ),
  ]);

/** Minutes since midnight of an "HH:MM" value the schema accepted. */
export function minutesOfDay(hhmm: string): number {
  const [h = "0", m = "0"] = hhmm.split(":");
  return Number(h) * 60 + Number(m);
}

/**
 * A duration within bounds, written like "30s", "12m", "24h" or "1h30m". Checked by CEL's
 * `duration()` on the API server and by `parseDuration` here.
 */
export function duration(bounds: { min: string; max: string }) {
  const minMs = parseDuration(bounds.min);
  const maxMs = parseDuration(bounds.max);
  if (minMs === undefined || maxMs === undefined) throw new Error("duration bounds must be durations");
  return withRules(z.string().max(20), [
    {
      rule:
        `self != '' && self.matches(${celRegex(DURATION_PATTERN)}) && ` +
        `duration(self) >= duration('${bounds.min}') && duration(self) <= duration('${bounds.max}')`,
      message: `must be a duration in hours, minutes and seconds such as 30s, 12m, 24h or 1h30m, from ${bounds.min} to ${bounds.max}`,
      holds: (s) => {
        const ms = parseDuration(s);
        return ms !== undefined && ms >= minMs && ms <= maxMs;
      },
    },
  ]);
}

/** Shape of an IANA time-zone name; whether the zone exists is the controller's check. */
export const TIME_ZONE_PATTERN = "^(UTC|[A-Z][A-Za-z_+-]*(/[A-Za-z0-9_+-]+){1,2})$";
export const DEFAULT_TIME_ZONE = "America/Fortaleza";

export const timeZone = () =>
  withRules(z.string().max(64), [
    matchesRule(
      TIME_ZONE_PATTERN,
      "must be an IANA time-zone name such as America/Fortaleza, America/Sao_Paulo or UTC",
    ),
  ]).default(DEFAULT_TIME_ZONE);

/** RFC 3339 date and time with a time zone ("Z" or an offset), as Kubernetes writes timestamps. */
export const DATE_TIME_PATTERN =
  "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$";

/**
 * RFC 3339 timestamps (status, and spec fields a person writes). The CRD says `format: date-time`,
 * which makes CEL see a timestamp, and the pattern keeps the API server and the parse in agreement.
 */
export const timestamp = () =>
  z.string().max(40).regex(new RegExp(DATE_TIME_PATTERN)).meta({ format: "date-time" });

/** Counters in status. */
export const count = () => z.int().min(0);

/** A Kubernetes label selector (`metav1.LabelSelector`). */
export const labelSelector = () =>
  z
    .object({
      matchLabels: z
        .record(z.string(), z.string().max(63))
        .meta({ description: "Labels the campaign must carry, all of them (key: value).", maxProperties: 32 })
        .optional(),
      matchExpressions: z
        .array(
          withRules(
            z
              .object({
                key: z
                  .string()
                  .min(1)
                  .max(317)
                  .meta({ description: "The label key the expression applies to." }),
                operator: z
                  .enum(["In", "NotIn", "Exists", "DoesNotExist"])
                  .meta({ description: "How the label's value relates to `values`." }),
                values: z
                  .array(z.string().max(63))
                  .max(32)
                  .meta({ description: "Values for In and NotIn; empty for Exists and DoesNotExist." })
                  .optional(),
              })
              .meta({ description: "A requirement on one label." }),
            [
              {
                rule: "(self.operator in ['In', 'NotIn']) == (has(self.values) && size(self.values) > 0)",
                message: "values must be given for In and NotIn and left out for Exists and DoesNotExist",
                fieldPath: ".values",
                holds: (e) =>
                  ["In", "NotIn"].includes(e.operator) === (e.values !== undefined && e.values.length > 0),
              },
            ],
          ),
        )
        .max(16)
        .meta({ description: "Requirements on labels, all of which must hold." })
        .optional(),
    })
    .meta({
      description: "A Kubernetes label selector; an empty selector matches every campaign in the namespace.",
    });

/**
 * A list whose items are unique (`x-kubernetes-list-type: set`); the parse refuses duplicates with
 * the API server's words.
 */
export function asSet<T extends z.ZodType<readonly unknown[]>>(schema: T): T {
  return uniqueBy(schema, (item) => JSON.stringify(item)).meta({ "x-kubernetes-list-type": "set" }) as T;
}

/** A list of objects unique by some keys (`x-kubernetes-list-type: map`). */
export function asMap<T extends z.ZodType<readonly Record<string, unknown>[]>>(
  schema: T,
  keys: readonly string[],
): T {
  return uniqueBy(schema, (item) =>
    JSON.stringify(keys.map((k) => (item as Record<string, unknown>)[k])),
  ).meta({
    "x-kubernetes-list-type": "map",
    "x-kubernetes-list-map-keys": [...keys],
  }) as T;
}

function uniqueBy<T extends z.ZodType<readonly unknown[]>>(schema: T, keyOf: (item: unknown) => string): T {
  return schema.superRefine((items, ctx) => {
    const seen = new Set<string>();
    items.forEach((item, index) => {
      const key = keyOf(item);
      if (seen.has(key))
        ctx.addIssue({ code: "custom", message: `Duplicate value: ${key}`, path: [index], input: item });
      seen.add(key);
    });
  });
}
