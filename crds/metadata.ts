/**
 * Object metadata as read back from the API server. Only the fields the product uses are typed; the
 * rest (managedFields, ownerReferences, …) is kept as is.
 */
import { z } from "zod";
import type { ValidationRule } from "./rules.js";

export const objectMetaSchema = z.looseObject({
  name: z.string(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.int().optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  finalizers: z.array(z.string()).optional(),
});

export type ObjectMeta = z.output<typeof objectMetaSchema>;

/** A rule on the whole object limiting the length of metadata.name (checked at the CRD's root). */
export function nameLengthRule(
  kind: string,
  max: number,
  why: string,
): ValidationRule<{ metadata: ObjectMeta }> {
  return {
    rule: `size(self.metadata.name) <= ${max}`,
    // No fieldPath: the CRD schema cannot describe metadata, so the message names the field.
    message: `metadata.name of a ${kind} may be at most ${max} characters long (${why})`,
    holds: (o) => o.metadata.name.length <= max,
  };
}
