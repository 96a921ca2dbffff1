/** What every provider route shares: latency, the request log, held answers for timeout faults. */
import type { FastifyReply } from "fastify";
import type { SandboxCore } from "./core.js";

export interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** The fault that shaped this answer, for the request log. */
  fault?: string;
}

/** The request was dropped (no answer will ever come). */
export const DROPPED = Symbol("dropped");
export type Outcome = Answer | typeof DROPPED;

/** A fault check either stops the request with an outcome or lets it proceed (maybe marked). */
export type FaultOutcome = { stop: Outcome } | { proceed: true; fault?: string };

export interface RouteInfo {
  provider: "evolution" | "meta";
  operation: string;
  method: string;
  path: string;
}

export async function applyLatency(core: SandboxCore): Promise<void> {
  const ms = core.faults.latency();
  if (ms <= 0) return;
  // By the wall clock the request log uses: a timer may fire up to a millisecond early against Date.now().
  const until = Date.now() + ms;
  while (Date.now() < until) await sleep(until - Date.now());
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits `hangMs` (real time) or until the sandbox shuts down. */
export function holdAnswer(core: SandboxCore): Promise<void> {
  return new Promise((resolve) => {
    const release = () => {
      clearTimeout(timer);
      core.held.delete(release);
      resolve();
    };
    const timer = setTimeout(release, core.config.faults.hangMs);
    core.held.add(release);
  });
}

export function send(
  core: SandboxCore,
  reply: FastifyReply,
  info: RouteInfo,
  started: number,
  outcome: Outcome,
): FastifyReply {
  if (outcome === DROPPED) return reply;
  const answer = outcome;
  core.logRequest({
    at: started,
    provider: info.provider,
    operation: info.operation,
    method: info.method,
    path: info.path,
    status: answer.status,
    durationMs: Date.now() - started,
    ...(answer.fault ? { fault: answer.fault } : {}),
  });
  if (answer.headers) void reply.headers(answer.headers);
  return reply.code(answer.status).send(answer.body);
}

/** The request is lost: after the hold, the connection is closed without an answer. */
export async function drop(
  core: SandboxCore,
  reply: FastifyReply,
  info: RouteInfo,
  started: number,
): Promise<typeof DROPPED> {
  await holdAnswer(core);
  core.logRequest({
    at: started,
    provider: info.provider,
    operation: info.operation,
    method: info.method,
    path: info.path,
    status: 0,
    durationMs: Date.now() - started,
    fault: "dropped_timeout",
  });
  reply.hijack();
  reply.raw.destroy();
  return DROPPED;
}
