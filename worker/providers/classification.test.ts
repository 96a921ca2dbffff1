import { describe, expect, it } from "vitest";
import { classifyThrown } from "./classification.js";
import { classifyEvolutionFailure, EVOLUTION_RATE_OVERLIMIT_BACKOFF_MS } from "./evolution/classify.js";
import { classifyMetaError, META_BACKOFF_MS, META_ERROR_TABLE } from "./meta/classify.js";
import { ProviderError } from "./provider-error.js";
import type { ProviderErrorClass } from "./types.js";

const envelope = (status: number, message: unknown) => ({ status, error: "x", response: { message } });

describe("Evolution failure classification", () => {
  const cases: [string, number, unknown, ProviderErrorClass, boolean][] = [
    [
      "400 exists:false from the pre-send check is not_on_whatsapp",
      400,
      envelope(400, [{ jid: "5585…@s.whatsapp.net", exists: false, number: "5585…" }]),
      { kind: "permanent", reason: "not_on_whatsapp" },
      false,
    ],
    [
      "400 rate-overlimit is rate limited per sender",
      400,
      envelope(400, ["Error: rate-overlimit"]),
      { kind: "rate_limited", scope: "sender", retryAfterMs: EVOLUTION_RATE_OVERLIMIT_BACKOFF_MS },
      false,
    ],
    [
      "500 rate-overlimit is rate limited too",
      500,
      envelope(500, ["Error: rate-overlimit"]),
      { kind: "rate_limited", scope: "sender", retryAfterMs: EVOLUTION_RATE_OVERLIMIT_BACKOFF_MS },
      false,
    ],
    [
      "400 Connection Closed is retryable/disconnected",
      400,
      envelope(400, ["Error: Connection Closed"]),
      { kind: "retryable", reason: "disconnected" },
      false,
    ],
    [
      "500 Connection Closed is retryable/disconnected",
      500,
      envelope(500, "Connection Closed"),
      { kind: "retryable", reason: "disconnected" },
      false,
    ],
    [
      "401 is config/unauthorized",
      401,
      envelope(401, "Unauthorized"),
      { kind: "config", reason: "unauthorized" },
      false,
    ],
    [
      "403 is config/forbidden",
      403,
      envelope(403, ["This name is already in use"]),
      { kind: "config", reason: "forbidden" },
      false,
    ],
    [
      "404 for an instance is config/unknown_instance",
      404,
      envelope(404, ['The "x" instance does not exist']),
      { kind: "config", reason: "unknown_instance" },
      false,
    ],
    [
      "404 for a route is config/wrong_base_url",
      404,
      envelope(404, ["Cannot POST /api/message"]),
      { kind: "config", reason: "wrong_base_url" },
      false,
    ],
    [
      "429 (a proxy) is rate limited with the default backoff",
      429,
      "Too Many Requests",
      { kind: "rate_limited", scope: "sender", retryAfterMs: 30_000 },
      false,
    ],
    [
      "400 validation message is permanent/invalid_request",
      400,
      envelope(400, ['instance requires property "text"']),
      { kind: "permanent", reason: "invalid_request" },
      false,
    ],
    [
      "400 logged out stops sending",
      400,
      envelope(400, ["Error: loggedOut"]),
      { kind: "stop_sending", reason: "account_restricted" },
      false,
    ],
    [
      "other 5xx is retryable/server_error and may have sent",
      502,
      "Bad Gateway",
      { kind: "retryable", reason: "server_error" },
      true,
    ],
    [
      "an unexplained 400 is retryable and may have sent",
      400,
      envelope(400, ["Error: item-not-found"]),
      { kind: "retryable", reason: "provider_error" },
      true,
    ],
    [
      "another 4xx is permanent/rejected",
      422,
      envelope(422, ["Unprocessable"]),
      { kind: "permanent", reason: "rejected" },
      false,
    ],
  ];
  it.each(cases)("%s", (_name, status, body, expected, mayHaveSent) => {
    const result = classifyEvolutionFailure({ status, body });
    expect(result.classification).toEqual(expected);
    expect(result.mayHaveSent).toBe(mayHaveSent);
  });

  it("honours Retry-After over the default backoff", () => {
    expect(classifyEvolutionFailure({ status: 429, body: "", retryAfterMs: 7_000 }).classification).toEqual({
      kind: "rate_limited",
      scope: "sender",
      retryAfterMs: 7_000,
    });
  });
});

describe("Meta error classification", () => {
  const expectedKinds: [number, ProviderErrorClass][] = [
    [130429, { kind: "rate_limited", scope: "sender", retryAfterMs: META_BACKOFF_MS.throughput }],
    [131056, { kind: "rate_limited", scope: "recipient", retryAfterMs: META_BACKOFF_MS.pair }],
    [131048, { kind: "stop_sending", reason: "spam_rate_limit" }],
    [131026, { kind: "permanent", reason: "not_on_whatsapp" }],
    [131047, { kind: "needs_template" }],
    [4, { kind: "rate_limited", scope: "account", retryAfterMs: META_BACKOFF_MS.apiCalls }],
    [80007, { kind: "rate_limited", scope: "account", retryAfterMs: META_BACKOFF_MS.apiCalls }],
    [368, { kind: "stop_sending", reason: "policy_block" }],
    [1, { kind: "retryable", reason: "server_error" }],
    [2, { kind: "retryable", reason: "server_error" }],
    [190, { kind: "config", reason: "token_expired" }],
    [131030, { kind: "config", reason: "recipient_not_allowed" }],
  ];
  it.each(expectedKinds)("code %i is classified per the reference table", (code, expected) => {
    expect(classifyMetaError({ code, status: 400 }).classification).toEqual(expected);
  });

  it("classifies on the code, not on the HTTP status", () => {
    expect(classifyMetaError({ code: 131026, status: 500 }).classification).toEqual({
      kind: "permanent",
      reason: "not_on_whatsapp",
    });
    expect(classifyMetaError({ code: 2, status: 400 }).classification.kind).toBe("retryable");
  });

  it("every table row round-trips through classifyMetaError", () => {
    for (const [code, rule] of Object.entries(META_ERROR_TABLE)) {
      expect(classifyMetaError({ code: Number(code), status: 400 }).classification).toEqual(
        rule.classification,
      );
    }
  });

  it("code 100 with subcode 33 is an unknown phone-number id", () => {
    expect(classifyMetaError({ code: 100, subcode: 33, status: 400 }).classification).toEqual({
      kind: "config",
      reason: "unknown_phone_number_id",
    });
  });

  it("a Retry-After overrides the backoff hint of a rate limit", () => {
    expect(classifyMetaError({ code: 130429, status: 400, retryAfterMs: 12_000 }).classification).toEqual({
      kind: "rate_limited",
      scope: "sender",
      retryAfterMs: 12_000,
    });
  });

  const fallbacks: [string, { code?: number; status?: number }, ProviderErrorClass][] = [
    [
      "unknown code with 429",
      { code: 999999, status: 429 },
      { kind: "rate_limited", scope: "sender", retryAfterMs: META_BACKOFF_MS.http429 },
    ],
    ["unknown code with 401", { code: 999999, status: 401 }, { kind: "config", reason: "unauthorized" }],
    ["unknown code with 503", { code: 999999, status: 503 }, { kind: "retryable", reason: "server_error" }],
    ["unknown code with 400", { code: 999999, status: 400 }, { kind: "permanent", reason: "rejected" }],
    ["unknown code in a failed status webhook", { code: 999999 }, { kind: "permanent", reason: "rejected" }],
    ["no error object at all with 500", { status: 500 }, { kind: "retryable", reason: "server_error" }],
  ];
  it.each(fallbacks)("%s falls back on the HTTP status", (_name, error, expected) => {
    expect(classifyMetaError(error).classification).toEqual(expected);
  });
});

describe("classifyThrown", () => {
  it("keeps a ProviderError's own classification", () => {
    const err = new ProviderError(
      { kind: "needs_template" },
      { provider: "meta-cloud", operation: "sendText" },
    );
    expect(classifyThrown(err)).toEqual({ kind: "needs_template" });
  });

  it("treats timeouts and fetch failures as retryable", () => {
    expect(classifyThrown(new DOMException("timed out", "TimeoutError"))).toEqual({
      kind: "retryable",
      reason: "timeout",
    });
    expect(classifyThrown(new TypeError("fetch failed"))).toEqual({ kind: "retryable", reason: "network" });
    expect(classifyThrown(new Error("something else"))).toEqual({
      kind: "retryable",
      reason: "provider_error",
    });
  });
});

describe("ProviderError messages", () => {
  it("say what to do and never contain the response body", () => {
    const err = new ProviderError(
      { kind: "permanent", reason: "not_on_whatsapp" },
      { provider: "evolution", operation: "sendText", httpStatus: 400, providerCode: "exists:false" },
    );
    expect(err.code).toBe("PROVIDER_PERMANENT");
    expect(err.message).toMatch(/mark this phone as not sendable/);
    expect(err.message).not.toMatch(/\d{10,}/);
  });

  it("tell the caller to look for the webhook when a send's outcome is unknown", () => {
    const err = new ProviderError(
      { kind: "retryable", reason: "timeout" },
      { provider: "meta-cloud", operation: "sendText", outcomeUnknown: true },
    );
    expect(err.outcomeUnknown).toBe(true);
    expect(err.message).toMatch(/check for the message's webhook/);
  });
});
