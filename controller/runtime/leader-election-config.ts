/**
 * Leader election settings: defaults (controller-runtime's 15 s / 10 s / 2 s), their validation, the
 * default identity, and the per-request timeout option for client-node calls.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { Observable, type RequestContext, type ResponseContext } from "@kubernetes/client-node";
import { AppError } from "../../lib/errors.js";

export interface LeaderElectionTimings {
  /** How long a Lease stays valid without renewal; default 15,000 ms (whole seconds on the Lease). */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it stops leading; default 10,000 ms. */
  renewDeadlineMs?: number;
  /** Pause between attempts; default 2,000 ms. */
  retryPeriodMs?: number;
}

/** Why `run` ended: "cancelled" (its signal aborted) or "lost" (renewal failed or another holder took over). */
export type LeadershipEnd = "cancelled" | "lost";

export const LEADER_ELECTION_DEFAULTS = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

/** client-go's JitterFactor for the renew deadline check. */
const JITTER_FACTOR = 1.2;

/** Checks the timings; throws AppError LEADER_ELECTION_INVALID naming the option to change. */
export function validateLeaderElectionTimings(
  timings: LeaderElectionTimings,
): Required<LeaderElectionTimings> {
  const t = { ...LEADER_ELECTION_DEFAULTS, ...definedOnly(timings) };
  const fail = (message: string) => {
    throw new AppError("LEADER_ELECTION_INVALID", `Invalid leader election settings: ${message}`, { ...t });
  };
  for (const key of ["leaseDurationMs", "renewDeadlineMs", "retryPeriodMs"] as const) {
    if (!Number.isFinite(t[key]) || t[key] <= 0) fail(`${key} must be above 0 (got ${t[key]})`);
  }
  if (t.leaseDurationMs < 1000)
    fail(`leaseDurationMs must be at least 1000: a Lease counts whole seconds (got ${t.leaseDurationMs})`);
  if (t.renewDeadlineMs + t.retryPeriodMs >= t.leaseDurationMs) {
    fail(
      `renewDeadlineMs + retryPeriodMs must be less than leaseDurationMs (got ${t.renewDeadlineMs} + ${t.retryPeriodMs} >= ${t.leaseDurationMs}): ` +
        "raise leaseDurationMs or lower renewDeadlineMs, or a leader could still act after another took over",
    );
  }
  if (t.renewDeadlineMs <= JITTER_FACTOR * t.retryPeriodMs) {
    fail(
      `renewDeadlineMs must be more than ${JITTER_FACTOR} × retryPeriodMs (got ${t.renewDeadlineMs} and ${t.retryPeriodMs}): lower retryPeriodMs`,
    );
  }
  return t;
}

/** `<POD_NAME or hostname>_<8 random hex characters>`. */
export function defaultIdentity(): string {
  return `${process.env.POD_NAME || hostname()}_${randomBytes(4).toString("hex")}`;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Per-call options giving one request `timeoutMs` (client-node's middleware sets the fetch signal). */
export function requestTimeout(timeoutMs: number) {
  return {
    middleware: [
      {
        pre: (ctx: RequestContext) => {
          ctx.setSignal(AbortSignal.timeout(timeoutMs));
          return new Observable(Promise.resolve(ctx));
        },
        post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: "append" as const,
  };
}
