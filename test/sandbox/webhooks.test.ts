/** Webhooks leave the sandbox authenticated like the real ones, with each provider's redelivery policy. */
import { createHmac } from "node:crypto";
import { jwtVerify } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../harness/wait.js";
import { startSandbox, type SandboxHandle, type SandboxOptions } from "./index.js";
import { startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.js";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function setup(
  options: SandboxOptions = {},
): Promise<{ sandbox: SandboxHandle; receiver: WebhookReceiver }> {
  const receiver = await startWebhookReceiver();
  const sandbox = await startSandbox({ timeScale: 0.001, patients: { enabled: false }, ...options });
  await sandbox.client.setWebhooks({ evolution: { url: receiver.url }, meta: { url: receiver.url } });
  open.push(sandbox, receiver);
  return { sandbox, receiver };
}

const evolutionSend = (sandbox: SandboxHandle, number: string) =>
  fetch(`${sandbox.url}/message/sendText/busca-ativa`, {
    method: "POST",
    headers: { apikey: sandbox.config.evolution.apiKey, "content-type": "application/json" },
    body: JSON.stringify({ number, text: "Olá" }),
  }).then((r) => r.json() as Promise<{ key: { id: string } }>);

const metaSend = (sandbox: SandboxHandle, to: string) =>
  fetch(`${sandbox.url}/v23.0/${sandbox.config.meta.phoneNumbers[0]!.id}/messages`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${sandbox.config.meta.accessToken}`,
      "content-type": "application/json",
    },
    body: JSON.stringify({ messaging_product: "whatsapp", to, type: "text", text: { body: "Olá" } }),
  }).then((r) => r.json() as Promise<{ messages: { id: string }[] }>);

/** Every timer fired and every webhook answered. */
const settled = (sandbox: SandboxHandle) =>
  waitFor(
    async () => {
      const stats = await sandbox.client.stats();
      return stats.pendingTimers === 0 && stats.webhooks.inFlight === 0;
    },
    { timeoutMs: 5_000, what: "the sandbox to settle" },
  );

const bodies = (receiver: WebhookReceiver) =>
  receiver.requests.map((r) => JSON.parse(r.rawBody.toString()) as Record<string, unknown>);
const evolutionStatuses = (receiver: WebhookReceiver, id: string) =>
  bodies(receiver)
    .filter((b) => b.event === "messages.update" && (b.data as { keyId: string }).keyId === id)
    .map((b) => (b.data as { status: string }).status);

describe("Evolution webhooks", () => {
  it("turn jwt_key into an HS256 Bearer JWT with Evolution's claims, keep other headers, and drop jwt_key", async () => {
    const { sandbox, receiver } = await setup();
    await sandbox.client.setWebhooks({
      evolution: { headers: { "x-webhook-token": "tok", jwt_key: "k3y" } },
    });
    await sandbox.client.inbound({ provider: "evolution", number: "+5585987654321", text: "SIM" });
    await waitFor(() => receiver.requests.length === 1, { timeoutMs: 5_000, what: "the webhook" });
    const { headers } = receiver.requests[0]!;
    expect(headers["x-webhook-token"]).toBe("tok");
    expect(headers.jwt_key).toBeUndefined();
    const token = String(headers.authorization).replace(/^Bearer /, "");
    const { payload } = await jwtVerify(token, new TextEncoder().encode("k3y"), { algorithms: ["HS256"] });
    expect(payload).toMatchObject({ app: "evolution", action: "webhook" });
    expect(payload.exp! - payload.iat!).toBe(600);
  });

  it("emit send.message, then SERVER_ACK → DELIVERY_ACK → READ for each send", async () => {
    const { sandbox, receiver } = await setup();
    await sandbox.client.setWebhooks({ concurrency: 1 });
    const { key } = await evolutionSend(sandbox, "5585987654321");
    await waitFor(() => evolutionStatuses(receiver, key.id).length === 3, {
      timeoutMs: 5_000,
      what: "three acks",
    });
    expect(evolutionStatuses(receiver, key.id)).toEqual(["SERVER_ACK", "DELIVERY_ACK", "READ"]);
    expect(bodies(receiver)[0]).toMatchObject({
      event: "send.message",
      instance: "busca-ativa",
      data: { key: { id: key.id, fromMe: true } },
    });
  });

  it("skip DELIVERY_ACK and READ as configured, and READ for numbers without read receipts", async () => {
    const { sandbox, receiver } = await setup({
      registry: { numbers: [{ number: "+5585911111111", readReceipts: false }] },
    });
    await sandbox.client.setWebhooks({ statuses: { delivered: false } });
    const a = await evolutionSend(sandbox, "5585987654321");
    const b = await evolutionSend(sandbox, "5585911111111");
    await settled(sandbox);
    expect(evolutionStatuses(receiver, a.key.id)).toEqual(["SERVER_ACK", "READ"]);
    expect(evolutionStatuses(receiver, b.key.id)).toEqual(["SERVER_ACK"]);
  });

  it("never deliver to a ghost chat: PENDING, SERVER_ACK, and nothing received", async () => {
    const { sandbox, receiver } = await setup({
      registry: { numbers: [{ number: "+5575988251234", ghost: true }] },
    });
    const { key } = await evolutionSend(sandbox, "5575988251234");
    await settled(sandbox);
    expect(evolutionStatuses(receiver, key.id)).toEqual(["SERVER_ACK"]);
    expect(await sandbox.client.received("+5575988251234")).toEqual([]);
  });

  it("are redelivered after a 500 with backoff, and never after a 400/401/403/404/422", async () => {
    const { sandbox, receiver } = await setup();
    await sandbox.client.setWebhooks({ evolution: { events: ["MESSAGES_UPSERT"] } });
    receiver.answer = (_r, i) => (i < 2 ? 500 : 200);
    await sandbox.client.inbound({ provider: "evolution", number: "+5585987654321", text: "SIM" });
    await waitFor(() => receiver.requests.length === 3, { timeoutMs: 5_000, what: "two redeliveries" });
    expect(receiver.requests.map((r) => r.answered)).toEqual([500, 500, 200]);
    const log = (await sandbox.client.webhookLog()).entries;
    expect(log.map((e) => [e.attempt, e.status])).toEqual([
      [1, 500],
      [2, 500],
      [3, 200],
    ]);

    for (const status of [400, 401, 403, 404, 422]) {
      receiver.requests.length = 0;
      receiver.answer = () => status;
      await sandbox.client.inbound({ provider: "evolution", number: "+5585987654321", text: "SIM" });
      await waitFor(() => receiver.requests.length === 1, {
        timeoutMs: 5_000,
        what: `the ${status} attempt`,
      });
      await settled(sandbox);
      expect(receiver.requests.length).toBe(1);
    }
  });

  it("give up after the configured number of retries", async () => {
    const { sandbox, receiver } = await setup();
    await sandbox.client.setWebhooks({
      evolution: { events: ["MESSAGES_UPSERT"] },
      retry: {
        evolution: { maxRetries: 3, initialMs: 5_000, maxMs: 300_000, jitter: 0.2, noRetryStatuses: [400] },
      },
    });
    receiver.answer = () => 503;
    await sandbox.client.inbound({ provider: "evolution", number: "+5585987654321", text: "SIM" });
    await waitFor(async () => (await sandbox.client.stats()).webhooks.failed === 1, {
      timeoutMs: 5_000,
      what: "the webhook given up",
    });
    expect(receiver.requests.length).toBe(4);
  });

  it("honour byEvents URL suffixes", async () => {
    const { sandbox, receiver } = await setup();
    await sandbox.client.setWebhooks({ evolution: { byEvents: true, events: ["MESSAGES_UPSERT"] } });
    await sandbox.client.inbound({ provider: "evolution", number: "+5585987654321", text: "SIM" });
    await waitFor(() => receiver.requests.length === 1, { timeoutMs: 5_000, what: "the webhook" });
    expect(receiver.requests[0]!.path).toBe("/webhook/messages-upsert");
  });

  it("are duplicated when asked", async () => {
    const { sandbox, receiver } = await setup();
    await sandbox.client.setWebhooks({ duplicateRate: 1, evolution: { events: ["MESSAGES_UPSERT"] } });
    const { providerMessageId } = await sandbox.client.inbound({
      provider: "evolution",
      number: "+5585987654321",
      text: "SIM",
    });
    await waitFor(() => receiver.requests.length === 2, { timeoutMs: 5_000, what: "the duplicate" });
    expect(bodies(receiver).map((b) => (b.data as { key: { id: string } }).key.id)).toEqual([
      providerMessageId,
      providerMessageId,
    ]);
  });

  it("arrive out of order when reordering is on, and in order when off", async () => {
    const orders = async (reorder: boolean) => {
      const { sandbox, receiver } = await setup({ seed: 3, timeScale: 0.02 }); // jitter up to 200 ms: larger than scheduling stalls
      // One delivery at a time: the order received is the order dispatched.
      await sandbox.client.setWebhooks({
        reorder,
        reorderWindowMs: 10_000,
        concurrency: 1,
        evolution: { events: ["MESSAGES_UPDATE"] },
      });
      const ids: string[] = [];
      for (let i = 0; i < 10; i++)
        ids.push((await evolutionSend(sandbox, `55859${String(80000000 + i).padStart(8, "0")}`)).key.id);
      await waitFor(() => receiver.requests.length === 30, { timeoutMs: 10_000, what: "all acks" });
      return ids.map((id) => evolutionStatuses(receiver, id).join(">"));
    };
    expect(new Set(await orders(false))).toEqual(new Set(["SERVER_ACK>DELIVERY_ACK>READ"]));
    expect((await orders(true)).some((o) => o !== "SERVER_ACK>DELIVERY_ACK>READ")).toBe(true);
  });
});

describe("Meta webhooks", () => {
  it("are signed with X-Hub-Signature-256 over the exact bytes, non-ASCII escaped as Meta does", async () => {
    const { sandbox, receiver } = await setup();
    await sandbox.client.inbound({ provider: "meta", number: "+5585987654321", text: "NÃO" });
    await waitFor(() => receiver.requests.length === 1, { timeoutMs: 5_000, what: "the webhook" });
    const { rawBody, headers } = receiver.requests[0]!;
    expect(rawBody.toString()).toContain("N\\u00c3O");
    const expected = `sha256=${createHmac("sha256", sandbox.config.webhooks.meta.appSecret).update(rawBody).digest("hex")}`;
    expect(headers["x-hub-signature-256"]).toBe(expected);
  });

  it("report sent → delivered → read per send, and a failed 131026 status for an unregistered number", async () => {
    const { sandbox, receiver } = await setup({
      registry: { numbers: [{ number: "+5511912345678", registeredAs: "none" }] },
    });
    const ok = await metaSend(sandbox, "5585987654321");
    const bad = await metaSend(sandbox, "5511912345678");
    const statusesOf = (id: string) =>
      bodies(receiver).flatMap((b) => {
        const value = (
          b.entry as {
            changes: {
              value: { statuses?: { id: string; status: string; errors?: { code: number }[] }[] };
            }[];
          }[]
        )[0]!.changes[0]!.value;
        return (value.statuses ?? [])
          .filter((s) => s.id === id)
          .map((s) => `${s.status}${s.errors ? `:${s.errors[0]!.code}` : ""}`);
      });
    await waitFor(
      () => statusesOf(ok.messages[0]!.id).length === 3 && statusesOf(bad.messages[0]!.id).length === 1,
      { timeoutMs: 5_000, what: "statuses" },
    );
    expect(statusesOf(ok.messages[0]!.id)).toEqual(["sent", "delivered", "read"]);
    expect(statusesOf(bad.messages[0]!.id)).toEqual(["failed:131026"]);
    expect(await sandbox.client.received("+5511912345678")).toEqual([]);
  });

  it("are retried on any answer but 200", async () => {
    const { sandbox, receiver } = await setup();
    receiver.answer = (_r, i) => (i === 0 ? 204 : 200);
    await sandbox.client.inbound({ provider: "meta", number: "+5585987654321", text: "SIM" });
    await waitFor(() => receiver.requests.length === 2, { timeoutMs: 5_000, what: "the redelivery" });
    expect(receiver.requests.map((r) => r.answered)).toEqual([204, 200]);
  });

  it("withhold the phone number of BSUID-only senders", async () => {
    const { sandbox, receiver } = await setup({
      registry: { numbers: [{ number: "+5585966665555", bsuid: "BR.77", bsuidOnly: true }] },
    });
    await sandbox.client.inbound({ provider: "meta", number: "BR.77", text: "SIM" });
    await waitFor(() => receiver.requests.length === 1, { timeoutMs: 5_000, what: "the webhook" });
    const raw = receiver.requests[0]!.rawBody.toString();
    expect(raw).toContain('"from_user_id":"BR.77"');
    expect(raw).not.toContain("5585966665555");
  });
});
