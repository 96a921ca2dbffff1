/**
 * The procedure cell as it goes into messages: a leading numeric code (SIGTAP codes such as
 * "0408050896 - ARTROPLASTIA..." or "04.08.05.089-6 - ARTROPLASTIA...") is removed, as in the Celery
 * system; an empty cell gives null, and rendering uses its default ("o procedimento").
 */
const EMPTY_TEXTS = new Set(["", "nan", "null", "none", "-", "--", "#n/a", "n/a"]);
const LEADING_CODE = /^\s*\d[\d./\s]*(?:-\s*\d{1,2}\s+)?[-–—]\s*(\S.*)$/s;

export function cleanProcedure(text: string): string | null {
  const trimmed = text.replace(/\s+/g, " ").trim();
  if (EMPTY_TEXTS.has(trimmed.toLowerCase())) return null;
  const withoutCode = LEADING_CODE.exec(trimmed)?.[1]?.trim();
  return withoutCode && withoutCode.length > 0 ? withoutCode : trimmed;
}
