/**
 * The Brazilian 9th digit as providers see it (reference: whatsapp-providers.md §1.2, §4.2).
 *
 * WhatsApp keeps an account under the number it was registered with, so an address may lack the 9th digit
 * that the canonical E.164 number has. These pure helpers move between the forms; import-time phone
 * normalisation lives elsewhere and is stricter.
 */
import type { E164 } from "./types.js";

/** 55 + DDD + 8-digit subscriber starting 6–9: an old mobile number written without its 9th digit. */
const MOBILE_WITHOUT_NINE = /^55([1-9][1-9])([6-9]\d{7})$/;
/** 55 + DDD + 9 + 8 digits: a mobile number with its 9th digit. */
const MOBILE_WITH_NINE = /^55([1-9][1-9])9(\d{8})$/;

export function digitsOnly(value: string): string {
  return value.replace(/\D/g, "");
}

/** The user part of a JID: `5585…@s.whatsapp.net` → `5585…`; device suffixes (`:12`) are dropped. */
export function jidUser(jid: string): string {
  const user = jid.split("@")[0] ?? "";
  return user.split(":")[0] ?? "";
}

export function isLidJid(jid: string): boolean {
  return jid.endsWith("@lid");
}

export function isPhoneJid(jid: string): boolean {
  return jid.endsWith("@s.whatsapp.net") || jid.endsWith("@c.us");
}

/** Canonical E.164 for digits a provider gave: Brazilian 12-digit mobiles get their 9th digit back. */
export function canonicalE164(digits: string): E164 {
  const old = MOBILE_WITHOUT_NINE.exec(digits);
  return old ? `+55${old[1]}9${old[2]}` : `+${digits}`;
}

/** Both 9th-digit forms of a Brazilian mobile (with first), or just the number itself otherwise. */
export function ninthDigitVariants(e164: E164 | string): string[] {
  const digits = digitsOnly(e164);
  const withNine = MOBILE_WITH_NINE.exec(digits);
  if (withNine) return [digits, `55${withNine[1]}${withNine[2]}`];
  const old = MOBILE_WITHOUT_NINE.exec(digits);
  if (old) return [`55${old[1]}9${old[2]}`, digits];
  return [digits];
}

/**
 * Evolution's `createJid` rule for Brazil: a 13-digit `55` number loses its 5th digit when the DDD is
 * 31 or more and the next digit is 7 or more. Evolution then asks WhatsApp about that form and accepts
 * an answer for either form.
 */
export function evolutionLookupDigits(digits: string): string {
  const m = /^55(\d{2})\d(\d{8})$/.exec(digits);
  if (!m) return digits;
  const ddd = Number(m[1]);
  const joker = Number(m[2]![0]);
  return ddd < 31 || joker < 7 ? digits : `55${m[1]}${m[2]}`;
}
