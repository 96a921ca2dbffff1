/**
 * How a reply is compared with keyword lists: the whole message must equal a keyword (a sentence that
 * contains "sim" does not count). Both sides are normalised first.
 */

const KEYCAP = /([0-9#*])\uFE0F?\u20E3/gu;
const EDGE_PUNCTUATION = /^[\s.,;:!?¡¿"'`´~\-–—()[\]{}]+|[\s.,;:!?¡¿"'`´~\-–—()[\]{}]+$/gu;

/**
 * Upper case, accents removed ("NÃO" and "NAO" are the same), keycap emoji read as their digit ("1️⃣" and
 * "1⃣" are "1"), other emoji and punctuation at the edges dropped ("Sim!" is "SIM"), runs of white space
 * folded to one space.
 */
export function normalizeReplyText(text: string): string {
  return text
    .replace(KEYCAP, "$1")
    .normalize("NFD")
    .replace(/\p{Diacritic}/gu, "")
    .replace(/\p{Extended_Pictographic}|\uFE0F|\u200D/gu, " ")
    .toUpperCase()
    .replace(/\s+/g, " ")
    .replace(EDGE_PUNCTUATION, "")
    .trim();
}

/** True when the reply equals one of the keywords after normalisation. */
export function matchesKeyword(reply: string, keywords: readonly string[]): boolean {
  const normalized = normalizeReplyText(reply);
  return normalized !== "" && keywords.some((k) => normalizeReplyText(k) === normalized);
}
