/**
 * Authenticating Evolution webhooks (reference: whatsapp-providers.md §1.7).
 *
 * Evolution signs nothing over the body. It can send static custom headers, and when those headers hold
 * `jwt_key` it sends `Authorization: Bearer <HS256 JWT>` with `{iat, exp: iat+600, app: "evolution",
 * action: "webhook"}` instead of the key. We accept either or both, as configured:
 * - a static token in a custom header (default `x-webhook-token`), compared in constant time;
 * - the JWT, refused when missing, forged, expired, or issued longer ago than `jwtMaxAgeMs` (replay).
 * Nothing is remembered between requests; duplicates are absorbed by idempotent processing.
 */
import { errors, jwtVerify } from "jose";
import type { WebhookHeaders, WebhookVerdict } from "../types.js";
import { bearerToken, headerValue, secretsEqual } from "../webhook-headers.js";

/** The Campaign CRD's default `spec.sender.webhook.headerName`. */
export const DEFAULT_TOKEN_HEADER = "x-webhook-token";
/** Evolution's own JWT lifetime: `exp` is `iat` + 600 s. */
export const DEFAULT_JWT_MAX_AGE_MS = 600_000;
const CLOCK_TOLERANCE_S = 30;

export interface EvolutionWebhookAuth {
  /** Static secret expected in `tokenHeader`. */
  token?: string;
  tokenHeader?: string;
  /** The `jwt_key` configured in Evolution's webhook headers. */
  jwtKey?: string;
  /** Refuse JWTs issued longer ago than this (default 600 000 ms, Evolution's lifetime). */
  jwtMaxAgeMs?: number;
}

export async function verifyEvolutionWebhook(
  headers: WebhookHeaders,
  auth: EvolutionWebhookAuth,
  now: Date,
): Promise<WebhookVerdict> {
  if (!auth.token && !auth.jwtKey) {
    return refuse("missing", "no webhook token or JWT key is configured, so nothing can be accepted");
  }
  if (auth.token) {
    const header = auth.tokenHeader ?? DEFAULT_TOKEN_HEADER;
    const given = headerValue(headers, header);
    if (given === undefined) return refuse("missing", `the ${header} header is missing`);
    if (!secretsEqual(given, auth.token))
      return refuse("bad_signature", `the ${header} header does not match`);
  }
  if (auth.jwtKey) return verifyJwt(headers, auth.jwtKey, auth.jwtMaxAgeMs ?? DEFAULT_JWT_MAX_AGE_MS, now);
  return { ok: true };
}

async function verifyJwt(
  headers: WebhookHeaders,
  key: string,
  maxAgeMs: number,
  now: Date,
): Promise<WebhookVerdict> {
  const token = bearerToken(headers);
  if (token === undefined) return refuse("missing", "the Authorization: Bearer JWT is missing");
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(key), {
      algorithms: ["HS256"],
      currentDate: now,
      maxTokenAge: `${Math.floor(maxAgeMs / 1000)}s`,
      clockTolerance: CLOCK_TOLERANCE_S,
      requiredClaims: ["iat", "exp"],
    });
    if (payload.app !== "evolution" || payload.action !== "webhook") {
      return refuse("bad_signature", "the JWT is not an Evolution webhook token (app/action claims)");
    }
    return { ok: true };
  } catch (err) {
    if (err instanceof errors.JWTExpired) {
      return err.claim === "iat"
        ? refuse("replay", "the JWT was issued longer ago than the accepted window")
        : refuse("expired", "the JWT has expired");
    }
    return refuse("bad_signature", "the JWT signature or claims are invalid");
  }
}

function refuse(reason: Exclude<WebhookVerdict, { ok: true }>["reason"], detail: string): WebhookVerdict {
  return { ok: false, reason, detail };
}
