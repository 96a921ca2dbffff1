/** The campaigns table: one row per Campaign resource, keyed by its uid. */
import type { Queryable } from "./pool.js";

export interface CampaignIdentity {
  /** The Campaign resource's metadata.uid. */
  uid: string;
  namespace: string;
  name: string;
}

/** Creates the campaign's row when missing; an existing row is left as it is. Returns true if created. */
export async function ensureCampaign(db: Queryable, campaign: CampaignIdentity): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO campaigns (uid, namespace, name) VALUES ($1, $2, $3)
     ON CONFLICT (uid) DO NOTHING`,
    [campaign.uid, campaign.namespace, campaign.name],
  );
  return result.rowCount === 1;
}
