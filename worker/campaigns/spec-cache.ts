/**
 * Campaign specs as the workers see them: the controller's snapshot in PostgreSQL (`campaigns.spec`),
 * parsed with the API's own schema (so defaults apply exactly as the API server applies them) and cached
 * per spec generation. Workers never call the Kubernetes API for a campaign on the hot path.
 */
import type { Pool } from "pg";
import { campaignSpecSchema, type CampaignSpec } from "../../crds/index.js";
import { AppError } from "../../lib/errors.js";

export interface CampaignSpecs {
  /** The spec; re-read when `generation` (if given) is newer than the cached one. */
  get(campaignUid: string, generation?: number): Promise<CampaignSpec>;
}

export interface CampaignRecord {
  uid: string;
  namespace: string;
  name: string;
  generation: number;
  spec: CampaignSpec;
}

export class CampaignSpecCache implements CampaignSpecs {
  private readonly cache = new Map<string, CampaignRecord>();

  constructor(private readonly pool: Pool) {}

  async get(campaignUid: string, generation?: number): Promise<CampaignSpec> {
    return (await this.record(campaignUid, generation)).spec;
  }

  async record(campaignUid: string, generation?: number): Promise<CampaignRecord> {
    const cached = this.cache.get(campaignUid);
    if (cached && (generation === undefined || cached.generation >= generation)) return cached;
    const { rows } = await this.pool.query<{
      namespace: string;
      name: string;
      spec: unknown;
      spec_generation: number;
    }>("SELECT namespace, name, spec, spec_generation FROM campaigns WHERE uid = $1", [campaignUid]);
    const row = rows[0];
    if (!row || row.spec === null) {
      throw new AppError(
        "CAMPAIGN_SPEC_MISSING",
        `Campaign ${campaignUid} has no spec recorded yet; the controller writes it`,
      );
    }
    const parsed = campaignSpecSchema.safeParse(row.spec);
    if (!parsed.success) {
      throw new AppError(
        "CAMPAIGN_SPEC_INVALID",
        `Campaign ${row.namespace}/${row.name} has a spec this worker cannot read`,
        {
          issues: parsed.error.issues.map((i) => i.path.join(".")),
        },
      );
    }
    const record = {
      uid: campaignUid,
      namespace: row.namespace,
      name: row.name,
      generation: row.spec_generation,
      spec: parsed.data,
    };
    this.cache.set(campaignUid, record);
    return record;
  }
}
