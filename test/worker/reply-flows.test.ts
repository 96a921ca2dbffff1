/**
 * The reply state machine through the whole path: a patient writes (the sandbox's control API makes the
 * provider send the webhook), the receiver stores and queues it, the worker applies it in one transaction and
 * queues the answer, and the answer reaches the patient. Main flows of domain §5.6 and the fixes to its bugs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import type { CampaignSpecInput } from "../../crds/index.js";
import { jobIds } from "../../lib/queue/jobs.js";
import { waitFor } from "../harness/wait.js";
import { startLocalStack, uniqueName, type LocalStack } from "../e2e/stack.js";
import { outboxRows, waitForFirstMessagesSent } from "./harness.js";

/** Numbers of the campaign's patients (DDD 85); Carla has two phones. */
const P = {
  ana: "+5585981000001",
  bruno: "+5585981000002",
  carla1: "+5585981000003",
  carla2: "+5585981000004",
  davi: "+5585981000005",
  eva: "+5585981000006",
  fabio: "+5585981000007",
  gil: "+5585981000008",
  helena: "+5585981000010",
  other: "+5585981000009",
} as const;

const LIST = [
  "nome;telefone;procedimento",
  "Ana;(85) 98100-0001;CATARATA",
  "Bruno;(85) 98100-0002;HERNIA",
  "Carla;(85) 98100-0003 / (85) 98100-0004;VESICULA",
  "Davi;(85) 98100-0005;JOELHO",
  "Eva;(85) 98100-0006;OMBRO",
  "Fabio;(85) 98100-0007;QUADRIL",
  "Gil;(85) 98100-0008;MENISCO",
  "Helena;(85) 98100-0010;PROSTATA",
].join("\n");
const PHONES = 9;

const SCHEDULE: NonNullable<CampaignSpecInput["schedule"]> = {
  window: { start: "00:00", end: "23:59" },
  daysOfWeek: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
  dailyQuota: 10_000,
  typingWarmup: "0s",
};

let stack: LocalStack;
let campaign: string;

beforeAll(async () => {
  stack = await startLocalStack({ sandbox: { patients: { enabled: false } } });
  await stack.sandbox.client.setRegistry({
    numbers: [
      // Eva's replies carry only her LID (no phone JID): she is matched through the address stored at validation.
      { number: P.eva, lid: "271828182845904", lidOnly: true },
      // Gil's account is an old one, without the 9th digit: sends and replies use 55 85 8100-0008.
      { number: P.gil, registeredAs: "without9" },
    ],
  });
  campaign = await stack.createCampaign(uniqueName("respostas"), LIST);
  await waitForFirstMessagesSent(stack.pool, campaign, PHONES, 90_000);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

/** The texts a number received, oldest first. */
async function texts(number: string): Promise<string[]> {
  return (await stack.sandbox.client.received(number)).map((m) => m.text);
}

/** Waits until `number` received `count` messages in all, and returns their texts. */
async function waitForTexts(number: string, count: number): Promise<string[]> {
  return waitFor(
    async () => {
      const list = await texts(number);
      if (list.length > count)
        throw new Error(`${number} received ${list.length} messages, expected ${count}`);
      return list.length === count ? list : undefined;
    },
    { timeoutMs: 30_000, what: `${number} to receive ${count} messages`, intervalMs: 100 },
  );
}

/** The patient writes `text`; resolves once the worker applied it. */
async function write(number: string, text: string): Promise<void> {
  const { providerMessageId } = await stack.sandbox.client.inbound({ provider: "evolution", number, text });
  await waitFor(
    async () => {
      const { rows } = await stack.pool.query(
        "SELECT 1 FROM inbound_messages WHERE provider_message_id = $1 AND processed_at IS NOT NULL",
        [providerMessageId],
      );
      return rows.length === 1;
    },
    { timeoutMs: 30_000, what: `the message from ${number} to be applied`, intervalMs: 100 },
  );
}

async function contactOf(number: string, uid = campaign) {
  const { rows } = await stack.pool.query<{
    state: string;
    decline_reason: string | null;
    decline_reason_text: string | null;
  }>(
    `SELECT c.state, c.decline_reason, c.decline_reason_text FROM contacts c JOIN phones p ON p.contact_id = c.id
     WHERE p.e164 = $1 AND c.campaign_uid = $2`,
    [number, uid],
  );
  return rows[0]!;
}

async function phoneReply(number: string): Promise<string | null> {
  const { rows } = await stack.pool.query<{ reply: string | null }>(
    "SELECT reply FROM phones WHERE e164 = $1 AND campaign_uid = $2",
    [number, campaign],
  );
  return rows[0]!.reply;
}

/** No answer is waiting to go out (so "nothing more was received" is final). */
async function expectNoAnswerQueued(): Promise<void> {
  const rows = await outboxRows(stack.pool, campaign, "reply");
  expect(rows.filter((r) => r.state === "pending" || r.state === "claimed")).toEqual([]);
}

describe("replies through the whole path", () => {
  it("SIM confirms the contact and answers once; later messages get 'already confirmed' at most once a day", async () => {
    await write(P.ana, "Sim");
    const [, confirmation] = await waitForTexts(P.ana, 2);
    expect(confirmation).toContain("Confirmação registrada");
    expect(confirmation).toContain("CATARATA");
    expect(await contactOf(P.ana)).toMatchObject({ state: "confirmed" });
    expect(await phoneReply(P.ana)).toBe("confirmed");

    await write(P.ana, "SIM");
    const [, , already] = await waitForTexts(P.ana, 3);
    expect(already).toContain("Você já confirmou");
    await write(P.ana, "obrigada!");
    await write(P.ana, "1");
    await expectNoAnswerQueued();
    expect(await texts(P.ana)).toHaveLength(3);
    expect(await contactOf(P.ana)).toMatchObject({ state: "confirmed" });
  });

  it("NÃO asks for the reason, and the reason closes the contact as declined with its code", async () => {
    await write(P.bruno, "não");
    const [, question] = await waitForTexts(P.bruno, 2);
    expect(question).toContain("motivo");
    expect(await contactOf(P.bruno)).toMatchObject({ state: "awaiting_reason" });
    await write(P.bruno, "2️⃣");
    const [, , declined] = await waitForTexts(P.bruno, 3);
    expect(declined).toContain("Registro atualizado");
    expect(await contactOf(P.bruno)).toEqual({
      state: "declined",
      decline_reason: "health-problems",
      decline_reason_text: null,
    });
  });

  it("a reason in the patient's own words is kept as their text", async () => {
    await write(P.helena, "NAO QUERO");
    await waitForTexts(P.helena, 2);
    await write(P.helena, "Já fiz em outro hospital");
    await waitForTexts(P.helena, 3);
    expect(await contactOf(P.helena)).toEqual({
      state: "declined",
      decline_reason: "other",
      decline_reason_text: "Já fiz em outro hospital",
    });
  });

  it("DESCONHEÇO marks only that phone; the contact is not-me once every phone said so", async () => {
    await write(P.carla1, "DESCONHEÇO");
    const [, phoneNotMe] = await waitForTexts(P.carla1, 2);
    expect(phoneNotMe).toContain("desvinculado");
    expect(await phoneReply(P.carla1)).toBe("not_me");
    expect(await contactOf(P.carla1)).toMatchObject({ state: "sent" });

    await write(P.carla2, "3");
    const [, notMe] = await waitForTexts(P.carla2, 2);
    expect(notMe).toContain("atualizar o nosso cadastro");
    expect(await contactOf(P.carla2)).toMatchObject({ state: "not_me" });
    expect(await texts(P.carla1)).toHaveLength(2);
  });

  it("a text that is no answer gets 'not understood'; the answer after it counts", async () => {
    await write(P.fabio, "Quem está falando?");
    const [, notUnderstood] = await waitForTexts(P.fabio, 2);
    expect(notUnderstood).toContain("não entendi");
    expect(await contactOf(P.fabio)).toMatchObject({ state: "sent" });
    await write(P.fabio, "1");
    await waitForTexts(P.fabio, 3);
    expect(await contactOf(P.fabio)).toMatchObject({ state: "confirmed" });
  });

  it("a sender known only by its LID is matched through the address stored at validation", async () => {
    const { rows } = await stack.pool.query<{ lid: string | null }>(
      "SELECT lid FROM phones WHERE e164 = $1 AND campaign_uid = $2",
      [P.eva, campaign],
    );
    expect(rows[0]!.lid).toBe("271828182845904@lid");
    await write(P.eva, "SIM");
    await waitForTexts(P.eva, 2);
    expect(await contactOf(P.eva)).toMatchObject({ state: "confirmed" });
    const { rows: inbound } = await stack.pool.query<{ from_address: string; from_e164: string | null }>(
      "SELECT from_address, from_e164 FROM inbound_messages WHERE campaign_uid = $1 AND from_address LIKE '%@lid'",
      [campaign],
    );
    expect(inbound).toEqual([{ from_address: "271828182845904@lid", from_e164: null }]);
  });

  it("a number registered without the 9th digit is sent to and matched by its variant", async () => {
    const [first] = await texts(P.gil);
    expect(first).toContain("MENISCO");
    expect((await stack.sandbox.client.received(P.gil))[0]!.address).toBe("558581000008@s.whatsapp.net");
    await write(P.gil, "1️⃣");
    await waitForTexts(P.gil, 2);
    expect(await contactOf(P.gil)).toMatchObject({ state: "confirmed" });
  });

  it("an opt-out cancels what is queued to that number in every campaign of the namespace", async () => {
    // A second campaign with Davi last, its sends 15 s apart: his message is planned but not yet due.
    const second = await stack.createCampaign(
      uniqueName("outra"),
      ["nome;telefone;procedimento", "Outro;(85) 98100-0009;X", "Davi;(85) 98100-0005;JOELHO"].join("\n"),
      { schedule: { ...SCHEDULE, interval: "1500s", jitterPercent: 0 } },
    );
    const queued = await waitFor(
      async () => {
        const rows = await outboxRows(stack.pool, second);
        return rows.find((r) => r.e164 === P.davi && r.state === "pending");
      },
      { timeoutMs: 60_000, what: "Davi's message in the second campaign to be queued" },
    );

    await write(P.davi, "PARAR");
    const [, optedOut] = await waitForTexts(P.davi, 2);
    expect(optedOut).toContain("não receberá mais mensagens");
    expect(await contactOf(P.davi)).toMatchObject({ state: "opted_out" });
    const { rows } = await stack.pool.query<{ namespace: string }>(
      "SELECT namespace FROM opt_outs WHERE e164 = $1",
      [P.davi],
    );
    expect(rows).toEqual([{ namespace: stack.namespace }]);
    const cancelled = (await outboxRows(stack.pool, second)).find((r) => r.id === queued.id)!;
    expect(cancelled).toMatchObject({ state: "cancelled", error_code: "opted-out" });

    // The other patient of the second campaign is reached; Davi is not, even after his slot passed.
    await waitForTexts(P.other, 1);
    // Its send job ran when its slot came, found the row withdrawn and sent nothing.
    const redis = new Redis(stack.redisUrl, { maxRetriesPerRequest: null });
    const sends = new Queue("send", { connection: redis, prefix: stack.prefix });
    try {
      const outcome = await waitFor(
        async () => {
          const job = await sends.getJob(jobIds.send(queued.id, 0));
          return job && (await job.getState()) === "completed" ? (job.returnvalue as unknown) : undefined;
        },
        { timeoutMs: 45_000, what: "Davi's send job to run at its slot", intervalMs: 250 },
      );
      expect(outcome).toEqual({ result: "skipped", why: "row is cancelled" });
    } finally {
      await sends.close();
      redis.disconnect();
    }
    expect(await texts(P.davi)).toHaveLength(2);
  });
});
