/** The sandbox speaks each provider's wire format: paths, auth, status codes, payload and error shapes. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSandbox, type SandboxHandle } from "./index.js";

let sandbox: SandboxHandle;
const INSTANCE = "busca-ativa";

beforeAll(async () => {
  sandbox = await startSandbox({ patients: { enabled: false } });
});
afterAll(() => sandbox.close());
beforeEach(async () => {
  await sandbox.client.reset();
  await sandbox.client.setRegistry({
    numbers: [
      { number: "+5585987654321", registeredAs: "without9", lid: "190283746501234" },
      { number: "+5511987654321", registeredAs: "with9" },
      { number: "+5585911112222", registeredAs: "none" },
    ],
  });
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
  };
}

const evo = (method: string, path: string, body?: unknown, apikey = sandbox.config.evolution.apiKey) =>
  call(method, path, body, { apikey });
const meta = (method: string, path: string, body?: unknown, token = sandbox.config.meta.accessToken) =>
  call(method, path, body, { authorization: `Bearer ${token}` });
const PNID = () => sandbox.config.meta.phoneNumbers[0]!.id;

describe("Evolution API v2 wire format", () => {
  it("whatsappNumbers applies createJid and answers with the registered JID for either 9th-digit form", async () => {
    const answer = await evo("POST", `/chat/whatsappNumbers/${INSTANCE}`, {
      numbers: ["5585987654321", "558587654321", "5511987654321", "5585911112222", "190283746501234@lid"],
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual([
      {
        exists: true,
        jid: "558587654321@s.whatsapp.net",
        number: "5585987654321",
        lid: "190283746501234@lid",
      },
      {
        exists: true,
        jid: "558587654321@s.whatsapp.net",
        number: "558587654321",
        lid: "190283746501234@lid",
      },
      { exists: true, jid: "5511987654321@s.whatsapp.net", number: "5511987654321" },
      // Not registered: the JID createJid made (DDD 85, next digit 1 < 7: the 9 stays).
      { exists: false, jid: "5585911112222@s.whatsapp.net", number: "5585911112222" },
      { exists: true, jid: "190283746501234@lid", number: "190283746501234@lid" },
    ]);
  });

  it("sendText answers 201 with the prepared message (key.id, PENDING, numeric timestamp)", async () => {
    const answer = await evo("POST", `/message/sendText/${INSTANCE}`, {
      number: "5585987654321",
      text: "Olá",
    });
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({
      key: {
        remoteJid: "558587654321@s.whatsapp.net",
        fromMe: true,
        id: expect.stringMatching(/^3EB0[0-9A-F]{16}$/),
      },
      status: "PENDING",
      message: { conversation: "Olá" },
      messageType: "conversation",
      messageTimestamp: expect.any(Number),
    });
  });

  it("sendText to a number without WhatsApp is a 400 carrying exists:false", async () => {
    const answer = await evo("POST", `/message/sendText/${INSTANCE}`, {
      number: "5585911112222",
      text: "Olá",
    });
    expect(answer).toMatchObject({
      status: 400,
      body: {
        status: 400,
        error: "Bad Request",
        response: { message: [{ exists: false, number: "5585911112222" }] },
      },
    });
  });

  it("validates bodies like Evolution's validator", async () => {
    expect((await evo("POST", `/message/sendText/${INSTANCE}`, { number: "5585987654321" })).body).toEqual({
      status: 400,
      error: "Bad Request",
      response: { message: ['instance requires property "text"'] },
    });
    expect(
      (
        await evo("POST", `/chat/sendPresence/${INSTANCE}`, {
          number: "5585987654321",
          presence: "composing",
        })
      ).body,
    ).toMatchObject({
      response: { message: ['instance requires property "delay"'] },
    });
  });

  it("checks the instance before the apikey, as Evolution's guards do", async () => {
    expect(await evo("POST", `/message/sendText/other`, { number: "1", text: "x" }, "wrong")).toMatchObject({
      status: 404,
      body: { status: 404, response: { message: ['The "other" instance does not exist'] } },
    });
    expect(
      await evo("POST", `/message/sendText/${INSTANCE}`, { number: "1", text: "x" }, "wrong"),
    ).toMatchObject({ status: 401, body: { status: 401, error: "Unauthorized" } });
  });

  it("answers unknown routes with the 404 envelope", async () => {
    expect(await evo("POST", "/api/message/sendText/x", {})).toMatchObject({
      status: 404,
      body: { response: { message: ["Cannot POST /api/message/sendText/x"] } },
    });
  });

  it("reports the connection state under instance.state", async () => {
    expect((await evo("GET", `/instance/connectionState/${INSTANCE}`)).body).toEqual({
      instance: { instanceName: INSTANCE, state: "open" },
    });
  });

  it("answers a presence with 201", async () => {
    expect(
      await evo("POST", `/chat/sendPresence/${INSTANCE}`, {
        number: "5585987654321",
        presence: "composing",
        delay: 0,
      }),
    ).toMatchObject({ status: 201 });
  });
});

describe("Meta Cloud API wire format", () => {
  it("answers a text send with contacts[].wa_id (the registered form) and messages[].id", async () => {
    const answer = await meta("POST", `/v23.0/${PNID()}/messages`, {
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: "+5585987654321",
      type: "text",
      text: { body: "Olá" },
    });
    expect(answer).toMatchObject({
      status: 200,
      body: {
        messaging_product: "whatsapp",
        contacts: [{ input: "+5585987654321", wa_id: "558587654321" }],
        messages: [{ id: expect.stringMatching(/^wamid\./), message_status: "accepted" }],
      },
    });
  });

  it("records a template with its parameters", async () => {
    await meta("POST", `/v23.0/${PNID()}/messages`, {
      messaging_product: "whatsapp",
      to: "5511987654321",
      type: "template",
      template: {
        name: "busca_ativa_convite",
        language: { code: "pt_BR" },
        components: [{ type: "body", parameters: [{ type: "text", text: "Maria" }] }],
      },
    });
    expect((await sandbox.client.received("+5511987654321")).map((m) => [m.kind, m.text])).toEqual([
      ["template", "template:busca_ativa_convite:pt_BR|Maria"],
    ]);
  });

  it("refuses a bad token with Graph's 401 code 190 and an unknown phone-number id with code 100 subcode 33", async () => {
    const body = { messaging_product: "whatsapp", to: "5511987654321", type: "text", text: { body: "x" } };
    expect(await meta("POST", `/v23.0/${PNID()}/messages`, body, "wrong")).toMatchObject({
      status: 401,
      body: { error: { code: 190, type: "OAuthException" } },
    });
    expect(await meta("POST", `/v23.0/123/messages`, body)).toMatchObject({
      status: 400,
      body: { error: { code: 100, error_subcode: 33 } },
    });
  });

  it("refuses a body without messaging_product like Graph does", async () => {
    expect(await meta("POST", `/v23.0/${PNID()}/messages`, { to: "1", text: { body: "x" } })).toMatchObject({
      status: 400,
      body: { error: { code: 100, error_data: { details: "The parameter messaging_product is required." } } },
    });
  });

  it("serves the phone-number object", async () => {
    expect(await meta("GET", `/v23.0/${PNID()}?fields=id,quality_rating`)).toMatchObject({
      status: 200,
      body: { id: PNID(), quality_rating: "GREEN" },
    });
  });
});
