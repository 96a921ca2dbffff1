/** What each number actually received, so tests can prove every patient got each message exactly once. */
import { createHash } from "node:crypto";

export interface ReceivedMessage {
  seq: number;
  /** Epoch ms when the sandbox accepted it. */
  at: number;
  provider: "evolution" | "meta";
  /** Evolution instance or Meta phone-number id. */
  channel: string;
  /** Canonical E.164 of the recipient. */
  number: string;
  /** The address it was delivered to (JID or wa_id). */
  address: string;
  providerMessageId: string;
  kind: "text" | "template";
  /** The text; templates as `template:<name>:<lang>|<param>|…`. */
  text: string;
  fingerprint: string;
}

export interface ReceivedCounts {
  totalMessages: number;
  numbers: Record<string, { total: number; byFingerprint: Record<string, number> }>;
  /** Every (number, fingerprint) received more than once. */
  duplicates: { number: string; fingerprint: string; count: number }[];
}

/** A short stable id for a text: the first 16 hex digits of its SHA-256. */
export function textFingerprint(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

export class Mailbox {
  private readonly byNumber = new Map<string, ReceivedMessage[]>();
  private seq = 0;

  add(message: Omit<ReceivedMessage, "seq" | "fingerprint">): ReceivedMessage {
    const full = { ...message, seq: ++this.seq, fingerprint: textFingerprint(message.text) };
    const list = this.byNumber.get(message.number);
    if (list) list.push(full);
    else this.byNumber.set(message.number, [full]);
    return full;
  }

  /** Messages a number received, oldest first. */
  list(number: string): ReceivedMessage[] {
    return this.byNumber.get(number) ?? [];
  }

  all(): ReceivedMessage[] {
    return [...this.byNumber.values()].flat().sort((a, b) => a.seq - b.seq);
  }

  get total(): number {
    return this.seq;
  }

  counts(): ReceivedCounts {
    const numbers: ReceivedCounts["numbers"] = {};
    const duplicates: ReceivedCounts["duplicates"] = [];
    for (const [number, list] of this.byNumber) {
      const byFingerprint: Record<string, number> = {};
      for (const m of list) byFingerprint[m.fingerprint] = (byFingerprint[m.fingerprint] ?? 0) + 1;
      numbers[number] = { total: list.length, byFingerprint };
      for (const [fingerprint, count] of Object.entries(byFingerprint)) {
        if (count > 1) duplicates.push({ number, fingerprint, count });
      }
    }
    return { totalMessages: this.seq, numbers, duplicates };
  }

  clear(): void {
    this.byNumber.clear();
    this.seq = 0;
  }
}
