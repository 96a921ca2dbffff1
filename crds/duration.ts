/**
 * Durations as written in manifests: hours, minutes and seconds in Go's notation ("24h", "1h30m",
 * "90s"), the subset that CEL's `duration()` and this parser read the same way.
 */
export const DURATION_PATTERN = "^([0-9]{1,5}h)?([0-9]{1,5}m)?([0-9]{1,5}s)?$";
const durationRe = new RegExp(DURATION_PATTERN);

/** Milliseconds, or undefined when the text is not a duration in the accepted notation. */
export function parseDuration(text: string): number | undefined {
  if (text === "" || !durationRe.test(text)) return undefined;
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!match) return undefined;
  const [, h = "0", m = "0", s = "0"] = match;
  return ((Number(h) * 60 + Number(m)) * 60 + Number(s)) * 1000;
}

/** Like parseDuration, for values the schema already accepted. */
export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`Not a duration: "${text}" (expected e.g. 30s, 12m, 24h or 1h30m)`);
  return ms;
}
