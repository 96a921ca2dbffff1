/** Reading webhook headers and comparing secrets without leaking timing. */
import { createHash, timingSafeEqual } from "node:crypto";
import type { WebhookHeaders } from "./types.js";

/** The first value of a header, looked up case-insensitively. */
export function headerValue(headers: WebhookHeaders, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted) continue;
    const first = Array.isArray(value) ? value[0] : value;
    return first === undefined || first === "" ? undefined : first;
  }
  return undefined;
}

/** Constant-time equality of two strings of any length (both are hashed first). */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(headers: WebhookHeaders): string | undefined {
  const value = headerValue(headers, "authorization");
  const match = value ? /^Bearer\s+(\S+)\s*$/i.exec(value) : null;
  return match?.[1];
}
