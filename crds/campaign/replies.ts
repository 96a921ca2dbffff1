/** Campaign `spec.replies`: how replies are understood and what is sent back. */
import { z } from "zod";
import { DNS_LABEL_PATTERN, asMap, asSet, duration, text } from "../common.js";
import {
  DEFAULT_CONFIRM_KEYWORDS,
  DEFAULT_DECLINE_KEYWORDS,
  DEFAULT_DECLINE_REASON_OPTIONS,
  DEFAULT_DECLINE_REASON_QUESTION,
  DEFAULT_DECLINE_REASON_TIMEOUT,
  DEFAULT_NOT_ME_KEYWORDS,
  DEFAULT_OPT_OUT_KEYWORDS,
  DEFAULT_REPLY_TEXTS,
} from "../defaults.js";
import { withRules } from "../rules.js";
import { template } from "../template.js";

const KEYWORD_MATCHING =
  "A reply matches when the whole message equals a keyword once both are normalised: case, accents, runs of spaces, keycap emoji (1️⃣ is 1) and emoji or punctuation around the words are ignored.";

const keywordList = (what: string, defaults: readonly string[], maxItems = 64) =>
  asSet(
    z
      .array(text({ min: 1, max: 64 }))
      .min(1)
      .max(maxItems),
  )
    .meta({ description: `${what} ${KEYWORD_MATCHING}` })
    .prefault([...defaults]);

const keywordsBase = z
  .object({
    confirm: keywordList(
      "Replies that mean SIM: the patient still wants the procedure.",
      DEFAULT_CONFIRM_KEYWORDS,
    ),
    decline: keywordList(
      "Replies that mean NÃO: the patient no longer wants it (the decline-reason question follows).",
      DEFAULT_DECLINE_KEYWORDS,
    ),
    notMe: keywordList(
      "Replies that mean DESCONHEÇO: this phone does not belong to the patient.",
      DEFAULT_NOT_ME_KEYWORDS,
    ),
    optOut: keywordList(
      "Replies that stop all messages from this namespace's campaigns to that phone (checked first, in any state).",
      DEFAULT_OPT_OUT_KEYWORDS,
    ),
  })
  .meta({ description: "Keyword lists for each kind of answer." });

type Keywords = z.output<typeof keywordsBase>;
const OUTCOMES = ["confirm", "decline", "notMe", "optOut"] as const;

const keywordsSchema = withRules(keywordsBase, [
  {
    rule:
      "self.confirm.all(k, !(k in self.decline) && !(k in self.notMe) && !(k in self.optOut)) && " +
      "self.decline.all(k, !(k in self.notMe) && !(k in self.optOut)) && self.notMe.all(k, !(k in self.optOut))",
    message: "a keyword may appear in only one of confirm, decline, notMe and optOut",
    holds: (k: Keywords) =>
      OUTCOMES.every((a, i) =>
        OUTCOMES.slice(i + 1).every((b) => k[a].every((word) => !k[b].includes(word))),
      ),
  },
]);

const reasonOptionSchema = z
  .object({
    code: z
      .string()
      .min(1)
      .max(63)
      .regex(new RegExp(DNS_LABEL_PATTERN))
      .meta({ description: "Stable code recorded as the decline reason, e.g. health-problems." }),
    label: text({ min: 1, max: 200 }).meta({ description: "The reason in words, as shown in reports." }),
    keywords: asSet(
      z
        .array(text({ min: 1, max: 64 }))
        .min(1)
        .max(16),
    ).meta({
      description: `Replies that choose this reason. ${KEYWORD_MATCHING}`,
    }),
  })
  .meta({ description: "One answer to the decline-reason question." });

const reasonOptionsSchema = withRules(
  asMap(z.array(reasonOptionSchema).min(1).max(9), ["code"]).meta({
    description: "The answers offered, in the order the question lists them. Codes are unique.",
  }),
  [
    {
      rule: "self.all(a, self.all(b, a.code == b.code || a.keywords.all(k, !(k in b.keywords))))",
      message: "a keyword may choose only one decline reason",
      holds: (options) =>
        options.every((a) =>
          options.every((b) => a.code === b.code || a.keywords.every((k) => !b.keywords.includes(k))),
        ),
    },
  ],
).prefault(DEFAULT_DECLINE_REASON_OPTIONS.map((o) => ({ ...o, keywords: [...o.keywords] })));

const declineReasonSchema = z
  .object({
    question: template("Sent after a NÃO to ask why; it should list the options.").default(
      DEFAULT_DECLINE_REASON_QUESTION,
    ),
    options: reasonOptionsSchema,
    timeout: duration({ min: "1h", max: "720h" }).default(DEFAULT_DECLINE_REASON_TIMEOUT).meta({
      description:
        "How long to wait for the reason; after it the decline is recorded with reason code `not-given`. A reply that matches no option is recorded as code `other` with its text.",
    }),
  })
  .meta({ description: "The question asked after a NÃO, and its answers." });

const replyText = (description: string, value: string) => template(description).default(value);

const textsSchema = z
  .object({
    confirmed: replyText("Sent after a SIM.", DEFAULT_REPLY_TEXTS.confirmed),
    declined: replyText("Sent once the decline reason is recorded.", DEFAULT_REPLY_TEXTS.declined),
    notMe: replyText(
      "Sent after a DESCONHEÇO when every phone of the patient has said so (the contact is closed as not reached).",
      DEFAULT_REPLY_TEXTS.notMe,
    ),
    phoneNotMe: replyText(
      "Sent after a DESCONHEÇO while other phones of the patient may still answer (only this phone is dropped).",
      DEFAULT_REPLY_TEXTS.phoneNotMe,
    ),
    notUnderstood: replyText("Sent when a reply matches no keyword.", DEFAULT_REPLY_TEXTS.notUnderstood),
    alreadyConfirmed: replyText(
      "Sent, at most once per phone per 24 hours, to a patient who writes again after confirming.",
      DEFAULT_REPLY_TEXTS.alreadyConfirmed,
    ),
    alreadyDeclined: replyText(
      "Sent, at most once per phone per 24 hours, to a patient who writes again after declining.",
      DEFAULT_REPLY_TEXTS.alreadyDeclined,
    ),
    alreadyClosed: replyText(
      "Sent, at most once per phone per 24 hours, to a patient whose contact is otherwise closed.",
      DEFAULT_REPLY_TEXTS.alreadyClosed,
    ),
    answeredOnAnotherPhone: replyText(
      "Sent, at most once per phone per 24 hours, when the patient already answered from another phone.",
      DEFAULT_REPLY_TEXTS.answeredOnAnotherPhone,
    ),
    optedOut: replyText("Sent once after an opt-out word.", DEFAULT_REPLY_TEXTS.optedOut),
  })
  .meta({
    description: "Texts sent back to the patient. They may use the same placeholders as the message.",
  });

export const repliesSchema = z
  .object({
    keywords: keywordsSchema.prefault({}),
    declineReason: declineReasonSchema.prefault({}),
    texts: textsSchema.prefault({}),
  })
  .meta({
    description: "How replies are understood and what is answered. Every field has a Portuguese default.",
  });

export type Replies = z.output<typeof repliesSchema>;
export type ReplyKeywords = Keywords;
export type DeclineReasonOption = z.output<typeof reasonOptionSchema>;
export type ReplyTexts = z.output<typeof textsSchema>;
