/** Which numbers have WhatsApp, under which 9th-digit form, with which LID or BSUID, and how they answer. */
import { numberRecordSchema, registryUpdateSchema, type NumberRecord, type Registration } from "./config.js";
import type { z } from "zod";
import { canonicalDigits, userPart, withoutNinth } from "./numbers.js";

export interface ResolvedNumber {
  /** Canonical digits (Brazilian mobiles with the 9th digit): the key of every per-number record. */
  canonical: string;
  record: NumberRecord;
  /** The digits WhatsApp knows the account under; undefined when not registered. */
  registeredDigits: string | undefined;
}

const BSUID = /^[A-Z]{2}\.[A-Za-z0-9.]+$/;

export class NumberRegistry {
  private readonly records = new Map<string, NumberRecord>();
  private readonly byLid = new Map<string, string>();
  private readonly byBsuid = new Map<string, string>();
  private defaultRegistration: Registration = "with9";

  apply(update: z.input<typeof registryUpdateSchema>): void {
    const parsed = registryUpdateSchema.parse(update);
    if (parsed.replace) this.clear();
    if (parsed.defaultRegistration) this.defaultRegistration = parsed.defaultRegistration;
    for (const record of parsed.numbers) {
      const canonical = canonicalDigits(record.number);
      const stored = { ...record, number: canonical, lid: record.lid ? userPart(record.lid) : undefined };
      this.records.set(canonical, stored);
      if (stored.lid) this.byLid.set(stored.lid, canonical);
      if (stored.bsuid) this.byBsuid.set(stored.bsuid, canonical);
    }
  }

  clear(): void {
    this.records.clear();
    this.byLid.clear();
    this.byBsuid.clear();
    this.defaultRegistration = "with9";
  }

  /** A number in any form, a phone JID, an `@lid` JID or a BSUID; undefined when nothing matches. */
  resolve(address: string): ResolvedNumber | undefined {
    let canonical: string | undefined;
    if (address.endsWith("@lid")) canonical = this.byLid.get(userPart(address));
    else if (BSUID.test(address)) canonical = this.byBsuid.get(address);
    else canonical = canonicalDigits(address);
    if (!canonical || canonical.length < 8) return undefined;
    const record = this.records.get(canonical) ?? this.defaultRecord(canonical);
    return { canonical, record, registeredDigits: registeredDigits(canonical, record.registeredAs) };
  }

  snapshot(): { defaultRegistration: Registration; numbers: NumberRecord[] } {
    return { defaultRegistration: this.defaultRegistration, numbers: [...this.records.values()] };
  }

  private defaultRecord(canonical: string): NumberRecord {
    return { ...DEFAULT_RECORD, number: canonical, registeredAs: this.defaultRegistration };
  }
}

const DEFAULT_RECORD: NumberRecord = numberRecordSchema.parse({ number: "00000000" });

function registeredDigits(canonical: string, registeredAs: Registration): string | undefined {
  if (registeredAs === "none") return undefined;
  if (registeredAs === "without9") return withoutNinth(canonical) ?? canonical;
  return canonical;
}
