import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseEvolutionWebhook } from "./evolution/webhook-parse.js";
import { eventDedupeKey } from "./event-key.js";
import { parseMetaWebhook } from "./meta/webhook-parse.js";
import { MalformedWebhookError } from "./provider-error.js";

const NOW = new Date("2026-03-10T12:00:00Z");
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
const evolution = (name: string) => parseEvolutionWebhook(fixture(name), NOW);
const meta = (name: string) => parseMetaWebhook(fixture(name));

describe("Evolution webhook parsing (recorded shapes)", () => {
  it("reads a reply from a phone JID, giving the 9th digit back in e164", () => {
    expect(evolution("evolution-upsert-phone.json")).toEqual([
      {
        type: "message",
        channel: "hospital-ce",
        providerMessageId: "3EB0C767D26A1D6C8A5B",
        from: { address: "558598765432@s.whatsapp.net", e164: "+5585998765432" },
        text: "SIM",
        kind: "text",
        at: new Date(1773134140 * 1000),
      },
    ]);
  });

  it("takes the phone from remoteJidAlt when the key is addressed by LID", () => {
    const [event] = evolution("evolution-upsert-lid-alt.json");
    expect(event).toMatchObject({
      type: "message",
      from: { address: "5585987654321@s.whatsapp.net", e164: "+5585987654321", lid: "190283746501234@lid" },
      text: "2",
    });
  });

  it("keeps a LID-only sender as an opaque @lid address with no phone", () => {
    const [event] = evolution("evolution-upsert-lid-only.json");
    expect(event).toMatchObject({
      type: "message",
      from: { address: "190283746501234@lid", lid: "190283746501234@lid" },
      text: "DESCONHEÇO",
    });
    expect(event?.type === "message" && event.from.e164).toBeFalsy();
  });

  it("reads the older builds' senderPn as the phone", () => {
    const [event] = evolution("evolution-upsert-senderpn.json");
    expect(event).toMatchObject({
      from: { address: "5585987654321@s.whatsapp.net", e164: "+5585987654321", lid: "190283746501234@lid" },
    });
  });

  it("ignores our own messages (fromMe)", () => {
    expect(evolution("evolution-upsert-fromme.json")).toEqual([]);
  });

  it("folds extendedTextMessage into the text and reads Long timestamps, with an upper-case event name", () => {
    const [event] = evolution("evolution-upsert-extended-text.json");
    expect(event).toMatchObject({
      type: "message",
      text: "Não quero mais, obrigado",
      kind: "text",
      at: new Date(1773134140 * 1000),
    });
  });

  it("unwraps ephemeral messages", () => {
    expect(evolution("evolution-upsert-ephemeral.json")[0]).toMatchObject({ text: "1", kind: "text" });
  });

  it("reports media without text", () => {
    expect(evolution("evolution-upsert-image.json")[0]).toMatchObject({
      type: "message",
      text: null,
      kind: "media",
    });
  });

  it("ignores group messages", () => {
    expect(evolution("evolution-upsert-group.json")).toEqual([]);
  });

  it("maps messages.update acks of our messages to statuses", () => {
    expect(evolution("evolution-update-delivered.json")).toEqual([
      {
        type: "status",
        channel: "hospital-ce",
        providerMessageId: "3EB0C767D26A1D6C8A5B",
        status: "delivered",
        to: { address: "558598765432@s.whatsapp.net", e164: "+5585998765432" },
        at: new Date("2026-03-10T09:15:42.118Z"),
      },
    ]);
  });

  it("ignores updates about messages the contact sent", () => {
    expect(evolution("evolution-update-inbound-read.json")).toEqual([]);
  });

  it("reports send.message as an outbound echo", () => {
    expect(evolution("evolution-send-message.json")[0]).toMatchObject({
      type: "outbound",
      providerMessageId: "3EB0C767D26A1D6C8A5B",
      text: "Olá, Maria",
    });
  });

  it("reports connection updates", () => {
    expect(evolution("evolution-connection-update.json")).toEqual([
      {
        type: "connection",
        channel: "hospital-ce",
        state: "close",
        at: new Date("2026-03-10T09:15:42.118Z"),
      },
    ]);
  });

  it("yields nothing for events it does not handle", () => {
    expect(evolution("evolution-qrcode-updated.json")).toEqual([]);
  });

  it("throws a malformed-webhook error on a body that is not an Evolution envelope", () => {
    expect(() => parseEvolutionWebhook(Buffer.from("not json"), NOW)).toThrow(MalformedWebhookError);
    expect(() => parseEvolutionWebhook(Buffer.from('{"hello":"world"}'), NOW)).toThrow(/expected shape/);
    expect(() =>
      parseEvolutionWebhook(
        Buffer.from('{"event":"messages.upsert","instance":"x","data":{"message":{}}}'),
        NOW,
      ),
    ).toThrow(MalformedWebhookError);
  });
});

describe("Meta webhook parsing (recorded shapes)", () => {
  it("reads a text reply", () => {
    expect(meta("meta-text.json")).toEqual([
      {
        type: "message",
        channel: "106540352242922",
        providerMessageId: "wamid.HBgMNTU4NTk4NzY1NDMyFQIAEhgUM0E=",
        from: { address: "558598765432", e164: "+5585998765432" },
        text: "SIM",
        kind: "text",
        at: new Date(1773134140 * 1000),
      },
    ]);
  });

  it("keeps a BSUID-only sender (phone withheld) as an opaque address", () => {
    expect(meta("meta-bsuid-only.json")[0]).toMatchObject({
      type: "message",
      from: { address: "BR.1502576394655843", bsuid: "BR.1502576394655843" },
      text: "NÃO",
    });
    const [event] = meta("meta-bsuid-only.json");
    expect(event?.type === "message" && event.from.e164).toBeFalsy();
  });

  it("carries both phone and BSUID when Meta sends both", () => {
    expect(meta("meta-bsuid-with-phone.json")[0]).toMatchObject({
      from: { address: "5585987654321", e164: "+5585987654321", bsuid: "BR.1502576394655843" },
    });
  });

  it("reads a quick-reply button's text", () => {
    expect(meta("meta-button-reply.json")[0]).toMatchObject({ text: "Sim, tenho interesse", kind: "text" });
  });

  it("reports media without text", () => {
    expect(meta("meta-image.json")[0]).toMatchObject({ text: null, kind: "media" });
  });

  it("reads a delivered status with its correlation id", () => {
    expect(meta("meta-status-delivered.json")).toEqual([
      {
        type: "status",
        channel: "106540352242922",
        providerMessageId: "wamid.OUT1",
        status: "delivered",
        to: { address: "558598765432", e164: "+5585998765432" },
        correlationId: "outbox-42",
        at: new Date(1773134150 * 1000),
      },
    ]);
  });

  it("classifies a failed status's error code (131026: not on WhatsApp)", () => {
    expect(meta("meta-status-failed-131026.json")[0]).toMatchObject({
      status: "failed",
      error: { code: "131026", classification: { kind: "permanent", reason: "not_on_whatsapp" } },
    });
  });

  it("yields nothing for other fields", () => {
    expect(meta("meta-account-update.json")).toEqual([]);
  });

  it("throws a malformed-webhook error on a body that is not Meta's shape", () => {
    expect(() => parseMetaWebhook(Buffer.from("{"))).toThrow(MalformedWebhookError);
    expect(() => parseMetaWebhook(Buffer.from('{"entry":"x"}'))).toThrow(MalformedWebhookError);
  });
});

describe("eventDedupeKey", () => {
  it("is the message id for replies and id + status for statuses", () => {
    const [reply] = meta("meta-text.json");
    const [status] = meta("meta-status-delivered.json");
    expect(eventDedupeKey(reply!)).toBe("message:106540352242922:wamid.HBgMNTU4NTk4NzY1NDMyFQIAEhgUM0E=");
    expect(eventDedupeKey(status!)).toBe("status:106540352242922:wamid.OUT1:delivered");
  });
});
