/**
 * Authenticating Meta Cloud API webhooks (reference: whatsapp-providers.md §2.3).
 *
 * - POST: `X-Hub-Signature-256: sha256=<hex>` is HMAC-SHA256 over the exact raw bytes, keyed with the
 *   App Secret; compared in constant time. Never verify re-serialised JSON: Meta signs its escaped form.
 * - Replay: Meta's signature has no timestamp, so a captured request stays validly signed forever. We
 *   refuse a signed body whose newest event timestamp is older than `replayWindowMs` (default 5 min).
 *   Meta also redelivers after receiver outages, so events older than the window are refused too:
 *   size the window to the longest outage you want recovered automatically (docs/providers.md).
 * - GET handshake: `hub.mode=subscribe` with the right `hub.verify_token` echoes `hub.challenge`.
 */
import { createHmac } from "node:crypto";
import type { HandshakeResult, WebhookHeaders, WebhookVerdict } from "../types.js";
import { headerValue, secretsEqual } from "../webhook-headers.js";

export const DEFAULT_REPLAY_WINDOW_MS = 5 * 60_000;
/** Clocks differ: an event up to this far in the future is still accepted. */
const FUTURE_SKEW_MS = 60_000;

export interface MetaWebhookAuth {
  appSecret: string;
  verifyToken: string;
  replayWindowMs?: number;
}

export function signMetaBody(rawBody: Buffer | string, appSecret: string): string {
  return `sha256=${createHmac("sha256", appSecret).update(rawBody).digest("hex")}`;
}

export function verifyMetaWebhook(
  headers: WebhookHeaders,
  rawBody: Buffer,
  auth: MetaWebhookAuth,
  now: Date,
): WebhookVerdict {
  const given = headerValue(headers, "x-hub-signature-256");
  if (given === undefined)
    return { ok: false, reason: "missing", detail: "the X-Hub-Signature-256 header is missing" };
  if (!/^sha256=[0-9a-fA-F]{64}$/.test(given.trim())) {
    return {
      ok: false,
      reason: "bad_signature",
      detail: "the X-Hub-Signature-256 header is not sha256=<64 hex digits>",
    };
  }
  if (!secretsEqual(given.trim().toLowerCase(), signMetaBody(rawBody, auth.appSecret))) {
    return {
      ok: false,
      reason: "bad_signature",
      detail: "the X-Hub-Signature-256 signature does not match the body",
    };
  }
  const newest = newestEventTime(rawBody);
  const window = auth.replayWindowMs ?? DEFAULT_REPLAY_WINDOW_MS;
  if (newest !== undefined) {
    const age = now.getTime() - newest;
    if (age > window) {
      return {
        ok: false,
        reason: "replay",
        detail: `the newest event is ${Math.round(age / 1000)} s old, beyond the ${Math.round(window / 1000)} s window`,
      };
    }
    if (age < -FUTURE_SKEW_MS)
      return { ok: false, reason: "bad_signature", detail: "the events are dated in the future" };
  }
  return { ok: true };
}

/** The newest `timestamp` (epoch seconds) among messages and statuses, in ms; undefined when none. */
export function newestEventTime(rawBody: Buffer): number | undefined {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString("utf8"));
  } catch {
    return undefined;
  }
  let newest: number | undefined;
  const entries = (json as { entry?: unknown })?.entry;
  for (const entry of Array.isArray(entries) ? entries : []) {
    const changes = (entry as { changes?: unknown })?.changes;
    for (const change of Array.isArray(changes) ? changes : []) {
      const value = (change as { value?: Record<string, unknown> })?.value;
      for (const list of [value?.messages, value?.statuses]) {
        for (const item of Array.isArray(list) ? list : []) {
          const seconds = Number((item as { timestamp?: unknown })?.timestamp);
          if (Number.isFinite(seconds) && seconds > 0) newest = Math.max(newest ?? 0, seconds * 1000);
        }
      }
    }
  }
  return newest;
}

export function metaHandshake(query: URLSearchParams, verifyToken: string): HandshakeResult {
  const mode = query.get("hub.mode");
  const token = query.get("hub.verify_token");
  const challenge = query.get("hub.challenge");
  if (mode === "subscribe" && token !== null && challenge !== null && secretsEqual(token, verifyToken)) {
    return { status: 200, body: challenge };
  }
  return { status: 403, body: "Forbidden" };
}
