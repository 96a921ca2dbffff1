import { describe, expect, it } from "vitest";
import { canonicalE164, evolutionLookupDigits, jidUser, ninthDigitVariants } from "./brazil-numbers.js";

describe("Evolution's createJid rule for Brazil", () => {
  it.each([
    ["5585987654321", "558587654321", "DDD 85 ≥ 31 and next digit 8 ≥ 7: the 9 is dropped"],
    ["5531970000000", "553170000000", "DDD 31 and next digit 7: dropped"],
    ["5585961234567", "5585961234567", "next digit 6 < 7: kept"],
    ["5511987654321", "5511987654321", "DDD 11 < 31: kept"],
    ["5530987654321", "5530987654321", "DDD 30 < 31: kept"],
    ["558532345678", "558532345678", "12 digits: untouched"],
    ["14155550123", "14155550123", "not Brazil: untouched"],
  ])("%s → %s (%s)", (input, expected) => {
    expect(evolutionLookupDigits(input)).toBe(expected);
  });
});

describe("canonical E.164 from a provider's digits", () => {
  it.each([
    ["558587654321", "+5585987654321"],
    ["5585987654321", "+5585987654321"],
    ["556132345678", "+556132345678"],
    ["14155550123", "+14155550123"],
  ])("%s → %s", (digits, expected) => {
    expect(canonicalE164(digits)).toBe(expected);
  });
});

describe("9th-digit variants", () => {
  it("lists both forms of a mobile, with-9 first", () => {
    expect(ninthDigitVariants("+5585987654321")).toEqual(["5585987654321", "558587654321"]);
    expect(ninthDigitVariants("558587654321")).toEqual(["5585987654321", "558587654321"]);
  });

  it("lists only the number itself for a landline", () => {
    expect(ninthDigitVariants("+556132345678")).toEqual(["556132345678"]);
  });
});

describe("jidUser", () => {
  it("drops the server and the device suffix", () => {
    expect(jidUser("5585987654321:12@s.whatsapp.net")).toBe("5585987654321");
    expect(jidUser("190283746501234@lid")).toBe("190283746501234");
  });
});
