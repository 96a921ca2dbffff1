import { describe, expect, it } from "vitest";
import { credentialsFromSecretData } from "./credentials.js";
import { createProvider, providerConfigForSender } from "./factory.js";

const REF = "hospital/whatsapp";

describe("provider credentials from Secret data", () => {
  it("reads Evolution keys, the type coming from the provider key", () => {
    expect(
      credentialsFromSecretData(
        { provider: "evolution", baseUrl: "https://evo.example.org", apiKey: "k", webhookToken: "t" },
        REF,
      ),
    ).toEqual({
      type: "evolution",
      credentials: {
        baseUrl: "https://evo.example.org",
        apiKey: "k",
        webhookToken: "t",
        webhookJwtKey: undefined,
      },
    });
  });

  it("reads Meta keys, the type coming from the caller", () => {
    expect(
      credentialsFromSecretData(
        { accessToken: "a", appSecret: "s", verifyToken: "v", apiVersion: "v23.0" },
        REF,
        "meta-cloud",
      ),
    ).toEqual({
      type: "meta-cloud",
      credentials: {
        accessToken: "a",
        appSecret: "s",
        verifyToken: "v",
        graphBaseUrl: undefined,
        apiVersion: "v23.0",
      },
    });
  });

  it.each([
    [{ baseUrl: "https://e.org", apiKey: "k", webhookToken: "t" }, undefined, /no key provider/],
    [{ provider: "twilio" }, undefined, /key provider is "twilio"/],
    [
      { provider: "evolution", baseUrl: "https://e.org", apiKey: "k", webhookToken: "t" },
      "meta-cloud" as const,
      /says "evolution" but it is used for a meta-cloud/,
    ],
    [{ provider: "evolution", baseUrl: "https://e.org", webhookToken: "t" }, undefined, /no key apiKey/],
    [{ provider: "evolution", webhookToken: "t" }, undefined, /no key apiKey/],
    [{ provider: "meta-cloud", accessToken: "a" }, undefined, /no key appSecret, no key verifyToken/],
    [
      { provider: "evolution", baseUrl: "https://e.org", apiKey: "k" },
      undefined,
      /neither key webhookToken nor key webhookJwtKey/,
    ],
    [
      { provider: "sandbox", baseUrl: "localhost:8080", apiKey: "k", webhookToken: "t" },
      undefined,
      /key baseUrl is not an http\(s\) URL/,
    ],
  ])("refuses %j (type %s), naming the Secret and the key", (data, type, message) => {
    expect(() => credentialsFromSecretData(data as Record<string, string>, REF, type)).toThrow(message);
    expect(() => credentialsFromSecretData(data as Record<string, string>, REF, type)).toThrow(
      /hospital\/whatsapp/,
    );
  });
});

describe("createProvider", () => {
  it("builds each provider type with its capabilities", () => {
    const evo = createProvider(
      providerConfigForSender(
        { provider: "evolution", instance: "hospital", baseUrl: "http://e.invalid" },
        { type: "evolution", credentials: { apiKey: "k", webhookToken: "t" } },
      ),
    );
    const sandbox = createProvider({
      type: "sandbox",
      instance: "hospital",
      credentials: { baseUrl: "http://127.0.0.1:1", apiKey: "k", webhookToken: "t" },
    });
    const meta = createProvider(
      providerConfigForSender(
        { provider: "meta-cloud", phoneNumberId: "106540352242922" },
        { type: "meta-cloud", credentials: { accessToken: "a", appSecret: "s", verifyToken: "v" } },
      ),
    );
    expect([evo.type, evo.channel, evo.capabilities.numberCheck]).toEqual(["evolution", "hospital", true]);
    expect([sandbox.type, sandbox.capabilities.numberCheck]).toEqual(["sandbox", true]);
    expect([meta.type, meta.channel, meta.capabilities.numberCheck, meta.capabilities.templates]).toEqual([
      "meta-cloud",
      "106540352242922",
      false,
      true,
    ]);
    expect(meta.handshake).toBeTypeOf("function");
    expect(evo.handshake).toBeUndefined();
  });

  it("refuses a bad configuration with a message naming the field", () => {
    expect(() =>
      createProvider({
        type: "meta-cloud",
        phoneNumberId: "abc",
        credentials: { accessToken: "a", appSecret: "s", verifyToken: "v" },
      }),
    ).toThrow(/phoneNumberId: expected the numeric Meta phone-number id/);
    expect(() =>
      createProvider({
        type: "evolution",
        instance: "",
        credentials: { baseUrl: "http://e", apiKey: "k", webhookToken: "t" },
      }),
    ).toThrow(/instance/);
  });

  it("builds from a Campaign sender: its baseUrl wins, and its webhook authentication picks the check", async () => {
    const provider = createProvider(
      providerConfigForSender(
        {
          provider: "evolution",
          instance: "h",
          baseUrl: "http://spec.invalid",
          webhook: { authentication: "token", headerName: "x-hospital-key" },
        },
        {
          type: "evolution",
          credentials: {
            baseUrl: "http://secret.invalid",
            apiKey: "k",
            webhookToken: "t",
            webhookJwtKey: "j",
          },
        },
      ),
    );
    // Only the token is checked: no JWT needed.
    expect(await provider.verifyWebhook({ "x-hospital-key": "t" }, Buffer.from("{}"))).toEqual({ ok: true });
    expect(() =>
      providerConfigForSender(
        { provider: "sandbox", instance: "h" },
        { type: "evolution", credentials: { apiKey: "k", webhookToken: "t" } },
      ),
    ).toThrow(/credentials are for provider evolution but the sender uses sandbox/);
    expect(() =>
      createProvider(
        providerConfigForSender(
          { provider: "evolution", instance: "h", webhook: { authentication: "jwt" } },
          { type: "evolution", credentials: { baseUrl: "http://e.invalid", apiKey: "k", webhookToken: "t" } },
        ),
      ),
    ).toThrow(/needs credentials.webhookJwtKey/);
  });

  it("refuses an Evolution sender without any base URL", () => {
    expect(() =>
      createProvider(
        providerConfigForSender(
          { provider: "evolution", instance: "h" },
          { type: "evolution", credentials: { apiKey: "k", webhookToken: "t" } },
        ),
      ),
    ).toThrow(/credentials.baseUrl: expected an http\(s\) URL/);
  });
});
