import * as k8s from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { dispatcherKey, shareDispatchers } from "./shared-dispatcher.js";

function kubeConfig(certData: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server: "https://127.0.0.1:6443", caData: Buffer.from("ca").toString("base64") }],
    users: [
      {
        name: "u",
        certData: Buffer.from(certData).toString("base64"),
        keyData: Buffer.from("key").toString("base64"),
      },
    ],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  return kc;
}

/** The dispatcher a generated API call would get. */
async function dispatcherOf(kc: k8s.KubeConfig): Promise<unknown> {
  let dispatcher: unknown;
  const context = {
    setHeaderParam: () => undefined,
    setDispatcher: (d: unknown) => {
      dispatcher = d;
    },
  };
  await kc.applySecurityAuthentication(context as unknown as k8s.RequestContext);
  return dispatcher;
}

describe("shareDispatchers", () => {
  it("gives every API call of one KubeConfig the same dispatcher (one connection pool)", async () => {
    const kc = shareDispatchers(kubeConfig("cert-1"));
    const first = await dispatcherOf(kc);
    expect(first).toBeDefined();
    expect(await dispatcherOf(kc)).toBe(first);
    expect(await dispatcherOf(kc)).toBe(first);
  });

  it("leaves client-node's behaviour (a new dispatcher per call) on KubeConfigs it was not given", async () => {
    const kc = kubeConfig("cert-1");
    expect(await dispatcherOf(kc)).not.toBe(await dispatcherOf(kc));
  });

  it("builds a new dispatcher when the client certificate changes (rotation)", async () => {
    const kc = shareDispatchers(kubeConfig("cert-1"));
    const before = await dispatcherOf(kc);
    const user = kc.getCurrentUser() as { certData?: string };
    user.certData = Buffer.from("cert-2").toString("base64");
    const after = await dispatcherOf(kc);
    expect(after).not.toBe(before);
    expect(await dispatcherOf(kc)).toBe(after);
  });

  it("is idempotent", async () => {
    const kc = shareDispatchers(shareDispatchers(kubeConfig("cert-1")));
    expect(await dispatcherOf(kc)).toBe(await dispatcherOf(kc));
  });

  it("keys dispatchers on the endpoint and every TLS option", () => {
    const base = { ca: Buffer.from("ca"), cert: Buffer.from("c"), key: Buffer.from("k") };
    const cluster = { name: "c", server: "https://a" };
    expect(dispatcherKey(cluster, base)).toBe(dispatcherKey(cluster, { ...base }));
    expect(dispatcherKey(cluster, base)).not.toBe(dispatcherKey({ name: "c", server: "https://b" }, base));
    expect(dispatcherKey(cluster, base)).not.toBe(
      dispatcherKey(cluster, { ...base, key: Buffer.from("k2") }),
    );
    expect(dispatcherKey(cluster, base)).not.toBe(
      dispatcherKey(cluster, { ...base, rejectUnauthorized: false }),
    );
  });
});
