import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import { describe, expect, it } from "vitest";
import { VALID_DDDS } from "./ddd.js";
import { normalisePhone, numberingPlanType } from "./normalise.js";
import { canonicalPhone, phoneVariants } from "./variants.js";

describe("normalisePhone", () => {
  it.each([
    ["85987654321", "+5585987654321", "mobile"],
    ["8532345678", "+558532345678", "fixed_line"],
    ["+558587654321", "+5585987654321", "mobile"],
    ["011987654321", "+5511987654321", "mobile"],
    ["0xx11987654321", "+5511987654321", "mobile"],
    ["0 15 11 98765 4321", "+5511987654321", "mobile"],
    ["55987654321", "+5555987654321", "mobile"],
  ])("normalises %s to %s (%s)", (input, e164, lineType) => {
    const result = normalisePhone(input);
    expect(result).toMatchObject({ ok: true, phone: { e164, lineType } });
  });

  it("accepts every one of the 67 DDDs for a mobile", () => {
    expect(VALID_DDDS.size).toBe(67);
    for (const ddd of VALID_DDDS) {
      expect(normalisePhone(`${ddd}987654321`)).toMatchObject({
        ok: true,
        phone: { e164: `+55${ddd}987654321` },
      });
    }
  });

  it("refuses every two-digit code that is not a DDD", () => {
    for (let n = 10; n <= 99; n++) {
      const ddd = String(n);
      if (VALID_DDDS.has(ddd)) continue;
      const result = normalisePhone(`${ddd}987654321`);
      expect(result.ok ? "accepted" : result.reason, ddd).not.toBe("accepted");
    }
    expect(normalisePhone("20987654321")).toMatchObject({ ok: false, reason: "INVALID_DDD" });
  });

  it("uses an inherited DDD only for numbers written without one", () => {
    expect(normalisePhone("987654321", { inheritedDdd: "85" })).toMatchObject({
      ok: true,
      phone: { e164: "+5585987654321", dddInferred: true },
    });
    expect(normalisePhone("11987654321", { inheritedDdd: "85" })).toMatchObject({
      ok: true,
      phone: { e164: "+5511987654321", dddInferred: false },
    });
  });
});

describe("numberingPlanType", () => {
  it("agrees with libphonenumber for every DDD, every two-digit prefix and both lengths", () => {
    let seed = 7;
    const digits = (n: number) =>
      Array.from({ length: n }, () => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return String(seed % 10);
      }).join("");
    let checked = 0;
    for (const ddd of VALID_DDDS) {
      for (let prefix = 0; prefix < 100; prefix++) {
        for (const length of [8, 9]) {
          for (let sample = 0; sample < 2; sample++) {
            const national = ddd + String(prefix).padStart(2, "0") + digits(length - 2);
            const parsed = parsePhoneNumberFromString(`+55${national}`);
            const direct = parsed?.isValid() ? (parsed.getType() ?? "NO_TYPE") : "INVALID";
            expect(numberingPlanType(national), national).toBe(direct);
            checked++;
          }
        }
      }
    }
    expect(checked).toBe(67 * 100 * 2 * 2);
  });
});

describe("phoneVariants", () => {
  it.each([
    ["+5585987654321", ["+5585987654321", "+558587654321"]],
    ["+558587654321", ["+5585987654321", "+558587654321"]],
    ["558587654321", ["+5585987654321", "+558587654321"]],
    ["+558532345678", ["+558532345678"]],
    ["+5511912345678", ["+5511912345678"]],
    ["+12125550100", ["+12125550100"]],
  ])("%s matches %j", (input, variants) => {
    expect(phoneVariants(input)).toEqual(variants);
  });

  it("gives the canonical form with the 9th digit", () => {
    expect(canonicalPhone("+558587654321")).toBe("+5585987654321");
  });
});
