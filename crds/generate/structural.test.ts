import { describe, expect, it } from "vitest";
import { applyDefaults, toStructural } from "./structural.js";

describe("toStructural", () => {
  it("turns nullable unions into nullable, drops additionalProperties false and orders keys", () => {
    const out = toStructural({
      type: "object",
      additionalProperties: false,
      description: "root",
      properties: { a: { anyOf: [{ type: "string", maxLength: 3 }, { type: "null" }], description: "A" } },
    });
    expect(out).toEqual({
      description: "root",
      type: "object",
      properties: { a: { description: "A", type: "string", nullable: true, maxLength: 3 } },
    });
    expect(Object.keys(out)).toEqual(["description", "type", "properties"]);
  });

  it("writes zod's implicit integer bounds as formats", () => {
    const out = toStructural({
      type: "object",
      properties: {
        big: { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: "b" },
        small: { type: "integer", minimum: -2147483648, maximum: 2147483647, description: "s" },
        bounded: { type: "integer", minimum: 1, maximum: 100, description: "q" },
      },
    });
    expect(out.properties).toEqual({
      big: { description: "b", type: "integer", format: "int64", minimum: 0 },
      small: { description: "s", type: "integer", format: "int32" },
      bounded: { description: "q", type: "integer", format: "int32", minimum: 1, maximum: 100 },
    });
  });

  it("refuses what a structural schema cannot hold, naming the field", () => {
    expect(() =>
      toStructural({
        type: "object",
        properties: { a: { anyOf: [{ type: "string" }, { type: "integer" }], description: "x" } },
      }),
    ).toThrow(/^a: unions cannot be expressed/);
    expect(() =>
      toStructural({ type: "object", properties: { a: { $ref: "#/x", description: "x" } } }),
    ).toThrow(/"\$ref" is not allowed/);
    expect(() => toStructural({ type: "object", properties: { a: { type: "string" } } })).toThrow(
      /^a: has no description/,
    );
    expect(() => toStructural({ properties: {} })).toThrow(/every node needs a type/);
  });

  it("completes object defaults with their fields' defaults, as the API server applies them", () => {
    const out = toStructural({
      type: "object",
      properties: {
        window: {
          type: "object",
          description: "w",
          default: {},
          properties: {
            start: { type: "string", default: "08:00", description: "s" },
            end: { type: "string", default: "18:00", description: "e" },
          },
        },
      },
    });
    expect((out.properties as Record<string, { default: unknown }>).window?.default).toEqual({
      start: "08:00",
      end: "18:00",
    });
  });
});

describe("applyDefaults", () => {
  it("keeps given values and fills list items", () => {
    const schema = {
      type: "array",
      items: { type: "object", properties: { final: { type: "boolean", default: false } } },
    };
    expect(applyDefaults([{ final: true }, {}], schema)).toEqual([{ final: true }, { final: false }]);
  });
});
