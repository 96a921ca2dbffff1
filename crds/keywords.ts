/**
 * How a reply is compared with keyword lists: the whole message must equal a keyword (a sentence that
 * contains "sim" does not count). Both sides are normalised first.
 */

/**
 * Trims, collapses runs of whitespace, upper-cases and drops the emoji variation selector (U+FE0F),
 * so "1⃣" and "1️⃣" are the same keycap. Accents are kept: list both spellings ("NÃO", "NAO").
 */
export function normalizeReplyText(text: string): string {
  return text
    .replace(/\uFE0F/g, "")
    .trim()
    .replace(/\s+/g, " ")
    .toUpperCase();
}

/** True when the reply equals one of the keywords after normalisation. */
export function matchesKeyword(reply: string, keywords: readonly string[]): boolean {
  const normalized = normalizeReplyText(reply);
  return keywords.some((k) => normalizeReplyText(k) === normalized);
}
