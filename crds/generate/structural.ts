/**
 * Turns zod's JSON Schema (OpenAPI 3.0 flavour) into a Kubernetes structural schema: every node typed,
 * no $ref, no combinators, no `additionalProperties: false`, nullable instead of `anyOf [.., null]`,
 * integer formats instead of zod's safe-integer bounds, a description on every field, and a stable
 * key order so the YAML diffs well.
 */
export type JsonSchema = { [key: string]: unknown };

const KEY_ORDER = [
  "description",
  "type",
  "format",
  "enum",
  "default",
  "nullable",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "minLength",
  "maxLength",
  "pattern",
  "minItems",
  "maxItems",
  "minProperties",
  "maxProperties",
  "required",
  "properties",
  "additionalProperties",
  "items",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-map-type",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-validations",
] as const;
const ALLOWED = new Set<string>(KEY_ORDER);

const INT32 = { min: -2147483648, max: 2147483647 };
const SAFE_INT = { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER };

export class StructuralSchemaError extends Error {
  constructor(path: string, problem: string) {
    super(`${path}: ${problem} (fix the zod schema in crds/)`);
    this.name = "StructuralSchemaError";
  }
}

export interface StructuralOptions {
  /** Require a description on every property (default true). */
  requireDescriptions?: boolean;
}

export function toStructural(input: JsonSchema, path = "", options: StructuralOptions = {}): JsonSchema {
  const requireDescriptions = options.requireDescriptions ?? true;
  let node: JsonSchema = { ...input };
  delete node.$schema;
  delete node.id;
  node = unwrapNullable(node, path);
  if ("const" in node) {
    node.enum = [node.const];
    delete node.const;
  }
  if (node.additionalProperties === false) delete node.additionalProperties;
  for (const key of Object.keys(node)) {
    if (!ALLOWED.has(key))
      throw new StructuralSchemaError(path || "<root>", `"${key}" is not allowed in a CRD schema`);
  }
  if (typeof node.type !== "string")
    throw new StructuralSchemaError(path || "<root>", "every node needs a type");
  if (node.type === "integer") fixIntegerBounds(node);

  if (node.properties !== undefined) {
    const properties = node.properties as Record<string, JsonSchema>;
    const out: Record<string, JsonSchema> = {};
    for (const [name, child] of Object.entries(properties)) {
      const childPath = path ? `${path}.${name}` : name;
      if (requireDescriptions && typeof child.description !== "string") {
        throw new StructuralSchemaError(childPath, "has no description: add .meta({ description })");
      }
      out[name] = toStructural(child, childPath, options);
    }
    node.properties = out;
    if (Array.isArray(node.required) && node.required.length === 0) delete node.required;
  }
  if (typeof node.additionalProperties === "object" && node.additionalProperties !== null) {
    node.additionalProperties = toStructural(node.additionalProperties as JsonSchema, `${path}[*]`, {
      requireDescriptions: false,
    });
  }
  if (node.items !== undefined) {
    node.items = toStructural(node.items as JsonSchema, `${path}[*]`, { requireDescriptions: false });
  }
  if (node.default !== undefined) node.default = applyDefaults(node.default, node);
  return ordered(node);
}

/**
 * Fills the defaults of nested fields into a default value, as the API server does when it applies
 * the default: an object defaulted to `{}` gets its fields' defaults too. The API server checks a
 * default against the schema's rules as written, so it must be given complete.
 */
export function applyDefaults(value: unknown, schema: JsonSchema): unknown {
  if (Array.isArray(value)) {
    const items = schema.items as JsonSchema | undefined;
    return items ? value.map((item) => applyDefaults(item, items)) : value;
  }
  if (typeof value !== "object" || value === null) return value;
  const properties = (schema.properties as Record<string, JsonSchema> | undefined) ?? {};
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [name, property] of Object.entries(properties)) {
    if (out[name] === undefined && property.default !== undefined)
      out[name] = structuredClone(property.default);
  }
  for (const [name, child] of Object.entries(out)) {
    const property = properties[name];
    if (property) out[name] = applyDefaults(child, property);
  }
  return out;
}

/** zod writes `.nullable()` as `nullable: true` (OpenAPI 3.0) or as `anyOf: [X, {type: "null"}]`. */
function unwrapNullable(node: JsonSchema, path: string): JsonSchema {
  const variants = node.anyOf ?? node.oneOf;
  if (variants === undefined) return node;
  if (!Array.isArray(variants)) throw new StructuralSchemaError(path, "anyOf must be a list");
  const nonNull = variants.filter((v: JsonSchema) => v.type !== "null");
  if (nonNull.length !== 1 || nonNull.length === variants.length) {
    throw new StructuralSchemaError(
      path || "<root>",
      "unions cannot be expressed in a structural schema; use optional fields and a rule",
    );
  }
  const rest = { ...node };
  delete rest.anyOf;
  delete rest.oneOf;
  return { ...(nonNull[0] as JsonSchema), ...rest, nullable: true };
}

/** zod's z.int() and z.int32() write their implicit bounds; Kubernetes says the same with a format. */
function fixIntegerBounds(node: JsonSchema): void {
  if (node.minimum === INT32.min || node.maximum === INT32.max) node.format ??= "int32";
  for (const bound of ["minimum", "maximum"] as const) {
    if ([INT32.min, INT32.max, SAFE_INT.min, SAFE_INT.max].includes(node[bound] as number))
      delete node[bound];
  }
  if (node.format === undefined) {
    const fitsInt32 =
      typeof node.minimum === "number" &&
      typeof node.maximum === "number" &&
      node.minimum >= INT32.min &&
      node.maximum <= INT32.max;
    node.format = fitsInt32 ? "int32" : "int64";
  }
}

function ordered(node: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const key of KEY_ORDER) if (key in node) out[key] = node[key];
  return out;
}
