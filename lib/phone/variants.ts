/**
 * The forms one Brazilian mobile can take on WhatsApp. Accounts registered before the 9th digit was
 * added (2012-2016) often keep a 12-digit id (`55 85 8765-4321`), so an inbound message may come from
 * either form; a phone is matched against all of them. Canonical (with the 9) comes first.
 */

/** `+5585987654321` → [`+5585987654321`, `+558587654321`]; also accepts digits without `+` (a JID's). */
export function phoneVariants(e164: string): string[] {
  const digits = e164.replace(/^\+/, "");
  if (!/^\d+$/.test(digits)) return [e164];
  if (!digits.startsWith("55")) return [`+${digits}`];
  const ddd = digits.slice(2, 4);
  const subscriber = digits.slice(4);
  // With the 9th digit: 9 followed by the old 8-digit mobile (which started with 6-9).
  if (subscriber.length === 9 && /^9[6-9]/.test(subscriber)) {
    return [`+55${ddd}${subscriber}`, `+55${ddd}${subscriber.slice(1)}`];
  }
  // Without it: an 8-digit mobile.
  if (subscriber.length === 8 && /^[6-9]/.test(subscriber)) {
    return [`+55${ddd}9${subscriber}`, `+55${ddd}${subscriber}`];
  }
  return [`+${digits}`];
}

/** The canonical form (with the 9th digit) of a Brazilian number in either form. */
export function canonicalPhone(e164: string): string {
  return phoneVariants(e164)[0]!;
}
