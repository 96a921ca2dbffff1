/**
 * `busca-ativa campaign create` end to end: a real subprocess against the test control plane.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { CAMPAIGN_PLURAL, GROUP, VERSION } from "../../crds/index.js";
import { installCrds } from "../../crds/install.js";
import { adminKubeConfig, freshNamespace, testEnv } from "../harness/fixtures.js";
import { syntheticCsv, writeSyntheticXlsxFile } from "../patient-lists.js";
import { runCli } from "./run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "cli-campaign-"));
let kc: k8s.KubeConfig;

beforeAll(async () => {
  kc = adminKubeConfig();
  await installCrds(kc);
});

const env = () => ({ KUBECONFIG: testEnv().kubeconfig });
const sandboxSender = ["--provider", "sandbox", "--instance", "central", "--base-url", "http://sandbox:8080"];

async function readCampaign(namespace: string, name: string) {
  return (await kc.makeApiClient(k8s.CustomObjectsApi).getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: CAMPAIGN_PLURAL,
    namespace,
    name,
  })) as {
    metadata: { uid: string; managedFields?: { manager?: string }[] };
    spec: Record<string, unknown> & { audience: unknown; sender: unknown; suspend?: boolean };
  };
}

describe("busca-ativa campaign create", { timeout: 180_000 }, () => {
  it("applies a Secret holding the XLSX and a Campaign pointing at it, owned by the Campaign", async () => {
    const { value: namespace } = await freshNamespace("cli-create");
    const xlsx = join(dir, "fila.xlsx");
    await writeSyntheticXlsxFile(xlsx, 30);
    const args = ["campaign", "create", "joelho", "--file", xlsx, "-n", namespace, ...sandboxSender];
    const result = await runCli(
      [...args, "--sender-secret", "credenciais", "--daily-quota", "80", "--json"],
      {
        env: env(),
      },
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as {
      created: boolean;
      uid: string;
      secret: { name: string; key: string };
      list: { rows: { accepted: number } };
    };
    expect(out).toMatchObject({ created: true, secret: { name: "joelho-lista", key: "lista.xlsx" } });
    expect(out.list.rows.accepted).toBe(21);

    const secret = await kc
      .makeApiClient(k8s.CoreV1Api)
      .readNamespacedSecret({ namespace, name: "joelho-lista" });
    expect(Buffer.from(secret.data!["lista.xlsx"]!, "base64").equals(readFileSync(xlsx))).toBe(true);
    expect(secret.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ kind: "Campaign", name: "joelho", uid: out.uid }),
    ]);
    expect(secret.metadata?.managedFields?.map((f) => f.manager)).toContain("busca-ativa-cli");

    const campaign = await readCampaign(namespace, "joelho");
    expect(campaign.metadata.uid).toBe(out.uid);
    expect(campaign.spec.audience).toMatchObject({
      secretKeyRef: { name: "joelho-lista", key: "lista.xlsx" },
    });
    expect(campaign.spec.sender).toMatchObject({
      provider: "sandbox",
      credentialsSecretRef: { name: "credenciais" },
    });
    expect(campaign.spec.schedule).toMatchObject({ dailyQuota: 80 });
    expect(campaign.metadata.managedFields?.map((f) => f.manager)).toContain("busca-ativa-cli");

    // Applying again updates the same objects.
    const again = await runCli([...args, "--sender-secret", "credenciais", "--daily-quota", "90"], {
      env: env(),
    });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`Updated Campaign ${namespace}/joelho`);
    expect(again.stdout).toContain("a changed file is not imported again");
    expect((await readCampaign(namespace, "joelho")).spec.schedule).toMatchObject({ dailyQuota: 90 });
    expect((await readCampaign(namespace, "joelho")).metadata.uid).toBe(out.uid);
  });

  it("creates a Campaign on a list stored with busca-ativa import (listRef, no Secret), paused", async () => {
    const { value: namespace } = await freshNamespace("cli-create");
    const result = await runCli(
      [
        "campaign",
        "create",
        "catarata",
        "--list",
        "fila-catarata",
        "-n",
        namespace,
        ...sandboxSender,
        "--suspend",
      ],
      { env: env() },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Created Campaign ${namespace}/catarata`);
    const campaign = await readCampaign(namespace, "catarata");
    expect(campaign.spec.audience).toMatchObject({ listRef: { name: "fila-catarata" } });
    expect(campaign.spec.suspend).toBe(true);
  });

  it("--dry-run prints the YAML without the list's bytes and creates nothing", async () => {
    const { value: namespace } = await freshNamespace("cli-create");
    const csv = join(dir, "fila.csv");
    writeFileSync(csv, syntheticCsv(10));
    const result = await runCli(
      ["campaign", "create", "seco", "--file", csv, "-n", namespace, ...sandboxSender, "--dry-run"],
      { env: env() },
    );
    expect(result.code).toBe(0);
    const docs = parseAllDocuments(result.stdout).map((d) => d.toJS() as { kind: string; data?: object });
    expect(docs.map((d) => d.kind)).toEqual(["Secret", "Campaign"]);
    expect(JSON.stringify(docs[0]!.data)).toMatch(/not shown: patient data/);
    expect(result.stdout).not.toContain(Buffer.from(syntheticCsv(10)).toString("base64").slice(0, 40));
    expect(result.stdout).not.toContain("Paciente 0000001");
    expect(result.stdout).toContain("# Rows: 10 read, 7 accepted, 3 rejected");
    await expect(readCampaign(namespace, "seco")).rejects.toMatchObject({ code: 404 });
  });

  it.each([
    [["--provider", "evolution"], /instance is required.*baseUrl is required/],
    [[...sandboxSender, "--window", "8-18"], /--window must look like 08:00-18:00/],
    [[...sandboxSender, "--provider", "telegram"], /--provider must be one of/],
  ])("refuses %j with exit 2 and creates nothing", async (extra, message) => {
    const { value: namespace } = await freshNamespace("cli-create");
    const csv = join(dir, "ok.csv");
    writeFileSync(csv, syntheticCsv(10));
    const result = await runCli(["campaign", "create", "errado", "--file", csv, "-n", namespace, ...extra], {
      env: env(),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    await expect(readCampaign(namespace, "errado")).rejects.toMatchObject({ code: 404 });
  });

  it("refuses a list with no acceptable row (exit 1) before touching the cluster", async () => {
    const csv = join(dir, "empty.csv");
    writeFileSync(csv, "nome;telefone\nAna;123\n");
    const result = await runCli(["campaign", "create", "vazia", "--file", csv, ...sandboxSender], {
      env: { KUBECONFIG: "/nonexistent/kubeconfig" },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("IMPORT_NO_ACCEPTED_ROWS");
  });
});
