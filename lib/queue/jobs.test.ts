import { describe, expect, it } from "vitest";
import { jobIds, jobSchemas, parseJobData, QUEUE_GROUPS, QUEUES } from "./jobs.js";

describe("job payloads", () => {
  const campaignUid = "7f0f3a52-3c1e-4c7b-9a55-2f1d6f0b9e11";

  it("accept ids", () => {
    expect(parseJobData("send", { campaignUid, outboxId: 12 })).toEqual({ campaignUid, outboxId: 12 });
  });

  it.each([
    ["a phone number", { campaignUid, outboxId: 1, phone: "+5585987654321" }],
    ["a name", { campaignUid, outboxId: 1, name: "Maria" }],
    ["a message text", { campaignUid, outboxId: 1, text: "Olá" }],
  ])("refuse %s: payloads carry ids only", (_what, data) => {
    expect(() => jobSchemas.send.parse(data)).toThrow();
  });

  it("refuse a campaign uid that is not a uuid", () => {
    expect(() => parseJobData("import", { campaignUid: "camp-1" })).toThrow();
  });
});

describe("job ids", () => {
  it("never contain ':' nor are all digits (BullMQ's rules)", () => {
    const ids = [
      jobIds.send(42, 0),
      jobIds.import("uid", 3),
      jobIds.validate("uid", 7),
      jobIds.inbound("evolution", "3EB0:ABC"),
      jobIds.status("meta-cloud", "wamid.HBgM:x==", "delivered"),
    ];
    for (const id of ids) {
      expect(id).not.toContain(":");
      expect(id).not.toMatch(/^\d+$/);
    }
  });

  it("are deterministic", () => {
    expect(jobIds.inbound("evolution", "ABC")).toBe(jobIds.inbound("evolution", "ABC"));
  });
});

describe("queue groups", () => {
  it("cover every queue exactly once", () => {
    const grouped = Object.values(QUEUE_GROUPS).flat().sort();
    expect(grouped).toEqual(Object.values(QUEUES).sort());
  });
});
