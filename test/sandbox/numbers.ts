/**
 * How the sandbox reads numbers and addresses, modelled on the real services (reference:
 * whatsapp-providers.md §1.2, §4.2). Deliberately independent of worker/providers: the sandbox stands in
 * for the remote system, so a bug in our client is not mirrored here.
 */

/** Canonical key for a number: digits, Brazilian 12-digit mobiles (subscriber 6–9) given their 9. */
export function canonicalDigits(input: string): string {
  const digits = userPart(input).replace(/\D/g, "");
  const old = /^55([1-9][1-9])([6-9]\d{7})$/.exec(digits);
  return old ? `55${old[1]}9${old[2]}` : digits;
}

/** The without-9 form of a 13-digit Brazilian mobile, or undefined. */
export function withoutNinth(digits: string): string | undefined {
  const m = /^55([1-9][1-9])9(\d{8})$/.exec(digits);
  return m ? `55${m[1]}${m[2]}` : undefined;
}

/** The part before `@` (and before a `:device` suffix). */
export function userPart(address: string): string {
  return (address.split("@")[0] ?? "").split(":")[0] ?? "";
}

/** Evolution's `createJid` for a plain number: strip `+ ( )` and spaces; Brazil's 9 dropped per its rule. */
export function evolutionCreateJid(input: string): string {
  if (input.includes("@")) return input;
  const digits = input.replace(/[\s+()]/g, "").replace(/\D/g, "");
  const m = /^55(\d{2})\d(\d{8})$/.exec(digits);
  if (m && Number(m[1]) >= 31 && Number(m[2]![0]) >= 7) return `55${m[1]}${m[2]}@s.whatsapp.net`;
  return `${digits}@s.whatsapp.net`;
}

export function lidJid(lid: string): string {
  return lid.endsWith("@lid") ? lid : `${lid}@lid`;
}

export function e164(digits: string): string {
  return `+${digits}`;
}

/** For control queries: like `canonicalDigits`, and a national Brazilian number (no `+`, 10–11 digits) gets 55. */
export function controlNumberKey(input: string): string {
  if (input.includes("@") || input.trim().startsWith("+")) return canonicalDigits(input);
  const digits = input.replace(/\D/g, "");
  return canonicalDigits(/^[1-9]{2}\d{8,9}$/.test(digits) ? `55${digits}` : digits);
}
