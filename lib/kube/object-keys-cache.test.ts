/**
 * ObjectKeysCache against the API server: an existing object's keys are served from memory until the TTL
 * ends, a missing object is read again on every ask, concurrent asks share one GET, and only key names are
 * kept.
 */
import { describe, expect, it } from "vitest";
import * as k8s from "@kubernetes/client-node";
import {
  adminKubeConfig,
  freshNamespace,
  kubeConfigFromFile,
  kubeconfigForUser,
} from "../../test/harness/fixtures.js";
import { ObjectKeysCache } from "./object-keys-cache.js";

const b64 = (text: string) => Buffer.from(text).toString("base64");

/** The admin kubeconfig, counting the GETs its API clients make. */
function countingKubeConfig(): { kc: k8s.KubeConfig; gets: () => number } {
  const kc = adminKubeConfig();
  let gets = 0;
  const original = kc.applySecurityAuthentication.bind(kc);
  kc.applySecurityAuthentication = async (context) => {
    if (context.getHttpMethod() === "GET") gets++;
    return original(context);
  };
  return { kc, gets: () => gets };
}

describe("ObjectKeysCache", () => {
  it("serves an existing Secret's keys until the TTL ends, then reads it again", async () => {
    const ns = (await freshNamespace("keys")).value;
    const core = adminKubeConfig().makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: "creds" }, data: { apiKey: b64("s3cret-value") } },
    });
    const { kc, gets } = countingKubeConfig();
    let now = 1_000_000;
    const cache = new ObjectKeysCache({ kubeConfig: kc, ttlMs: 30_000, now: () => now });

    const asks = await Promise.all([1, 2, 3].map(() => cache.keys("Secret", ns, "creds")));
    for (const keys of asks) expect([...keys!]).toEqual(["apiKey"]);
    expect(gets()).toBe(1);

    await core.patchNamespacedSecret(
      { namespace: ns, name: "creds", body: { data: { baseUrl: b64("http://x") } } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
    now += 29_000;
    expect([...(await cache.keys("Secret", ns, "creds"))!]).toEqual(["apiKey"]);
    expect(gets()).toBe(1);
    now += 2_000;
    expect([...(await cache.keys("Secret", ns, "creds"))!].sort()).toEqual(["apiKey", "baseUrl"]);
    expect(gets()).toBe(2);
    expect(JSON.stringify([...(await cache.keys("Secret", ns, "creds"))!])).not.toContain("s3cret");
  });

  it("does not remember a missing object, and reads ConfigMap keys from data and binaryData", async () => {
    const ns = (await freshNamespace("keys")).value;
    const core = adminKubeConfig().makeApiClient(k8s.CoreV1Api);
    const { kc, gets } = countingKubeConfig();
    const cache = new ObjectKeysCache({ kubeConfig: kc });

    expect(await cache.keys("ConfigMap", ns, "list")).toBeUndefined();
    expect(await cache.keys("ConfigMap", ns, "list")).toBeUndefined();
    expect(gets()).toBe(2);
    expect(cache.size).toBe(0);

    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: "list" }, data: { "list.csv": "a" }, binaryData: { "list.xlsx": b64("b") } },
    });
    expect([...(await cache.keys("ConfigMap", ns, "list"))!].sort()).toEqual(["list.csv", "list.xlsx"]);
    expect(await cache.keys("Secret", ns, "list")).toBeUndefined(); // a Secret of that name is another object
    expect(cache.size).toBe(1);
  });

  it("forgets the oldest objects past maxEntries and throws errors other than 404", async () => {
    const ns = (await freshNamespace("keys")).value;
    const core = adminKubeConfig().makeApiClient(k8s.CoreV1Api);
    for (const name of ["a", "b", "c"])
      await core.createNamespacedSecret({
        namespace: ns,
        body: { metadata: { name }, data: { k: b64(name) } },
      });
    const { kc, gets } = countingKubeConfig();
    const cache = new ObjectKeysCache({ kubeConfig: kc, maxEntries: 2 });
    for (const name of ["a", "b", "c"]) await cache.keys("Secret", ns, name);
    expect(cache.size).toBe(2);
    await cache.keys("Secret", ns, "c");
    expect(gets()).toBe(3);
    await cache.keys("Secret", ns, "a"); // forgotten: read again
    expect(gets()).toBe(4);

    // A user with no RBAC at all: 403, not "missing".
    const stranger = new ObjectKeysCache({ kubeConfig: kubeConfigFromFile(kubeconfigForUser("nobody")) });
    await expect(stranger.keys("Secret", ns, "a")).rejects.toMatchObject({ code: 403 });
    expect(stranger.size).toBe(0);
  });
});
