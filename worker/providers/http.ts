/**
 * One HTTP call with a deadline, for the provider clients. No retries here: a timeout or a network error
 * becomes a classified `ProviderError`, and any HTTP answer is returned for the client to classify.
 *
 * Calls go through `node:http`/`node:https` with keep-alive agents (connections to a provider are reused),
 * not `fetch`: on the send path, undici's fetch (WHATWG streams, Request/Response objects, several socket
 * writes per request) was a large share of a worker's CPU per message (bench/results/worker-throughput.md).
 */
import http from "node:http";
import https from "node:https";
import { ProviderError, type ProviderOperation } from "./provider-error.js";
import type { ProviderType } from "./types.js";

export interface HttpCall {
  provider: ProviderType;
  operation: ProviderOperation;
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  timeoutMs: number;
  signal?: AbortSignal;
  /** The call changes something remotely (a send): a lost response then means the outcome is unknown. */
  sideEffect: boolean;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  /** Parsed JSON when the body was JSON, else the text ("" when empty). */
  body: unknown;
}

/** Keep-alive connections per provider host, shared by every call of the process. */
const AGENTS = {
  "http:": new http.Agent({ keepAlive: true, maxSockets: 256 }),
  "https:": new https.Agent({ keepAlive: true, maxSockets: 256 }),
};

export async function callProvider(call: HttpCall): Promise<HttpAnswer> {
  const deadline = AbortSignal.timeout(call.timeoutMs);
  const signal = call.signal ? AbortSignal.any([deadline, call.signal]) : deadline;
  const headers: Record<string, string> = { accept: "application/json", ...call.headers };
  let payload: string | undefined;
  if (call.body !== undefined) {
    payload = JSON.stringify(call.body);
    headers["content-type"] = "application/json";
    headers["content-length"] = String(Buffer.byteLength(payload));
  }
  try {
    const answer = await request(call, headers, payload, signal);
    return { status: answer.status, headers: answer.headers, body: parseBody(answer.text) };
  } catch (err) {
    if (call.signal?.aborted) throw call.signal.reason;
    throw transportError(err, call);
  }
}

/** The request and its whole answer; rejects on a network error, or when `signal` aborts it. */
function request(
  call: HttpCall,
  headers: Record<string, string>,
  payload: string | undefined,
  signal: AbortSignal,
): Promise<{ status: number; headers: Headers; text: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(call.url);
    const agent = url.protocol === "https:" ? AGENTS["https:"] : AGENTS["http:"];
    const send = url.protocol === "https:" ? https.request : http.request;
    const req = send(url, { method: call.method, headers, agent, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const answerHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value === undefined) continue;
          for (const v of Array.isArray(value) ? value : [value]) answerHeaders.append(name, v);
        }
        resolve({
          status: res.statusCode ?? 0,
          headers: answerHeaders,
          text: Buffer.concat(chunks).toString("utf8"),
        });
      });
    });
    req.on("error", reject);
    req.end(payload);
  });
}

function parseBody(text: string): unknown {
  if (text === "") return "";
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A fetch that threw: our deadline passed, or the connection failed before or after the request went out. */
function transportError(err: unknown, call: HttpCall): ProviderError {
  const context = { provider: call.provider, operation: call.operation };
  if (isTimeout(err)) {
    return new ProviderError(
      { kind: "retryable", reason: "timeout" },
      { ...context, outcomeUnknown: call.sideEffect },
      { cause: err },
    );
  }
  // A refused or unresolvable connection never carried the request; anything else may have.
  const code = networkCode(err);
  const neverSent = code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN";
  return new ProviderError(
    { kind: "retryable", reason: "network" },
    { ...context, providerCode: code, outcomeUnknown: call.sideEffect && !neverSent },
    { cause: err },
  );
}

export function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
}

function networkCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** `Retry-After` in milliseconds (seconds or an HTTP date), or undefined. */
export function retryAfterMs(headers: Headers | undefined, now: number = Date.now()): number | undefined {
  const value = headers?.get("retry-after");
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
