import { describe, expect, it } from "vitest";
import { ApiextensionsV1Api } from "@kubernetes/client-node";
import { installCrds } from "../../crds/install.js";
import { CAMPAIGN_NAMES, CATEGORY, FOLLOW_UP_SCHEDULE_NAMES } from "../../crds/constants.js";
import { adminKubeConfig } from "../harness/fixtures.js";

describe("installCrds", () => {
  it("installs both CRDs, established, and a second concurrent install is a no-op", async () => {
    const kc = adminKubeConfig();
    await Promise.all([installCrds(kc), installCrds(kc)]);
    await installCrds(kc);
    const api = kc.makeApiClient(ApiextensionsV1Api);
    for (const names of [CAMPAIGN_NAMES, FOLLOW_UP_SCHEDULE_NAMES]) {
      const crd = await api.readCustomResourceDefinition({ name: names.crdName });
      expect(crd.status?.acceptedNames?.categories).toEqual([CATEGORY]);
      expect(crd.status?.acceptedNames?.shortNames).toEqual([...names.shortNames]);
    }
  });
});
