/** The control API: faults on demand, what each number received, logs, validation and reset. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSandbox, textFingerprint, type SandboxHandle } from "./index.js";

let sandbox: SandboxHandle;

beforeAll(async () => {
  sandbox = await startSandbox({ patients: { enabled: false }, faults: { hangMs: 200 } });
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.client.reset());

const evolutionSend = (number: string, text = "Olá") =>
  fetch(`${sandbox.url}/message/sendText/busca-ativa`, {
    method: "POST",
    headers: { apikey: sandbox.config.evolution.apiKey, "content-type": "application/json" },
    body: JSON.stringify({ number, text }),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));

const metaSend = (to: string, text = "Olá") =>
  fetch(`${sandbox.url}/v23.0/${sandbox.config.meta.phoneNumbers[0]!.id}/messages`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${sandbox.config.meta.accessToken}`,
      "content-type": "application/json",
    },
    body: JSON.stringify({ messaging_product: "whatsapp", to, type: "text", text: { body: text } }),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: { code: number } } }));

describe("what each number received", () => {
  it("is listed per canonical number, whatever form the query uses, with fingerprints and duplicate detection", async () => {
    await evolutionSend("5585987654321", "Mensagem 1");
    await evolutionSend("558587654321", "Mensagem 1");
    await metaSend("+5585987654321", "Mensagem 2");
    const received = await sandbox.client.received("(85) 98765-4321");
    expect(received.map((m) => [m.provider, m.text, m.fingerprint])).toEqual([
      ["evolution", "Mensagem 1", textFingerprint("Mensagem 1")],
      ["evolution", "Mensagem 1", textFingerprint("Mensagem 1")],
      ["meta", "Mensagem 2", textFingerprint("Mensagem 2")],
    ]);
    const counts = await sandbox.client.receivedCounts();
    expect(counts.numbers["+5585987654321"]).toEqual({
      total: 3,
      byFingerprint: { [textFingerprint("Mensagem 1")]: 2, [textFingerprint("Mensagem 2")]: 1 },
    });
    expect(counts.duplicates).toEqual([
      { number: "+5585987654321", fingerprint: textFingerprint("Mensagem 1"), count: 2 },
    ]);
  });
});

describe("faults on demand", () => {
  it("one-shot faults hit only the matching number, the given number of times", async () => {
    await sandbox.client.nextFault({ fault: "rate_overlimit", number: "+5585911111111", times: 2 });
    expect((await evolutionSend("5585922222222")).status).toBe(201);
    expect((await evolutionSend("5585911111111")).body).toMatchObject({
      response: { message: ["Error: rate-overlimit"] },
    });
    expect((await evolutionSend("5585911111111")).status).toBe(400);
    expect((await evolutionSend("5585911111111")).status).toBe(201);
  });

  it("a steady 5xx probability of 1 fails every provider request", async () => {
    await sandbox.client.setFaults({ serverErrorRate: 1 });
    expect(await evolutionSend("5585922222222")).toMatchObject({ status: 500, body: { status: 500 } });
    expect(await metaSend("5585922222222")).toMatchObject({ status: 500, body: { error: { code: 1 } } });
  });

  it("Meta's pair rate limit answers 131056 for a second message to the same recipient", async () => {
    await sandbox.client.setFaults({ meta: { pairRate: { max: 1, windowMs: 60_000 } } });
    expect((await metaSend("5585922222222")).status).toBe(200);
    expect((await metaSend("5585933333333")).status).toBe(200);
    expect((await metaSend("5585922222222")).body.error?.code).toBe(131056);
  });

  it("Meta's 24-hour window answers 131047 until the patient writes", async () => {
    await sandbox.client.setFaults({ meta: { enforceWindow: true, undeliverable: "response" } });
    expect((await metaSend("5585922222222")).body.error?.code).toBe(131047);
    await sandbox.client.inbound({ provider: "meta", number: "+5585922222222", text: "Oi" });
    expect((await metaSend("5585922222222")).status).toBe(200);
  });

  it("connection state close makes sends fail with Connection Closed", async () => {
    await sandbox.client.setConnection("close");
    expect(await evolutionSend("5585922222222")).toMatchObject({
      status: 400,
      body: { response: { message: ["Error: Connection Closed"] } },
    });
  });

  it("fixed latency delays the answer by at least that long", async () => {
    await sandbox.client.setFaults({ latencyMs: 50 });
    await evolutionSend("5585922222222");
    const [entry] = (await sandbox.client.requests({ limit: 1 })).entries;
    expect(entry!.durationMs).toBeGreaterThanOrEqual(50);
  });

  it("an accepted-then-timed-out send is received although its answer comes late", async () => {
    await sandbox.client.nextFault({ fault: "accepted_timeout" });
    const answer = await evolutionSend("5585922222222");
    expect(answer.status).toBe(201);
    expect((await sandbox.client.requests({ limit: 1 })).entries[0]).toMatchObject({
      fault: "accepted_timeout",
      status: 201,
    });
    expect((await sandbox.client.received("+5585922222222")).length).toBe(1);
  });
});

describe("logs, validation and reset", () => {
  it("logs provider requests without bodies", async () => {
    await evolutionSend("5585922222222", "texto secreto");
    const { entries, total } = await sandbox.client.requests();
    expect(total).toBe(1);
    expect(entries[0]).toMatchObject({
      provider: "evolution",
      operation: "sendText",
      method: "POST",
      path: "/message/sendText/busca-ativa",
      status: 201,
    });
    expect(JSON.stringify(entries)).not.toContain("texto secreto");
  });

  it("refuses invalid control bodies with a message naming the field", async () => {
    await expect(sandbox.client.nextFault({ fault: "explode" as never })).rejects.toThrow(/400.*fault/);
    await expect(
      sandbox.client.setRegistry({ numbers: [{ number: "1", registeredAs: "maybe" as never }] }),
    ).rejects.toThrow(/400/);
    await expect(sandbox.client.setFaults({ serverErrorRate: 2 })).rejects.toThrow(/400/);
  });

  it("reset restores the startup configuration and forgets everything recorded", async () => {
    await sandbox.client.setRegistry({ defaultRegistration: "none" });
    await sandbox.client.setFaults({ serverErrorRate: 1 });
    await evolutionSend("5585922222222");
    await sandbox.client.reset();
    expect((await sandbox.client.requests()).total).toBe(0);
    expect((await evolutionSend("5585922222222")).status).toBe(201);
    expect((await sandbox.client.config()).registry.defaultRegistration).toBe("with9");
  });
});
