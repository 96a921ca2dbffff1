/**
 * Simulated patients. The first message a number receives decides, from the seed and the number alone,
 * how that patient behaves (SIM, NÃO then a reason, DESCONHEÇO, opt-out, free text or silence), and the
 * answer comes back after a delay. After NÃO the patient waits for the reason question and answers it.
 */
import { BEHAVIOURS, type Behaviour, type PatientsConfig } from "./config.js";
import { inRange, keyedUnit, pickWeighted } from "./random.js";
import type { ResolvedNumber } from "./registry.js";
import type { Scheduler } from "./scheduler.js";

export interface ReplyTarget {
  provider: "evolution" | "meta";
  channel: string;
  resolved: ResolvedNumber;
}

export interface Conversation {
  behaviour: Behaviour;
  /** `awaiting_reason`: answered NÃO, will answer the reason question once it comes. */
  stage: "awaiting_reason" | "done";
  replies: number;
}

export interface PatientDeps {
  config: () => PatientsConfig;
  seed: number;
  scheduler: Scheduler;
  reply: (target: ReplyTarget, text: string) => void;
}

export class PatientSimulator {
  private readonly conversations = new Map<string, Conversation>();
  private cachedPattern: { source: string; regex: RegExp } | undefined;

  constructor(private readonly deps: PatientDeps) {}

  onReceived(target: ReplyTarget, text: string): void {
    const cfg = this.deps.config();
    if (!cfg.enabled) return;
    const key = target.resolved.canonical;
    const existing = this.conversations.get(key);
    if (!existing) {
      const behaviour = target.resolved.record.behaviour ?? this.draw(cfg, key);
      const conversation: Conversation = {
        behaviour,
        stage: behaviour === "no" ? "awaiting_reason" : "done",
        replies: 0,
      };
      this.conversations.set(key, conversation);
      if (behaviour !== "silence")
        this.later(target, conversation, cfg.texts[behaviour], cfg.replyDelayMs, `first:${key}`);
      return;
    }
    if (existing.stage === "awaiting_reason" && this.reasonQuestion(cfg).test(text)) {
      existing.stage = "done";
      this.later(target, existing, cfg.texts.reason, cfg.reasonDelayMs, `reason:${key}`);
    }
  }

  conversation(canonical: string): Conversation | undefined {
    return this.conversations.get(canonical);
  }

  /** How many patients drew each behaviour so far. */
  behaviourCounts(): Record<Behaviour, number> {
    const counts = Object.fromEntries(BEHAVIOURS.map((b) => [b, 0])) as Record<Behaviour, number>;
    for (const c of this.conversations.values()) counts[c.behaviour] += 1;
    return counts;
  }

  clear(): void {
    this.conversations.clear();
  }

  private draw(cfg: PatientsConfig, key: string): Behaviour {
    const weights = BEHAVIOURS.map((b) => cfg.shares[b]);
    return BEHAVIOURS[pickWeighted(weights, keyedUnit(this.deps.seed, `behaviour:${key}`))]!;
  }

  private later(
    target: ReplyTarget,
    conversation: Conversation,
    choices: string[],
    delay: { min: number; max: number },
    key: string,
  ): void {
    const text = choices[Math.floor(keyedUnit(this.deps.seed, `text:${key}`) * choices.length)]!;
    const wait = inRange(delay, keyedUnit(this.deps.seed, `delay:${key}`));
    this.deps.scheduler.afterWorld(wait, () => {
      conversation.replies += 1;
      this.deps.reply(target, text);
    });
  }

  private reasonQuestion(cfg: PatientsConfig): RegExp {
    if (this.cachedPattern?.source !== cfg.reasonQuestionPattern) {
      this.cachedPattern = {
        source: cfg.reasonQuestionPattern,
        regex: new RegExp(cfg.reasonQuestionPattern, "i"),
      };
    }
    return this.cachedPattern.regex;
  }
}
