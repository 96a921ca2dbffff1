/**
 * `busca-ativa status` output, pure: a Campaign's status (from the API server, counts only) to a
 * progress bar and a line of counts, or to one compact line for logs and pipes.
 */
import { DEFAULT_TIME_ZONE, type CampaignStatus } from "../../crds/index.js";
import type { CampaignObject } from "../kube.js";

export interface CampaignSummary {
  namespace: string;
  name: string;
  phase: string;
  pauseReason: string | undefined;
  /** 0 to 100. */
  progress: number;
  message: string | undefined;
  suspended: boolean;
  deleting: boolean;
  timeZone: string;
  nextSendTime: string | undefined;
  counts: {
    contacts: number;
    sent: number;
    replied: number;
    confirmed: number;
    declined: number;
    noResponse: number;
    failed: number;
    optedOut: number;
  };
}

/** What `--json` prints per campaign: identity, spec switches and the status as the controller wrote it. */
export interface CampaignStatusJson {
  namespace: string;
  name: string;
  uid: string | undefined;
  suspend: boolean;
  deleting: boolean;
  status: CampaignStatus;
}

export function statusJson(obj: CampaignObject): CampaignStatusJson {
  return {
    namespace: obj.metadata.namespace,
    name: obj.metadata.name,
    uid: obj.metadata.uid,
    suspend: obj.spec?.suspend === true,
    deleting: obj.metadata.deletionTimestamp !== undefined,
    status: obj.status ?? {},
  };
}

export function summarise(obj: CampaignObject): CampaignSummary {
  const status = obj.status ?? {};
  const c = status.counts ?? {};
  return {
    namespace: obj.metadata.namespace,
    name: obj.metadata.name,
    phase: status.phase ?? "Pending",
    pauseReason: status.pauseReason,
    progress: Math.max(0, Math.min(100, status.progress ?? 0)),
    message: status.message,
    suspended: obj.spec?.suspend === true,
    deleting: obj.metadata.deletionTimestamp !== undefined,
    timeZone: obj.spec?.schedule?.timeZone ?? DEFAULT_TIME_ZONE,
    nextSendTime: status.nextSendTime,
    counts: {
      contacts: c.contacts ?? 0,
      sent: c.sent ?? 0,
      replied: c.replied ?? 0,
      confirmed: c.confirmed ?? 0,
      declined: c.declined ?? 0,
      noResponse: c.noResponse ?? 0,
      failed: c.failed ?? 0,
      optedOut: c.optedOut ?? 0,
    },
  };
}

export interface RenderOptions {
  now: Date;
  /** Unicode blocks (terminals) or ASCII `#` and `.` (pipes, logs). */
  unicode: boolean;
  /** Cells of the bar; default 24. */
  barWidth?: number;
}

export function progressBar(percent: number, width: number, unicode: boolean): string {
  const clamped = Math.max(0, Math.min(100, percent));
  const filled = Math.round((clamped / 100) * width);
  const [full, empty] = unicode ? ["█", "░"] : ["#", "."];
  return `[${full.repeat(filled)}${empty.repeat(width - filled)}]`;
}

export function phaseText(s: Pick<CampaignSummary, "phase" | "pauseReason" | "deleting">): string {
  if (s.deleting) return "Deleting";
  return s.pauseReason && s.phase === "Paused" ? `Paused (${s.pauseReason})` : s.phase;
}

export function countsText(s: CampaignSummary): string {
  const c = s.counts;
  const parts = [
    `contacts ${c.contacts}`,
    `sent ${c.sent}`,
    `replied ${c.replied}`,
    `confirmed ${c.confirmed}`,
    `declined ${c.declined}`,
    `no response ${c.noResponse}`,
  ];
  if (c.failed > 0) parts.push(`failed ${c.failed}`);
  if (c.optedOut > 0) parts.push(`opted out ${c.optedOut}`);
  return parts.join(" · ");
}

/**
 * "14:05 (in 12m, America/Fortaleza)", or without the relative part "14:05 (America/Fortaleza)"; the
 * date too when it is not today in that zone.
 */
export function nextSendText(
  iso: string | undefined,
  timeZone: string,
  now: Date,
  relative = true,
): string | undefined {
  if (!iso) return undefined;
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return undefined;
  const zone = validTimeZone(timeZone);
  const day = (d: Date) => localParts(d, zone).date;
  const { date, time } = localParts(at, zone);
  const when = day(at) === day(now) ? time : `${date} ${time}`;
  if (!relative) return `${when} (${zone})`;
  const ms = at.getTime() - now.getTime();
  return `${when} (${ms <= 0 ? "due now" : `in ${shortDuration(ms)}`}, ${zone})`;
}

/** Two or three lines per campaign: name, phase and bar; counts and next send; the status message. */
export function renderCampaign(s: CampaignSummary, options: RenderOptions): string[] {
  const bar = progressBar(s.progress, options.barWidth ?? 24, options.unicode);
  const lines = [`${s.namespace}/${s.name}  ${phaseText(s)}  ${bar} ${String(s.progress).padStart(3)}%`];
  const next = nextSendText(s.nextSendTime, s.timeZone, options.now);
  lines.push(`  ${countsText(s)}${next ? ` · next send ${next}` : ""}`);
  if (s.message) lines.push(`  ${s.message}`);
  return lines;
}

/** One line per campaign, for `--watch` into a pipe or a log: only printed when it changes. */
export function renderCompact(s: CampaignSummary, options: Omit<RenderOptions, "unicode">): string {
  const next = nextSendText(s.nextSendTime, s.timeZone, options.now, false);
  return [
    `${s.namespace}/${s.name}`,
    phaseText(s),
    `${progressBar(s.progress, options.barWidth ?? 24, false)} ${s.progress}%`,
    countsText(s),
    ...(next ? [`next send ${next}`] : []),
  ].join("  ");
}

function validTimeZone(zone: string): string {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return zone;
  } catch {
    return "UTC";
  }
}

function localParts(at: Date, timeZone: string): { date: string; time: string } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
}

function shortDuration(ms: number): string {
  const minutes = Math.ceil(ms / 60_000);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${hours}h ${minutes % 60}m` : `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}
