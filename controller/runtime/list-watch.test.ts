import { describe, expect, it } from "vitest";
import { CoreV1Api } from "@kubernetes/client-node";
import { adminKubeConfig, freshNamespace } from "../../test/harness/fixtures.js";
import { listAll } from "./list-watch.js";

describe("listAll", () => {
  it("follows the API server's continue tokens past the first page", async () => {
    const kc = adminKubeConfig();
    const { value: namespace } = await freshNamespace("list-pages");
    const core = kc.makeApiClient(CoreV1Api);
    const names = Array.from({ length: 7 }, (_, i) => `page-item-${i}`);
    for (const name of names)
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name } } });

    const { items, resourceVersion } = await listAll(kc, `/api/v1/namespaces/${namespace}/configmaps`, {
      pageSize: 3,
      signal: new AbortController().signal,
    });

    const listed = items.map((i) => i.metadata?.name).filter((n) => n?.startsWith("page-item-"));
    expect(listed.sort()).toEqual(names);
    expect(resourceVersion).not.toBe("");
  });
});
