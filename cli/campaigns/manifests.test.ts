import { describe, expect, it } from "vitest";
import { parseCampaign } from "../../crds/index.js";
import {
  buildCampaignManifests,
  DEFAULT_CLI_TEMPLATE,
  redactedSecret,
  type CampaignCreateInput,
} from "./manifests.js";

const base: CampaignCreateInput = {
  name: "joelho",
  namespace: "hospital",
  list: { kind: "file", content: Buffer.from("nome;telefone\nAna;85987654321\n"), format: "csv" },
  provider: "evolution",
  senderSecret: "whatsapp",
  instance: "central",
  baseUrl: "https://evolution.example.org",
  template: DEFAULT_CLI_TEMPLATE,
};

describe("campaign create manifests", () => {
  it("puts the file in <name>-lista under lista.<format> and points the Campaign at it", () => {
    const built = buildCampaignManifests(base);
    if ("error" in built) throw new Error(built.error);
    const { secret, campaign, key } = built.manifests;
    expect(key).toBe("lista.csv");
    expect(secret?.metadata).toMatchObject({ name: "joelho-lista", namespace: "hospital" });
    expect(Buffer.from(secret!.data["lista.csv"]!, "base64").toString()).toContain("Ana");
    expect(campaign.spec.audience).toEqual({ secretKeyRef: { name: "joelho-lista", key: "lista.csv" } });
    const parsed = parseCampaign(campaign);
    expect(parsed.spec.sender).toMatchObject({ provider: "evolution", instance: "central" });
    expect(parsed.spec.schedule.timeZone).toBe("America/Fortaleza");
  });

  it("uses a stored list with listRef and no Secret, with schedule, follow-up and column mapping", () => {
    const built = buildCampaignManifests({
      ...base,
      list: { kind: "list", name: "fila-2026" },
      columnMapping: { name: ["Paciente"] },
      window: { start: "07:00", end: "19:00" },
      daysOfWeek: ["Mon", "Sat"],
      dailyQuota: 200,
      timeZone: "America/Sao_Paulo",
      followUp: "lembretes",
      suspend: true,
    });
    if ("error" in built) throw new Error(built.error);
    expect(built.manifests.secret).toBeUndefined();
    const spec = parseCampaign(built.manifests.campaign).spec;
    expect(spec.audience.listRef).toEqual({ name: "fila-2026" });
    expect(spec.audience.columnMapping.name).toEqual(["Paciente"]);
    expect(spec.schedule).toMatchObject({
      window: { start: "07:00", end: "19:00" },
      daysOfWeek: ["Mon", "Sat"],
      dailyQuota: 200,
    });
    expect(spec.followUpScheduleRef).toEqual({ name: "lembretes" });
    expect(spec.suspend).toBe(true);
  });

  it.each([
    [{ provider: "meta-cloud", instance: undefined, phoneNumberId: "123" }, /metaTemplate is required/],
    [{ baseUrl: undefined }, /baseUrl is required/],
    [{ template: "Olá {nome" }, /template/],
    [{ dailyQuota: 0 }, /dailyQuota/],
    [{ window: { start: "8h", end: "18:00" } }, /window/],
    [{ daysOfWeek: ["Segunda"] }, /daysOfWeek/],
  ] as const)("refuses %j with the schema's message", (overrides, message) => {
    const built = buildCampaignManifests({ ...base, ...(overrides as Partial<CampaignCreateInput>) });
    expect("error" in built && built.error).toMatch(message);
  });

  it("a meta-cloud campaign takes the approved template", () => {
    const built = buildCampaignManifests({
      ...base,
      provider: "meta-cloud",
      instance: undefined,
      baseUrl: undefined,
      phoneNumberId: "123456",
      metaTemplate: { name: "busca_ativa", language: "pt_BR" },
    });
    expect("manifests" in built).toBe(true);
  });

  it("never shows the file's bytes in a dry run", () => {
    const built = buildCampaignManifests(base);
    if ("error" in built) throw new Error(built.error);
    const shown = redactedSecret(built.manifests.secret!, "ab".repeat(32));
    expect(JSON.stringify(shown)).not.toContain(built.manifests.secret!.data["lista.csv"]);
    expect(shown.data["lista.csv"]).toMatch(/^<30 bytes, sha256 abab.*not shown/);
  });
});
