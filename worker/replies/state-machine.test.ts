/** The reply state machine as a table, from the Celery system's behaviour (domain §5) and its fixed bugs. */
import { describe, expect, it } from "vitest";
import { classifyReply, declineReasonFrom, normaliseReply } from "./classify.js";
import {
  decideReply,
  reasonTimedOut,
  type ReplyContext,
  type ReplyDecision,
  type ReplySettings,
} from "./state-machine.js";

// The Celery system's lists (domain §5.5) plus the opt-out words; the product's defaults live in crds/.
const settings: ReplySettings = {
  keywords: {
    confirm: [
      "SIM",
      "S",
      "1",
      "CONFIRMO",
      "CONFIRMADO",
      "TENHO INTERESSE",
      "ACEITO",
      "OK",
      "1 SIM",
      "1SIM",
      "SIM 1",
      "SIM1",
    ],
    decline: [
      "NAO",
      "NÃO",
      "N",
      "2",
      "NAO QUERO",
      "NÃO QUERO",
      "NAO TENHO INTERESSE",
      "2 NAO",
      "NAO 2",
      "2NAO",
    ],
    notMe: ["3", "DESCONHECO", "DESCONHEÇO", "NAO SOU", "NÃO SOU", "ENGANO", "NUMERO ERRADO", "3 DESCONHECO"],
    optOut: ["SAIR", "PARAR", "STOP", "DESCADASTRAR"],
  },
  reasonOptions: [
    { code: "done-elsewhere", keywords: ["1", "1️⃣"] },
    { code: "health-problems", keywords: ["2", "2️⃣"] },
    { code: "no-longer-wanted", keywords: ["3", "3️⃣"] },
    { code: "other", keywords: ["4", "4️⃣"] },
  ],
  freeTextReasonCode: "other",
};

const now = new Date("2026-11-30T12:00:00Z");
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3600_000);

function context(overrides: Partial<ReplyContext>): ReplyContext {
  return {
    contactState: "sent",
    phoneReply: null,
    otherReachedPhoneReplies: [],
    lastAlreadyAnsweredAt: null,
    text: "",
    now,
    ...overrides,
  };
}

type Case = [name: string, input: Partial<ReplyContext>, expected: Partial<ReplyDecision>];

const cases: Case[] = [
  // Answers to the first message.
  [
    "SIM confirms",
    { text: "SIM" },
    { contactState: "confirmed", phoneReply: "confirmed", answer: "confirmed" },
  ],
  ["lower-case sim confirms", { text: "sim" }, { contactState: "confirmed", answer: "confirmed" }],
  ["'1' confirms", { text: "1" }, { contactState: "confirmed", answer: "confirmed" }],
  ["the keycap emoji 1️⃣ confirms", { text: "1️⃣" }, { contactState: "confirmed", answer: "confirmed" }],
  ["'Sim!' with punctuation confirms", { text: "  Sim! " }, { contactState: "confirmed" }],
  [
    "'tenho   interesse' with extra spaces confirms",
    { text: "tenho   interesse" },
    { contactState: "confirmed" },
  ],
  ["'1 SIM' confirms", { text: "1 sim" }, { contactState: "confirmed" }],
  [
    "NÃO asks for the reason",
    { text: "NÃO" },
    { contactState: "awaiting_reason", phoneReply: "declined", answer: "declineReasonQuestion" },
  ],
  [
    "'nao' without accent declines",
    { text: "nao" },
    { contactState: "awaiting_reason", answer: "declineReasonQuestion" },
  ],
  ["'2' declines", { text: "2" }, { contactState: "awaiting_reason" }],
  ["the keycap emoji 2️⃣ declines", { text: "2️⃣" }, { contactState: "awaiting_reason" }],
  ["'Não quero' declines", { text: "Não quero" }, { contactState: "awaiting_reason" }],
  [
    "DESCONHEÇO from the only phone closes the contact as not-me",
    { text: "DESCONHEÇO" },
    { contactState: "not_me", phoneReply: "not_me", answer: "notMe" },
  ],
  ["'3' from the only phone closes as not-me", { text: "3" }, { contactState: "not_me", answer: "notMe" }],
  ["'desconheco' without accent is not-me", { text: "desconheco" }, { phoneReply: "not_me" }],
  [
    "DESCONHEÇO with another phone still unanswered marks only this phone",
    { text: "DESCONHEÇO", otherReachedPhoneReplies: [null] },
    { phoneReply: "not_me", answer: "phoneNotMe", contactState: undefined },
  ],
  [
    "DESCONHEÇO when every other phone said so closes the contact",
    { text: "3", otherReachedPhoneReplies: ["not_me", "not_me"] },
    { contactState: "not_me", answer: "notMe" },
  ],
  [
    "SIM from a second phone after the first said DESCONHEÇO confirms",
    { text: "SIM", otherReachedPhoneReplies: ["not_me"] },
    { contactState: "confirmed", answer: "confirmed" },
  ],
  [
    "DESCONHEÇO again from a phone already marked not-me gets the already-answered text once",
    { text: "3", phoneReply: "not_me", otherReachedPhoneReplies: [null] },
    { answer: "answeredOnAnotherPhone", contactState: undefined, phoneReply: undefined },
  ],
  [
    "a sentence containing sim is not an answer",
    { text: "sim, mas quando?" },
    { answer: "notUnderstood", contactState: undefined },
  ],
  ["'teste' is not SIM (the Celery substring bug)", { text: "teste" }, { answer: "notUnderstood" }],
  ["'4' is not an answer to the first message", { text: "4" }, { answer: "notUnderstood" }],
  ["an empty text is not an answer", { text: "   " }, { answer: "notUnderstood" }],
  ["an emoji alone is not an answer", { text: "👍" }, { answer: "notUnderstood" }],
  // The reason question.
  [
    "'1' after NÃO records reason option 1",
    { contactState: "awaiting_reason", text: "1" },
    { contactState: "declined", declineReason: { code: "done-elsewhere" }, answer: "declined" },
  ],
  [
    "'4️⃣' after NÃO records option 4",
    { contactState: "awaiting_reason", text: "4️⃣" },
    { declineReason: { code: "other" } },
  ],
  [
    "free text after NÃO is the reason",
    { contactState: "awaiting_reason", text: "  Mudei de cidade  " },
    { contactState: "declined", declineReason: { code: "other", text: "Mudei de cidade" } },
  ],
  [
    "'9' after NÃO (no such option) is kept as free text",
    { contactState: "awaiting_reason", text: "9" },
    { declineReason: { code: "other", text: "9" } },
  ],
  [
    "SIM after NÃO is taken as the reason text, as in the Celery system",
    { contactState: "awaiting_reason", text: "SIM" },
    { contactState: "declined", declineReason: { code: "other", text: "SIM" } },
  ],
  [
    "a reason longer than 200 characters is cut",
    { contactState: "awaiting_reason", text: "x".repeat(300) },
    { declineReason: { code: "other", text: "x".repeat(200) } },
  ],
  // Contacts that already answered.
  [
    "SIM after confirming gets 'already confirmed'",
    { contactState: "confirmed", phoneReply: "confirmed", text: "SIM" },
    { answer: "alreadyConfirmed", contactState: undefined },
  ],
  [
    "any text after declining gets 'already declined'",
    { contactState: "declined", phoneReply: "declined", text: "oi" },
    { answer: "alreadyDeclined" },
  ],
  [
    "a text after not-me gets 'already not me'",
    { contactState: "not_me", phoneReply: "not_me", text: "olá" },
    { answer: "alreadyClosed" },
  ],
  [
    "another phone of a confirmed contact is told it was answered elsewhere",
    { contactState: "confirmed", phoneReply: null, text: "2" },
    { answer: "answeredOnAnotherPhone", contactState: undefined },
  ],
  [
    "the already-answered text goes at most once per 24 h",
    { contactState: "confirmed", phoneReply: "confirmed", text: "SIM", lastAlreadyAnsweredAt: hoursAgo(3) },
    { answer: undefined },
  ],
  [
    "after 24 h it may go again",
    { contactState: "confirmed", phoneReply: "confirmed", text: "SIM", lastAlreadyAnsweredAt: hoursAgo(25) },
    { answer: "alreadyConfirmed" },
  ],
  // Opt-out.
  ["SAIR opts out", { text: "SAIR" }, { optOut: true, contactState: "opted_out", answer: "optedOut" }],
  ["'parar' opts out", { text: "parar" }, { optOut: true }],
  [
    "SAIR while awaiting the reason opts out instead of being the reason",
    { contactState: "awaiting_reason", text: "Sair" },
    { optOut: true, contactState: "opted_out" },
  ],
  [
    "SAIR after confirming keeps the outcome and records the opt-out",
    { contactState: "confirmed", phoneReply: "confirmed", text: "SAIR" },
    { optOut: true, contactState: undefined, answer: "optedOut" },
  ],
  [
    "SAIR twice does nothing the second time",
    { contactState: "opted_out", text: "SAIR" },
    { optOut: undefined, answer: undefined },
  ],
  [
    "an opted-out contact gets no answer",
    { contactState: "opted_out", text: "SIM" },
    { answer: undefined, contactState: undefined },
  ],
  // Late and early replies.
  [
    "SIM after the slot was released is recorded",
    { contactState: "no_response", text: "SIM" },
    { contactState: "confirmed", answer: "confirmed" },
  ],
  [
    "NÃO after the slot was released asks the reason",
    { contactState: "no_response", text: "não" },
    { contactState: "awaiting_reason" },
  ],
  [
    "free text after release gets 'not understood'",
    { contactState: "no_response", text: "quem é?" },
    { answer: "notUnderstood" },
  ],
  [
    "SIM from a contact not yet messaged is still recorded",
    { contactState: "ready", text: "sim" },
    { contactState: "confirmed" },
  ],
  [
    "free text from a contact not yet messaged gets no answer",
    { contactState: "pending", text: "oi" },
    { answer: undefined },
  ],
  [
    "a contact without WhatsApp gets no answer",
    { contactState: "no_whatsapp", text: "SIM" },
    { answer: undefined, contactState: undefined },
  ],
];

describe("decideReply", () => {
  it("covers at least 40 cases", () => expect(cases.length).toBeGreaterThanOrEqual(40));

  it.each(cases)("%s", (_name, input, expected) => {
    const decision = decideReply(context(input), settings);
    for (const [key, value] of Object.entries(expected)) {
      expect(decision[key as keyof ReplyDecision], key).toEqual(value);
    }
  });
});

describe("classifyReply and normaliseReply", () => {
  it.each([
    ["1️⃣", "1"],
    ["  Não   Quero!! ", "NAO QUERO"],
    ["Desconheço.", "DESCONHECO"],
    ["👍 sim 👍", "SIM"],
  ])("normalises %j to %j", (text, expected) => expect(normaliseReply(text)).toBe(expected));

  it("puts opt-out ahead of every other list", () => {
    expect(classifyReply("STOP", { ...settings.keywords, confirm: ["STOP"] })).toBe("opt_out");
  });
});

describe("declineReasonFrom and reasonTimedOut", () => {
  it("maps an option's keyword to its code", () =>
    expect(declineReasonFrom("2️⃣", settings.reasonOptions, "other")).toEqual({ code: "health-problems" }));
  it("times a reason out after the configured wait, not before", () => {
    expect(reasonTimedOut(hoursAgo(47), now, 48 * 3600_000)).toBe(false);
    expect(reasonTimedOut(hoursAgo(48), now, 48 * 3600_000)).toBe(true);
    expect(reasonTimedOut(null, now, 1)).toBe(false);
  });
});
