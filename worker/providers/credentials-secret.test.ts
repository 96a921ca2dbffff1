import * as k8s from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { adminKubeConfig, freshNamespace } from "../../test/harness/fixtures.js";
import { loadProviderCredentials } from "./credentials.js";

describe("loadProviderCredentials from a real Kubernetes Secret", () => {
  it("reads and validates the keys of the Secret", async () => {
    const kc = adminKubeConfig();
    const { value: namespace } = await freshNamespace("creds");
    await kc.makeApiClient(k8s.CoreV1Api).createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: "whatsapp" },
        stringData: {
          provider: "meta-cloud",
          accessToken: "EAAG-token",
          appSecret: "app-secret",
          verifyToken: "verify",
        },
      },
    });
    expect(await loadProviderCredentials(kc, namespace, "whatsapp")).toEqual({
      type: "meta-cloud",
      credentials: {
        accessToken: "EAAG-token",
        appSecret: "app-secret",
        verifyToken: "verify",
        graphBaseUrl: undefined,
        apiVersion: undefined,
      },
    });
  });

  it("names the missing key", async () => {
    const kc = adminKubeConfig();
    const { value: namespace } = await freshNamespace("creds");
    await kc.makeApiClient(k8s.CoreV1Api).createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: "whatsapp" },
        stringData: { baseUrl: "https://evo.example.org", webhookToken: "t" },
      },
    });
    await expect(loadProviderCredentials(kc, namespace, "whatsapp", "evolution")).rejects.toThrow(
      /no key apiKey/,
    );
  });

  it("says which Secret is missing", async () => {
    const { value: namespace } = await freshNamespace("creds");
    await expect(
      loadProviderCredentials(adminKubeConfig(), namespace, "absent", "evolution"),
    ).rejects.toMatchObject({
      code: "PROVIDER_SECRET_NOT_FOUND",
      message: expect.stringContaining(`${namespace}/absent does not exist`),
    });
  });
});
