import { describe, expect, it } from "vitest";
import {
  DEFAULT_CONFIRM_KEYWORDS,
  DEFAULT_DECLINE_KEYWORDS,
  DEFAULT_DECLINE_REASON_OPTIONS,
  DEFAULT_NOT_ME_KEYWORDS,
  DEFAULT_OPT_OUT_KEYWORDS,
} from "./defaults.js";
import { matchesKeyword, normalizeReplyText } from "./keywords.js";

describe("reply keywords", () => {
  it.each([
    ["sim", DEFAULT_CONFIRM_KEYWORDS],
    ["  Sim  ", DEFAULT_CONFIRM_KEYWORDS],
    ["1️⃣", DEFAULT_CONFIRM_KEYWORDS],
    ["1\u20E3", DEFAULT_CONFIRM_KEYWORDS],
    ["tenho   interesse", DEFAULT_CONFIRM_KEYWORDS],
    ["não", DEFAULT_DECLINE_KEYWORDS],
    ["nao quero", DEFAULT_DECLINE_KEYWORDS],
    ["2️⃣", DEFAULT_DECLINE_KEYWORDS],
    ["desconheço", DEFAULT_NOT_ME_KEYWORDS],
    ["3", DEFAULT_NOT_ME_KEYWORDS],
    ["sair", DEFAULT_OPT_OUT_KEYWORDS],
  ])("%j matches its list", (reply, keywords) => {
    expect(matchesKeyword(reply, keywords)).toBe(true);
  });

  it.each([
    ["Sim!", DEFAULT_CONFIRM_KEYWORDS],
    ["👍 sim", DEFAULT_CONFIRM_KEYWORDS],
    ["NAO QUERO.", DEFAULT_DECLINE_KEYWORDS],
    ["Não sou eu", DEFAULT_NOT_ME_KEYWORDS],
  ])("%j matches its list (punctuation, emoji and accents ignored)", (reply, keywords) => {
    expect(matchesKeyword(reply, keywords)).toBe(true);
  });

  it.each(["sim, mas depois", "teste", "11", "", "👍"])(
    "%j matches no answer (whole message only)",
    (reply) => {
      for (const list of [DEFAULT_CONFIRM_KEYWORDS, DEFAULT_DECLINE_KEYWORDS, DEFAULT_NOT_ME_KEYWORDS]) {
        expect(matchesKeyword(reply, list)).toBe(false);
      }
    },
  );

  it("keeps the default lists apart even after normalisation", () => {
    const lists = [
      DEFAULT_CONFIRM_KEYWORDS,
      DEFAULT_DECLINE_KEYWORDS,
      DEFAULT_NOT_ME_KEYWORDS,
      DEFAULT_OPT_OUT_KEYWORDS,
    ];
    const owner = new Map<string, number>();
    lists.forEach((list, index) => {
      for (const keyword of list) {
        const key = normalizeReplyText(keyword);
        expect(owner.get(key) ?? index, `${keyword} is in two lists`).toBe(index);
        owner.set(key, index);
      }
    });
  });

  it("offers a keycap for every decline reason", () => {
    DEFAULT_DECLINE_REASON_OPTIONS.forEach((option, i) => {
      expect(option.keywords).toContain(`${i + 1}\uFE0F\u20E3`);
    });
  });
});
