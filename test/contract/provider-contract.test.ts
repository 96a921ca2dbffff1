/**
 * The provider contract: both provider types, unchanged, against the sandbox speaking their wire format.
 * Same behaviours, same error classes, same events; differences (number checks, typing) are capabilities.
 */
import { createServer } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ProviderError } from "../../worker/providers/provider-error.js";
import type { E164, InboundEvent, WhatsAppProvider } from "../../worker/providers/types.js";
import { waitFor } from "../harness/wait.js";
import { startSandbox, type SandboxHandle } from "../sandbox/index.js";
import { startWebhookReceiver, type WebhookReceiver } from "../sandbox/webhook-receiver.js";
import { CONTRACT_CASES, verifiedEvents } from "./provider-cases.js";

const WITH_9: E164 = "+5585987654321"; // registered with its 9th digit
const WITHOUT_9: E164 = "+5585988887777"; // registered before the 9th digit: WhatsApp knows 558588887777
const NOT_ON_WA: E164 = "+5511912345678";
const LID_CONTACT: E164 = "+5585977776666";
const BSUID_CONTACT: E164 = "+5585966665555";

/** A local port nothing listens on (connections are refused). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === "object" && address ? address.port : 0;
}

async function caught(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ProviderError) return err;
    throw err;
  }
  throw new Error("expected the call to fail");
}

describe.each(CONTRACT_CASES)("provider contract: $type", (c) => {
  let sandbox: SandboxHandle;
  let receiver: WebhookReceiver;
  let provider: WhatsAppProvider;

  beforeAll(async () => {
    sandbox = await startSandbox({
      timeScale: 0.001,
      faults: { hangMs: 3_000 },
      patients: { enabled: false },
    });
    receiver = await startWebhookReceiver();
    provider = c.provider(sandbox);
  });

  afterAll(async () => {
    await sandbox.close();
    await receiver.close();
  });

  beforeEach(async () => {
    await sandbox.client.reset();
    receiver.requests.length = 0;
    await sandbox.client.setRegistry({
      numbers: [
        { number: WITH_9, registeredAs: "with9" },
        { number: WITHOUT_9, registeredAs: "without9" },
        { number: NOT_ON_WA, registeredAs: "none" },
        { number: LID_CONTACT, lid: "190283746501234" },
        { number: BSUID_CONTACT, bsuid: "BR.1502576394655843", bsuidOnly: true },
      ],
    });
    await c.connectWebhooks(sandbox, receiver);
  });

  /** Waits until the receiver's verified events satisfy `check`. */
  const eventsWhere = (what: string, check: (events: InboundEvent[]) => boolean) =>
    waitFor(
      async () => {
        const events = await verifiedEvents(provider, receiver);
        return check(events) ? events : false;
      },
      { timeoutMs: 10_000, what },
    );

  it("checks numbers: registered addresses per 9th-digit form, or unknown where the provider cannot tell", async () => {
    await sandbox.client.reset({ keepConfig: true });
    const before = (await sandbox.client.requests()).total;
    const results = await provider.checkNumbers([WITH_9, WITHOUT_9, NOT_ON_WA, LID_CONTACT]);
    if (provider.capabilities.numberCheck) {
      expect(results).toEqual([
        { input: WITH_9, status: "registered", address: "5585987654321@s.whatsapp.net" },
        { input: WITHOUT_9, status: "registered", address: "558588887777@s.whatsapp.net" },
        { input: NOT_ON_WA, status: "not_registered" },
        {
          input: LID_CONTACT,
          status: "registered",
          address: "5585977776666@s.whatsapp.net",
          lid: "190283746501234@lid",
        },
      ]);
    } else {
      expect(results.every((r) => r.status === "unknown")).toBe(true);
      expect((await sandbox.client.requests()).total).toBe(before);
    }
  });

  it("sends a text once, to the address the provider registered", async () => {
    const [check] = await provider.checkNumbers([WITHOUT_9]);
    const address = check?.status === "registered" ? check.address : undefined;
    const sent = await provider.sendText(
      { e164: WITHOUT_9, address },
      "Olá, Maria! Responda 1 SIM, 2 NÃO ou 3 DESCONHEÇO.",
    );
    expect(sent.providerMessageId).toMatch(/^(3EB0|wamid\.)/);
    expect(sent.address?.replace(/@.*/, "")).toBe("558588887777");
    const received = await sandbox.client.received(WITHOUT_9);
    expect(received.map((m) => [m.providerMessageId, m.text])).toEqual([
      [sent.providerMessageId, "Olá, Maria! Responda 1 SIM, 2 NÃO ou 3 DESCONHEÇO."],
    ]);
  });

  it("refuses a number that is not on WhatsApp as permanent/not_on_whatsapp (Meta: synchronously when so configured)", async () => {
    if (c.type === "meta-cloud") await sandbox.client.setFaults({ meta: { undeliverable: "response" } });
    const err = await caught(provider.sendText({ e164: NOT_ON_WA }, "Olá"));
    expect(err.classification).toEqual({ kind: "permanent", reason: "not_on_whatsapp" });
    expect(err.outcomeUnknown).toBe(false);
    expect(await sandbox.client.received(NOT_ON_WA)).toEqual([]);
  });

  it("reports delivery statuses sent → delivered → read for the sent message, verified and parsed", async () => {
    const sent = await provider.sendText({ e164: WITH_9 }, "Olá");
    const events = await eventsWhere("sent, delivered and read statuses", (evs) =>
      ["sent", "delivered", "read"].every((s) =>
        evs.some(
          (e) => e.type === "status" && e.providerMessageId === sent.providerMessageId && e.status === s,
        ),
      ),
    );
    const statuses = events.filter((e) => e.type === "status");
    expect(statuses.every((e) => e.type === "status" && e.channel === provider.channel)).toBe(true);
  });

  it("reports an undeliverable number as a failed status classified not_on_whatsapp when the provider answers asynchronously", async () => {
    if (c.type !== "meta-cloud") return;
    const sent = await provider.sendText({ e164: NOT_ON_WA }, "Olá", { correlationId: "outbox-7" });
    const events = await eventsWhere("a failed status", (evs) =>
      evs.some((e) => e.type === "status" && e.status === "failed"),
    );
    expect(events.find((e) => e.type === "status" && e.status === "failed")).toMatchObject({
      providerMessageId: sent.providerMessageId,
      correlationId: "outbox-7",
      error: { code: "131026", classification: { kind: "permanent", reason: "not_on_whatsapp" } },
    });
  });

  it("round-trips an inbound reply: signed like the real thing, verified, parsed with the canonical number", async () => {
    const { providerMessageId } = await sandbox.client.inbound({
      provider: c.wire,
      number: WITHOUT_9,
      text: "NÃO",
    });
    const events = await eventsWhere("the inbound reply", (evs) => evs.some((e) => e.type === "message"));
    expect(events.find((e) => e.type === "message")).toMatchObject({
      providerMessageId,
      channel: provider.channel,
      from: { e164: WITHOUT_9 },
      text: "NÃO",
      kind: "text",
    });
  });

  it("carries LID and BSUID-only senders as opaque addresses", async () => {
    const special = c.type === "evolution" ? LID_CONTACT : BSUID_CONTACT;
    await sandbox.client.inbound({ provider: c.wire, number: special, text: "SIM" });
    const events = await eventsWhere("the inbound reply", (evs) => evs.some((e) => e.type === "message"));
    const message = events.find((e) => e.type === "message");
    if (c.type === "evolution")
      expect(message).toMatchObject({ from: { e164: LID_CONTACT, lid: "190283746501234@lid" } });
    else
      expect(message).toMatchObject({
        from: { address: "BR.1502576394655843", bsuid: "BR.1502576394655843" },
      });
  });

  it("shows typing where the provider can, and only then calls it", async () => {
    await sandbox.client.reset({ keepConfig: true });
    await provider.sendTyping({ e164: WITH_9 }, 1_500);
    const typing = (await sandbox.client.requests()).entries.filter((e) => e.operation === "sendTyping");
    expect(typing.length).toBe(provider.capabilities.typing === "presence" ? 1 : 0);
    await provider.sendTyping({ e164: WITH_9 }, 1_500, { replyToMessageId: "wamid.IN" });
    const after = (await sandbox.client.requests()).entries.filter((e) => e.operation === "sendTyping");
    expect(after.every((e) => e.status >= 200 && e.status < 300)).toBe(true);
    expect(after.length).toBe(provider.capabilities.typing === "presence" ? 2 : 1);
  });

  it("reports the connection state", async () => {
    expect(await provider.connectionState()).toBe("open");
    if (c.type !== "evolution") return;
    await sandbox.client.setConnection("connecting");
    expect(await provider.connectionState()).toBe("connecting");
    await sandbox.client.setConnection("close");
    expect(await provider.connectionState()).toBe("close");
    const err = await caught(provider.sendText({ e164: WITH_9 }, "Olá"));
    expect(err.classification).toEqual({ kind: "retryable", reason: "disconnected" });
    const events = await eventsWhere(
      "connection updates",
      (evs) => evs.filter((e) => e.type === "connection").length >= 2,
    );
    expect(
      events.filter((e) => e.type === "connection").map((e) => e.type === "connection" && e.state),
    ).toEqual(["connecting", "close"]);
  });

  it.each(c.faults)("classifies $name from the sandbox", async ({ fault, expected }) => {
    await sandbox.client.nextFault({ ...fault, operation: "sendText" });
    const err = await caught(provider.sendText({ e164: WITH_9 }, "Olá"));
    expect(err.classification).toEqual(expected);
    expect(err.message).not.toContain("5585987654321");
    expect(await sandbox.client.received(WITH_9)).toEqual([]);
  });

  it("classifies a failed number check as an error and never as not registered", async () => {
    if (!provider.capabilities.numberCheck) return;
    await sandbox.client.nextFault({ fault: "server_error", operation: "checkNumbers" });
    const err = await caught(provider.checkNumbers([WITH_9]));
    expect(err.classification.kind).toBe("retryable");
  });

  it("classifies a timed-out send whose message was accepted as retryable with an unknown outcome", async () => {
    const impatient = c.provider(sandbox, { timeoutMs: 300 });
    await sandbox.client.nextFault({ fault: "accepted_timeout", operation: "sendText" });
    const err = await caught(impatient.sendText({ e164: WITH_9 }, "Olá"));
    expect(err.classification).toEqual({ kind: "retryable", reason: "timeout" });
    expect(err.outcomeUnknown).toBe(true);
    expect((await sandbox.client.received(WITH_9)).length).toBe(1);
  });

  it("classifies a lost request as a timeout, and nothing was delivered", async () => {
    const impatient = c.provider(sandbox, { timeoutMs: 300 });
    await sandbox.client.nextFault({ fault: "dropped_timeout", operation: "sendText" });
    const err = await caught(impatient.sendText({ e164: WITH_9 }, "Olá"));
    expect(err.classification).toEqual({ kind: "retryable", reason: "timeout" });
    expect(await sandbox.client.received(WITH_9)).toEqual([]);
  });

  it("classifies wrong credentials, channel and base URL as config errors", async () => {
    const wrongSecret = await caught(
      c.provider(sandbox, { secret: "wrong" }).sendText({ e164: WITH_9 }, "Olá"),
    );
    expect(wrongSecret.classification).toEqual({
      kind: "config",
      reason: c.type === "evolution" ? "unauthorized" : "token_expired",
    });
    const wrongChannel = await caught(
      c.provider(sandbox, { channel: "999999" }).sendText({ e164: WITH_9 }, "Olá"),
    );
    expect(wrongChannel.classification).toEqual({
      kind: "config",
      reason: c.type === "evolution" ? "unknown_instance" : "unknown_phone_number_id",
    });
    const wrongBase = await caught(
      c
        .provider(sandbox, { baseUrl: `${sandbox.url}/api`, apiVersion: "v23.0" })
        .sendText({ e164: WITH_9 }, "Olá"),
    );
    expect(wrongBase.classification.kind).toBe("config");
  });

  it("classifies an unreachable server as retryable/network with a known outcome", async () => {
    const unreachable = c.provider(sandbox, { baseUrl: `http://127.0.0.1:${await closedPort()}` });
    const err = await caught(unreachable.sendText({ e164: WITH_9 }, "Olá"));
    expect(err.classification).toEqual({ kind: "retryable", reason: "network" });
    expect(err.outcomeUnknown).toBe(false);
  });

  it("is rate limited by the sandbox's steady per-sender limit", async () => {
    await sandbox.client.setFaults(
      c.type === "evolution"
        ? { evolution: { rateOverlimit: { max: 2, windowMs: 60_000 } } }
        : { meta: { throughputPerSecond: 2 } },
    );
    await provider.sendText({ e164: WITH_9 }, "1");
    await provider.sendText({ e164: WITH_9 }, "2");
    const err = await caught(provider.sendText({ e164: WITH_9 }, "3"));
    expect(err.classification).toMatchObject({ kind: "rate_limited", scope: "sender" });
    expect((await sandbox.client.received(WITH_9)).length).toBe(2);
  });
});
