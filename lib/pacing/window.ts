/**
 * The send window in a campaign's time zone: which instants are inside it, and when the next one opens.
 *
 * A window is a daily range of wall-clock times ("08:00" to "18:00"); when the end is not after the start it
 * crosses midnight ("22:00" to "02:00" runs into the next day). Each occurrence belongs to the local date it
 * starts on: the days-of-week filter and the daily quota both use that date, so a night shift that crosses
 * midnight is one window and one quota, not two.
 */
import { DateTime } from "luxon";

export interface WindowSpec {
  /** IANA time zone, e.g. "America/Fortaleza". */
  timeZone: string;
  /** "HH:MM", 24-hour clock. */
  start: string;
  /** "HH:MM"; not after `start` means the window crosses midnight. */
  end: string;
  /** ISO weekdays the window opens on (1 = Monday ... 7 = Sunday); empty or missing means every day. */
  daysOfWeek?: readonly number[];
}

/** One occurrence of the window. */
export interface WindowOccurrence {
  opensAt: Date;
  closesAt: Date;
  /** The local date the occurrence starts on, "YYYY-MM-DD": the quota day. */
  day: string;
}

export function parseClock(value: string): { hour: number; minute: number } {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(value);
  if (!match) throw new RangeError(`Expected a time as HH:MM (00:00 to 23:59), got "${value}"`);
  return { hour: Number(match[1]), minute: Number(match[2]) };
}

/** Throws a RangeError when the zone is not a known IANA time zone. */
export function assertTimeZone(timeZone: string): void {
  if (!DateTime.now().setZone(timeZone).isValid) {
    throw new RangeError(`Unknown time zone "${timeZone}": use an IANA name such as America/Fortaleza`);
  }
}

/** The window's length in seconds (at most 24 h; equal start and end count as a full day). */
export function windowLengthSeconds(window: Pick<WindowSpec, "start" | "end">): number {
  const s = parseClock(window.start);
  const e = parseClock(window.end);
  const startMin = s.hour * 60 + s.minute;
  const endMin = e.hour * 60 + e.minute;
  const minutes = endMin > startMin ? endMin - startMin : 24 * 60 - startMin + endMin;
  return minutes * 60;
}

/** The occurrence that starts on the local date of `day` (a DateTime in the window's zone), if allowed. */
function occurrenceOn(day: DateTime, window: WindowSpec): WindowOccurrence | undefined {
  const days = window.daysOfWeek ?? [];
  if (days.length > 0 && !days.includes(day.weekday)) return undefined;
  const s = parseClock(window.start);
  const e = parseClock(window.end);
  const opens = day.set({ hour: s.hour, minute: s.minute, second: 0, millisecond: 0 });
  const crosses = e.hour * 60 + e.minute <= s.hour * 60 + s.minute;
  const closes = (crosses ? day.plus({ days: 1 }) : day).set({
    hour: e.hour,
    minute: e.minute,
    second: 0,
    millisecond: 0,
  });
  return { opensAt: opens.toJSDate(), closesAt: closes.toJSDate(), day: day.toISODate()! };
}

/**
 * The occurrence that contains `now` (opensAt <= now < closesAt), or undefined when `now` is outside the
 * window.
 */
export function currentOccurrence(now: Date, window: WindowSpec): WindowOccurrence | undefined {
  const local = DateTime.fromJSDate(now, { zone: window.timeZone }).startOf("day");
  // A window that crossed midnight yesterday may still be open now.
  for (const day of [local.minus({ days: 1 }), local]) {
    const occ = occurrenceOn(day, window);
    if (occ && occ.opensAt <= now && now < occ.closesAt) return occ;
  }
  return undefined;
}

/** The first occurrence that opens strictly after `now` (within the next 8 days), or undefined if none. */
export function nextOccurrence(now: Date, window: WindowSpec): WindowOccurrence | undefined {
  const local = DateTime.fromJSDate(now, { zone: window.timeZone }).startOf("day");
  for (let i = 0; i <= 8; i++) {
    const occ = occurrenceOn(local.plus({ days: i }), window);
    if (occ && occ.opensAt > now) return occ;
  }
  return undefined;
}
