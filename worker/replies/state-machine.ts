/**
 * The reply state machine: what one inbound text does to a contact and to the phone it came from, and which
 * answer goes back. Pure; the inbound processor runs it inside one transaction with the rows locked.
 *
 * Differences from the Celery system, on purpose (docs/replies.md):
 * - DESCONHEÇO closes the contact as not-me only when every phone we reached said so; until then only that
 *   phone is marked (the Celery aggregation closed the contact after one).
 * - The "already answered" message goes at most once per phone per 24 h.
 * - Opt-out words are honoured in every state and recorded for the whole namespace.
 * - A valid answer after the slot was released is recorded (the team sees it) instead of being ignored.
 * - A decline whose reason never comes is closed by `reasonTimedOut`, not left waiting forever.
 */
import {
  classifyReply,
  declineReasonFrom,
  type DeclineReason,
  type ReasonOption,
  type ReplyClass,
  type ReplyKeywords,
} from "./classify.js";

export type ContactState =
  | "pending"
  | "ready"
  | "no_whatsapp"
  | "sent"
  | "awaiting_reason"
  | "confirmed"
  | "declined"
  | "not_me"
  | "no_response"
  | "opted_out"
  | "failed";

export type PhoneReply = "confirmed" | "declined" | "not_me";

/**
 * The answer sent back: `declineReasonQuestion` is the Campaign's `replies.declineReason.question`, every
 * other kind the text of the same name in `replies.texts`.
 */
export type AnswerKind =
  | "confirmed"
  | "declineReasonQuestion"
  | "declined"
  | "notMe"
  | "phoneNotMe"
  | "notUnderstood"
  | "alreadyConfirmed"
  | "alreadyDeclined"
  | "alreadyClosed"
  | "answeredOnAnotherPhone"
  | "optedOut";

export interface ReplyContext {
  contactState: ContactState;
  /** This phone's own earlier answer. */
  phoneReply: PhoneReply | null;
  /** Earlier answers of the contact's other phones that were sent the campaign message. */
  otherReachedPhoneReplies: readonly (PhoneReply | null)[];
  /** When this phone was last sent an "already answered" message. */
  lastAlreadyAnsweredAt: Date | null;
  text: string;
  now: Date;
}

export interface ReplySettings {
  keywords: ReplyKeywords;
  /** The answers to the decline-reason question. */
  reasonOptions: readonly ReasonOption[];
  /** The code recorded for a reason in the patient's own words. */
  freeTextReasonCode: string;
}

export interface ReplyDecision {
  classification: ReplyClass | "reason";
  /** The contact's new state, when it changes. */
  contactState?: ContactState;
  /** This phone's new answer, when it changes. */
  phoneReply?: PhoneReply;
  declineReason?: DeclineReason;
  /** Record an opt-out for this phone in the namespace. */
  optOut?: boolean;
  /** The answer to send back, if any. */
  answer?: AnswerKind;
  /** Why nothing changed, for the audit trail. */
  note?: string;
}

const ALREADY_ANSWERED_COOLDOWN_MS = 24 * 3600 * 1000;
const FINAL_OUTCOMES: ReadonlySet<ContactState> = new Set(["confirmed", "declined", "not_me"]);
/** States in which a valid answer is taken as the answer to our message. */
const ANSWERABLE: ReadonlySet<ContactState> = new Set(["sent", "no_response", "pending", "ready", "failed"]);

export function decideReply(context: ReplyContext, settings: ReplySettings): ReplyDecision {
  const classification = classifyReply(context.text, settings.keywords);

  if (classification === "opt_out") {
    if (context.contactState === "opted_out") return { classification, note: "already opted out" };
    // A final outcome stays (the team needs it); otherwise the contact leaves the campaign as opted out.
    const contactState = FINAL_OUTCOMES.has(context.contactState) ? undefined : "opted_out";
    return { classification, optOut: true, answer: "optedOut", ...(contactState && { contactState }) };
  }

  switch (context.contactState) {
    case "opted_out":
      return { classification, note: "contact opted out: no answer is sent" };
    case "no_whatsapp":
      return { classification, note: "message from a contact we never reached" };
    case "awaiting_reason":
      return {
        classification: "reason",
        contactState: "declined",
        declineReason: declineReasonFrom(context.text, settings.reasonOptions, settings.freeTextReasonCode),
        answer: "declined",
      };
    case "confirmed":
    case "declined":
    case "not_me":
      return alreadyAnswered(context, classification);
    default:
      break;
  }

  if (!ANSWERABLE.has(context.contactState)) return { classification, note: "state takes no answers" };

  switch (classification) {
    case "confirm":
      return { classification, phoneReply: "confirmed", contactState: "confirmed", answer: "confirmed" };
    case "decline":
      return {
        classification,
        phoneReply: "declined",
        contactState: "awaiting_reason",
        answer: "declineReasonQuestion",
      };
    case "not_me": {
      if (context.phoneReply === "not_me") return alreadyAnswered(context, classification);
      const othersAllNotMe = context.otherReachedPhoneReplies.every((r) => r === "not_me");
      return othersAllNotMe
        ? { classification, phoneReply: "not_me", contactState: "not_me", answer: "notMe" }
        : { classification, phoneReply: "not_me", answer: "phoneNotMe" };
    }
    default:
      // Only a contact we actually messaged is told we did not understand.
      return context.contactState === "sent" || context.contactState === "no_response"
        ? { classification, answer: "notUnderstood" }
        : { classification, note: "text that is not an answer from a contact not yet messaged" };
  }
}

/** The "already answered" answer, at most once per phone per 24 h. */
function alreadyAnswered(context: ReplyContext, classification: ReplyClass): ReplyDecision {
  const last = context.lastAlreadyAnsweredAt;
  if (last && context.now.getTime() - last.getTime() < ALREADY_ANSWERED_COOLDOWN_MS) {
    return { classification, note: "already answered less than 24 h ago" };
  }
  return { classification, answer: alreadyAnsweredKind(context) };
}

function alreadyAnsweredKind(context: ReplyContext): AnswerKind {
  if (context.phoneReply === "not_me" && context.contactState !== "not_me") return "answeredOnAnotherPhone";
  if (context.phoneReply === null && FINAL_OUTCOMES.has(context.contactState))
    return "answeredOnAnotherPhone";
  if (context.contactState === "confirmed") return "alreadyConfirmed";
  if (context.contactState === "declined") return "alreadyDeclined";
  return "alreadyClosed";
}

/** True when a decline's reason has not come within `timeoutMs`: the contact is closed as declined. */
export function reasonTimedOut(awaitingReasonSince: Date | null, now: Date, timeoutMs: number): boolean {
  return awaitingReasonSince !== null && now.getTime() - awaitingReasonSince.getTime() >= timeoutMs;
}
