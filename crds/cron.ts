/**
 * Cron expressions as a Kubernetes CronJob reads them: five fields (minute, hour, day of month, month,
 * day of week) with `*`, ranges, lists and steps, month and day names, or a macro such as `@daily`.
 * The time zone is a separate field, so `TZ=` prefixes are refused.
 */
const element = (value: string) => `(\\*|${value}(-${value})?)(/[0-9]{1,2})?`;
const field = (value: string) => `${element(value)}(,${element(value)})*`;

const MINUTE = "[0-5]?[0-9]";
const HOUR = "([01]?[0-9]|2[0-3])";
const DAY_OF_MONTH = "(0?[1-9]|[12][0-9]|3[01])";
const MONTH =
  "(0?[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)";
const DAY_OF_WEEK = "([0-7]|SUN|MON|TUE|WED|THU|FRI|SAT|sun|mon|tue|wed|thu|fri|sat)";
const MACRO = "@(yearly|annually|monthly|weekly|daily|midnight|hourly)";

export const CRON_PATTERN = `^(${MACRO}|${field(MINUTE)} +${field(HOUR)} +${field(DAY_OF_MONTH)} +${field(MONTH)} +${field(DAY_OF_WEEK)})$`;

const cronRe = new RegExp(CRON_PATTERN);

export function isCronExpression(expression: string): boolean {
  return cronRe.test(expression);
}
