/**
 * The campaign upsert against a real PostgreSQL: one statement creates the campaign's row and its webhook
 * route (the route's foreign key satisfied within the statement), the spec snapshot only moves forward,
 * `suspended` follows the spec, and a changed credentials Secret moves the route.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { campaignSpecSchema } from "../../crds/index.js";
import { freshMigratedDatabase } from "../../test/db.js";
import { upsertCampaign } from "./store.js";

let pool: pg.Pool;
let dispose: () => Promise<void>;

beforeAll(async () => {
  const db = await freshMigratedDatabase();
  dispose = db.dispose;
  pool = new pg.Pool({ connectionString: db.value, max: 2 });
});

afterAll(async () => {
  await pool?.end();
  await dispose?.();
});

function spec(options: { template: string; secret: string; suspend?: boolean }) {
  return campaignSpecSchema.parse({
    suspend: options.suspend ?? false,
    audience: { listRef: { name: "lista" } },
    message: { template: options.template },
    sender: {
      provider: "sandbox",
      credentialsSecretRef: { name: options.secret },
      instance: "hospital",
      baseUrl: "http://sandbox",
    },
    schedule: { window: { start: "08:00", end: "18:00" }, dailyQuota: 100 },
  });
}

describe("upsertCampaign", () => {
  it("creates the row and its route, keeps the newest spec, and follows suspend and the Secret", async () => {
    const uid = randomUUID();
    const base = { uid, namespace: "ward-a", name: "cirurgias" };
    const created = await upsertCampaign(pool, {
      ...base,
      generation: 2,
      spec: spec({ template: "v2", secret: "creds" }),
    });
    expect(created).toMatchObject({
      state: "active",
      firstStartedAt: null,
      suspended: false,
      sendBlockedReason: null,
    });

    const older = await upsertCampaign(pool, {
      ...base,
      generation: 1,
      spec: spec({ template: "v1", secret: "creds", suspend: true }),
    });
    expect(older.suspended).toBe(true);
    const newer = await upsertCampaign(pool, {
      ...base,
      generation: 3,
      spec: spec({ template: "v3", secret: "other" }),
    });
    expect(newer.suspended).toBe(false);

    const { rows: campaigns } = await pool.query(
      "SELECT spec->'message'->>'template' AS template, spec_generation::int AS spec_generation FROM campaigns WHERE uid = $1",
      [uid],
    );
    expect(campaigns).toEqual([{ template: "v3", spec_generation: 3 }]);
    const { rows: routes } = await pool.query(
      "SELECT provider, namespace, channel, secret_name FROM webhook_routes WHERE campaign_uid = $1",
      [uid],
    );
    expect(routes).toEqual([
      { provider: "sandbox", namespace: "ward-a", channel: "hospital", secret_name: "other" },
    ]);
  });
});
