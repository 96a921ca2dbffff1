/** Simulated patients answer the first message per their share, NÃO patients answer the reason question. */
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
  const sandbox = await startSandbox({
    timeScale: 0.001,
    ...options,
    webhooks: {
      evolution: { url: receiver.url, events: ["MESSAGES_UPSERT"] },
      statuses: { enabled: false },
      ...options.webhooks,
    },
  });
  open.push(sandbox, receiver);
  return { sandbox, receiver };
}

async function send(sandbox: SandboxHandle, number: string, text: string): Promise<void> {
  const response = await fetch(`${sandbox.url}/message/sendText/busca-ativa`, {
    method: "POST",
    headers: { apikey: sandbox.config.evolution.apiKey, "content-type": "application/json" },
    body: JSON.stringify({ number, text }),
  });
  expect(response.status).toBe(201);
}

/** The replies received so far, as [digits of the sender, text]. */
function replies(receiver: WebhookReceiver): [string, string][] {
  return receiver.requests.map((r) => {
    const body = JSON.parse(r.rawBody.toString()) as {
      data: { key: { remoteJid: string }; message: { conversation: string } };
    };
    return [body.data.key.remoteJid.replace(/@.*/, ""), body.data.message.conversation];
  });
}

describe("simulated patients", () => {
  it("answers the first message per its behaviour, and NÃO patients answer the reason question once", async () => {
    const { sandbox, receiver } = await setup({
      patients: { shares: { no: 1 }, texts: { no: ["NÃO"], reason: ["2"] } },
    });
    await send(sandbox, "5585987654321", "Olá Maria, ainda tem interesse? 1 SIM / 2 NÃO");
    await waitFor(() => replies(receiver).length === 1, { timeoutMs: 5_000, what: "the NÃO reply" });
    expect(replies(receiver)).toEqual([["5585987654321", "NÃO"]]);
    await send(sandbox, "5585987654321", "Poderia informar o motivo?");
    await waitFor(() => replies(receiver).length === 2, { timeoutMs: 5_000, what: "the reason" });
    expect(replies(receiver)[1]).toEqual(["5585987654321", "2"]);
    await send(sandbox, "5585987654321", "Registro atualizado. Qual o motivo mesmo?");
    expect((await sandbox.client.patients("+5585987654321")).conversation).toMatchObject({
      behaviour: "no",
      stage: "done",
      replies: 2,
    });
  });

  it("keeps silent patients silent and never answers a second campaign message", async () => {
    const { sandbox, receiver } = await setup({
      registry: {
        numbers: [
          { number: "+5585911111111", behaviour: "silence" },
          { number: "+5585922222222", behaviour: "yes" },
        ],
      },
      patients: { texts: { yes: ["SIM"] } },
    });
    await send(sandbox, "5585911111111", "Olá");
    await send(sandbox, "5585922222222", "Olá");
    await waitFor(() => replies(receiver).length === 1, { timeoutMs: 5_000, what: "the SIM reply" });
    await send(sandbox, "5585922222222", "Lembrete: ainda tem interesse?");
    await waitFor(async () => (await sandbox.client.stats()).pendingTimers === 0, {
      timeoutMs: 5_000,
      what: "no pending replies",
    });
    expect(replies(receiver)).toEqual([["5585922222222", "SIM"]]);
  });

  it("draws behaviours from the seed and the number only, whatever the order of sends", async () => {
    const numbers = Array.from(
      { length: 40 },
      (_, i) => `55859${String(80000000 + i * 7919).padStart(8, "0")}`,
    );
    const behaviours = async (order: string[]) => {
      const { sandbox } = await setup({ seed: 42, patients: { replyDelayMs: { min: 0, max: 0 } } });
      for (const n of order) await send(sandbox, n, "Olá");
      return Promise.all(
        numbers.map(async (n) => (await sandbox.client.patients(n)).conversation?.behaviour),
      );
    };
    const forward = await behaviours(numbers);
    const backward = await behaviours([...numbers].reverse());
    expect(backward).toEqual(forward);
    expect(new Set(forward).size).toBeGreaterThan(2);
  });

  it("follows the configured shares", async () => {
    const { sandbox } = await setup({
      seed: 7,
      patients: { shares: { yes: 3, silence: 1 }, replyDelayMs: { min: 0, max: 0 } },
    });
    for (let i = 0; i < 200; i++) await send(sandbox, `55859${String(70000000 + i).padStart(8, "0")}`, "Olá");
    const { behaviours } = await sandbox.client.patients();
    expect(behaviours.yes! + behaviours.silence!).toBe(200);
    expect(behaviours.yes).toBeGreaterThan(120);
    expect(behaviours.yes).toBeLessThan(180);
    expect(behaviours.no).toBe(0);
  });

  it("replies from LID contacts as @lid with remoteJidAlt, or LID only when so registered", async () => {
    const { sandbox, receiver } = await setup({
      registry: {
        numbers: [
          { number: "+5585933333333", behaviour: "yes", lid: "111" },
          { number: "+5585944444444", behaviour: "yes", lid: "222", lidOnly: true },
        ],
      },
    });
    await send(sandbox, "5585933333333", "Olá");
    await send(sandbox, "5585944444444", "Olá");
    await waitFor(() => receiver.requests.length === 2, { timeoutMs: 5_000, what: "two replies" });
    const keys = receiver.requests.map(
      (r) => (JSON.parse(r.rawBody.toString()) as { data: { key: Record<string, unknown> } }).data.key,
    );
    expect(keys).toContainEqual(
      expect.objectContaining({
        remoteJid: "111@lid",
        remoteJidAlt: "5585933333333@s.whatsapp.net",
        addressingMode: "lid",
      }),
    );
    const lidOnly = keys.find((k) => k.remoteJid === "222@lid");
    expect(lidOnly).toBeDefined();
    expect(lidOnly).not.toHaveProperty("remoteJidAlt");
  });
});
