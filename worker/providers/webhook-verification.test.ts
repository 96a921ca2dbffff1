import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { createProvider } from "./factory.js";
import { signMetaBody } from "./meta/webhook-auth.js";

const NOW = Date.parse("2026-03-10T12:00:00Z");
const clock = () => NOW;
const nowS = Math.floor(NOW / 1000);

function evolution(
  credentials: { webhookToken?: string; webhookJwtKey?: string },
  extra: { jwtMaxAgeMs?: number } = {},
) {
  return createProvider(
    {
      type: "evolution",
      instance: "hospital",
      credentials: { baseUrl: "http://evolution.invalid", apiKey: "k", ...credentials },
      ...extra,
    },
    { clock },
  );
}

async function evolutionJwt(
  key: string,
  claims: { iat: number; exp: number; app?: string; action?: string },
): Promise<string> {
  return new SignJWT({ app: claims.app ?? "evolution", action: claims.action ?? "webhook" })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt(claims.iat)
    .setExpirationTime(claims.exp)
    .sign(new TextEncoder().encode(key));
}

const body = Buffer.from('{"event":"messages.upsert","instance":"hospital","data":{}}');

describe("Evolution webhook verification with a static token header", () => {
  const provider = evolution({ webhookToken: "s3cret-token" });

  it("accepts the configured token in x-webhook-token", async () => {
    expect(await provider.verifyWebhook({ "x-webhook-token": "s3cret-token" }, body)).toEqual({
      ok: true,
    });
  });

  it("refuses a request without the header as missing", async () => {
    expect(await provider.verifyWebhook({}, body)).toMatchObject({ ok: false, reason: "missing" });
  });

  it("refuses a forged token", async () => {
    expect(await provider.verifyWebhook({ "x-webhook-token": "s3cret-tokeN" }, body)).toMatchObject({
      ok: false,
      reason: "bad_signature",
    });
  });

  it("reads the header name case-insensitively and honours a custom header name", async () => {
    const custom = createProvider(
      {
        type: "evolution",
        instance: "h",
        credentials: { baseUrl: "http://e.invalid", apiKey: "k", webhookToken: "t" },
        webhookTokenHeader: "X-Hospital-Key",
      },
      { clock },
    );
    expect(await custom.verifyWebhook({ "x-hospital-key": "t" }, body)).toEqual({ ok: true });
    expect(await custom.verifyWebhook({ "x-webhook-token": "t" }, body)).toMatchObject({
      ok: false,
      reason: "missing",
    });
  });
});

describe("Evolution webhook verification with Evolution's jwt_key JWT", () => {
  const key = "jwt-signing-key";
  const provider = evolution({ webhookJwtKey: key });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it("accepts a fresh token signed with the key", async () => {
    const token = await evolutionJwt(key, { iat: nowS - 5, exp: nowS + 595 });
    expect(await provider.verifyWebhook(bearer(token), body)).toEqual({ ok: true });
  });

  it("refuses a request without Authorization as missing", async () => {
    expect(await provider.verifyWebhook({}, body)).toMatchObject({ ok: false, reason: "missing" });
  });

  it("refuses a token signed with another key", async () => {
    const token = await evolutionJwt("another-key", { iat: nowS, exp: nowS + 600 });
    expect(await provider.verifyWebhook(bearer(token), body)).toMatchObject({
      ok: false,
      reason: "bad_signature",
    });
  });

  it("refuses a token whose signature was tampered with", async () => {
    const token = await evolutionJwt(key, { iat: nowS, exp: nowS + 600 });
    const [h, , signature] = token.split(".");
    const forgedPayload = Buffer.from(
      JSON.stringify({ app: "evolution", action: "webhook", iat: nowS, exp: nowS + 99999 }),
    ).toString("base64url");
    expect(await provider.verifyWebhook(bearer(`${h}.${forgedPayload}.${signature}`), body)).toMatchObject({
      ok: false,
      reason: "bad_signature",
    });
  });

  it("refuses an unsigned (alg none) token", async () => {
    const header = Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url");
    const payload = Buffer.from(
      JSON.stringify({ app: "evolution", action: "webhook", iat: nowS, exp: nowS + 600 }),
    ).toString("base64url");
    expect(await provider.verifyWebhook(bearer(`${header}.${payload}.`), body)).toMatchObject({
      ok: false,
      reason: "bad_signature",
    });
  });

  it("refuses an expired token (replayed after its 10 minutes)", async () => {
    const token = await evolutionJwt(key, { iat: nowS - 700, exp: nowS - 100 });
    expect(await provider.verifyWebhook(bearer(token), body)).toMatchObject({ ok: false, reason: "expired" });
  });

  it("refuses a still-valid token issued before the configured window as a replay", async () => {
    const strict = evolution({ webhookJwtKey: key }, { jwtMaxAgeMs: 60_000 });
    const token = await evolutionJwt(key, { iat: nowS - 300, exp: nowS + 300 });
    expect(await strict.verifyWebhook(bearer(token), body)).toMatchObject({ ok: false, reason: "replay" });
  });

  it("refuses a token that is not an Evolution webhook token", async () => {
    const token = await evolutionJwt(key, { iat: nowS, exp: nowS + 600, app: "other" });
    expect(await provider.verifyWebhook(bearer(token), body)).toMatchObject({
      ok: false,
      reason: "bad_signature",
    });
  });

  it("with both methods configured, requires both", async () => {
    const both = evolution({ webhookToken: "t", webhookJwtKey: key });
    const token = await evolutionJwt(key, { iat: nowS, exp: nowS + 600 });
    expect(await both.verifyWebhook({ "x-webhook-token": "t", ...bearer(token) }, body)).toEqual({
      ok: true,
    });
    expect(await both.verifyWebhook({ "x-webhook-token": "t" }, body)).toMatchObject({
      ok: false,
      reason: "missing",
    });
    expect(await both.verifyWebhook(bearer(token), body)).toMatchObject({ ok: false, reason: "missing" });
  });

  it("cannot be created without any webhook secret", () => {
    expect(() => evolution({})).toThrow(/webhookToken or credentials.webhookJwtKey/);
  });
});

describe("Meta webhook verification (X-Hub-Signature-256)", () => {
  const appSecret = "meta-app-secret";
  const provider = createProvider(
    {
      type: "meta-cloud",
      phoneNumberId: "106540352242922",
      credentials: { accessToken: "t", appSecret, verifyToken: "verify-me" },
    },
    { clock },
  );
  // Meta escapes non-ASCII characters and signs those exact bytes.
  const raw = Buffer.from(
    `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"106540352242922"},"messages":[{"from":"5585987654321","id":"wamid.A","timestamp":"${nowS - 10}","type":"text","text":{"body":"N\\u00c3O"}}]}}]}]}`,
  );

  it("accepts the signature of the exact raw bytes", async () => {
    expect(
      await provider.verifyWebhook({ "x-hub-signature-256": signMetaBody(raw, appSecret) }, raw),
    ).toEqual({ ok: true });
  });

  it("refuses the same signature over re-serialised JSON", async () => {
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(raw.toString())));
    expect(reserialised.equals(raw)).toBe(false);
    expect(
      await provider.verifyWebhook({ "x-hub-signature-256": signMetaBody(raw, appSecret) }, reserialised),
    ).toMatchObject({ ok: false, reason: "bad_signature" });
  });

  it("refuses an unsigned request as missing", async () => {
    expect(await provider.verifyWebhook({}, raw)).toMatchObject({ ok: false, reason: "missing" });
  });

  it("refuses a signature made with another secret", async () => {
    expect(
      await provider.verifyWebhook({ "x-hub-signature-256": signMetaBody(raw, "wrong") }, raw),
    ).toMatchObject({ ok: false, reason: "bad_signature" });
  });

  it("refuses a malformed signature header", async () => {
    expect(await provider.verifyWebhook({ "x-hub-signature-256": "sha1=abc" }, raw)).toMatchObject({
      ok: false,
      reason: "bad_signature",
    });
  });

  it("refuses a validly signed body whose events are older than the replay window", async () => {
    const old = Buffer.from(
      raw.toString().replace(`"timestamp":"${nowS - 10}"`, `"timestamp":"${nowS - 301}"`),
    );
    expect(
      await provider.verifyWebhook({ "x-hub-signature-256": signMetaBody(old, appSecret) }, old),
    ).toMatchObject({ ok: false, reason: "replay" });
  });

  it("uses the configured replay window", async () => {
    const lenient = createProvider(
      {
        type: "meta-cloud",
        phoneNumberId: "106540352242922",
        credentials: { accessToken: "t", appSecret, verifyToken: "v" },
        replayWindowMs: 3_600_000,
      },
      { clock },
    );
    const old = Buffer.from(
      raw.toString().replace(`"timestamp":"${nowS - 10}"`, `"timestamp":"${nowS - 1800}"`),
    );
    expect(await lenient.verifyWebhook({ "x-hub-signature-256": signMetaBody(old, appSecret) }, old)).toEqual(
      { ok: true },
    );
  });

  it("answers the subscription handshake only with the right verify token", () => {
    const q = (token: string) =>
      new URLSearchParams({
        "hub.mode": "subscribe",
        "hub.verify_token": token,
        "hub.challenge": "1158201444",
      });
    expect(provider.handshake?.(q("verify-me"))).toEqual({ status: 200, body: "1158201444" });
    expect(provider.handshake?.(q("nope"))).toEqual({ status: 403, body: "Forbidden" });
    expect(
      provider.handshake?.(
        new URLSearchParams({
          "hub.mode": "unsubscribe",
          "hub.verify_token": "verify-me",
          "hub.challenge": "1",
        }),
      )?.status,
    ).toBe(403);
  });
});
