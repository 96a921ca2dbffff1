import { describe, expect, it } from "vitest";
import type { CampaignObject } from "../kube.js";
import { nextSendText, progressBar, renderCampaign, renderCompact, statusJson, summarise } from "./render.js";

const now = new Date("2026-08-03T15:00:00Z"); // 12:00 in Fortaleza

function campaign(overrides: Partial<CampaignObject> = {}): CampaignObject {
  return {
    metadata: { namespace: "hospital", name: "joelho" },
    spec: { suspend: false, schedule: { timeZone: "America/Fortaleza" } },
    status: {
      phase: "Sending",
      progress: 50,
      nextSendTime: "2026-08-03T15:12:00Z",
      counts: { contacts: 200, sent: 120, replied: 80, confirmed: 60, declined: 10, noResponse: 5 },
    },
    ...overrides,
  };
}

describe("progress bar", () => {
  it.each([
    [0, 10, false, "[..........]"],
    [50, 10, false, "[#####.....]"],
    [100, 10, false, "[##########]"],
    [33, 3, true, "[█░░]"],
    [140, 4, false, "[####]"],
    [-5, 4, false, "[....]"],
  ])("%i%% over %i cells (unicode %s) is %s", (percent, width, unicode, bar) => {
    expect(progressBar(percent, width, unicode)).toBe(bar);
  });
});

describe("next send time", () => {
  it.each([
    ["2026-08-03T15:12:00Z", "America/Fortaleza", "12:12 (in 12m, America/Fortaleza)"],
    ["2026-08-03T17:30:00Z", "America/Fortaleza", "14:30 (in 2h 30m, America/Fortaleza)"],
    ["2026-08-04T11:00:00Z", "America/Fortaleza", "2026-08-04 08:00 (in 20h, America/Fortaleza)"],
    ["2026-08-03T14:00:00Z", "UTC", "14:00 (due now, UTC)"],
    ["2026-08-03T15:12:00Z", "Not/AZone", "15:12 (in 12m, UTC)"],
  ])("%s in %s reads %s", (iso, zone, text) => {
    expect(nextSendText(iso, zone, now)).toBe(text);
  });

  it("is absent when there is none", () => {
    expect(nextSendText(undefined, "UTC", now)).toBeUndefined();
  });
});

describe("a campaign's status", () => {
  it("shows phase, bar, percent, counts and the next send in the campaign's zone", () => {
    const lines = renderCampaign(summarise(campaign()), { now, unicode: false, barWidth: 10 });
    expect(lines[0]).toBe("hospital/joelho  Sending  [#####.....]  50%");
    expect(lines[1]).toBe(
      "  contacts 200 · sent 120 · replied 80 · confirmed 60 · declined 10 · no response 5 · next send 12:12 (in 12m, America/Fortaleza)",
    );
  });

  it("shows the pause reason, deletion and the status message", () => {
    const paused = campaign({
      status: { phase: "Paused", pauseReason: "OutsideWindow", message: "Outside the window until 08:00" },
    });
    const lines = renderCampaign(summarise(paused), { now, unicode: true, barWidth: 4 });
    expect(lines[0]).toBe("hospital/joelho  Paused (OutsideWindow)  [░░░░]   0%");
    expect(lines[2]).toBe("  Outside the window until 08:00");
    const deleting = campaign({
      metadata: { namespace: "h", name: "x", deletionTimestamp: "2026-08-03T00:00:00Z" },
    });
    expect(renderCampaign(summarise(deleting), { now, unicode: false })[0]).toContain("Deleting");
  });

  it("shows failures and opt-outs only when there are some", () => {
    const c = campaign();
    c.status!.counts = { ...c.status!.counts, failed: 2, optedOut: 1 };
    expect(renderCampaign(summarise(c), { now, unicode: false })[1]).toContain("failed 2 · opted out 1");
    expect(renderCampaign(summarise(campaign()), { now, unicode: false })[1]).not.toContain("failed");
  });

  it("gives a compact line that does not change as the clock moves", () => {
    const s = summarise(campaign());
    const at = (iso: string) => renderCompact(s, { now: new Date(iso), barWidth: 10 });
    expect(at("2026-08-03T15:00:00Z")).toBe(at("2026-08-03T15:05:00Z"));
    expect(at("2026-08-03T15:00:00Z")).toContain("next send 12:12 (America/Fortaleza)");
  });

  it("a campaign without status yet is Pending at 0%", () => {
    const s = summarise({ metadata: { namespace: "h", name: "new" } });
    expect(s.phase).toBe("Pending");
    expect(s.progress).toBe(0);
    expect(statusJson({ metadata: { namespace: "h", name: "new" } })).toEqual({
      namespace: "h",
      name: "new",
      uid: undefined,
      suspend: false,
      deleting: false,
      status: {},
    });
  });
});
