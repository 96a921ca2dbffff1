/**
 * Connection checks of the senders of active campaigns, written to `sender_health` for the controller,
 * which pauses a campaign whose sender is not connected (ProviderUnavailable) and resumes it when it is.
 * The outbound workers do this because they hold the credentials; one replica at a time (advisory lock).
 */
import type { Pool } from "pg";
import type { Logger } from "../../lib/logger.js";
import { errorMessage } from "../../lib/errors.js";
import { ProviderError } from "../providers/provider-error.js";
import type { CampaignSpecCache } from "./spec-cache.js";
import type { SenderRuntimeCache } from "./sender-runtimes.js";

export interface SenderCheckResult {
  checked: number;
  open: number;
}

export async function checkSenders(
  deps: { pool: Pool; specs: CampaignSpecCache; senders: SenderRuntimeCache; logger: Logger },
  timeoutMs = 10_000,
): Promise<SenderCheckResult> {
  const { rows } = await deps.pool.query<{
    provider: string;
    namespace: string;
    channel: string;
    campaign_uid: string;
  }>(
    `SELECT DISTINCT ON (r.provider, r.namespace, r.channel) r.provider, r.namespace, r.channel, r.campaign_uid
     FROM webhook_routes r JOIN campaigns c ON c.uid = r.campaign_uid
     WHERE c.state = 'active' AND c.spec IS NOT NULL
     ORDER BY r.provider, r.namespace, r.channel, r.updated_at DESC`,
  );
  const result: SenderCheckResult = { checked: 0, open: 0 };
  for (const row of rows) {
    let state: string;
    let detail: string | null = null;
    try {
      const spec = await deps.specs.get(row.campaign_uid);
      const provider = await deps.senders.providerFor(row.namespace, spec);
      state = await provider.connectionState({ signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      state = "error";
      detail = err instanceof ProviderError ? `${err.code}: ${err.message}` : errorMessage(err);
    }
    result.checked++;
    if (state === "open") result.open++;
    await deps.pool.query(
      `INSERT INTO sender_health (provider, namespace, channel, state, detail, checked_at) VALUES ($1, $2, $3, $4, $5, now())
       ON CONFLICT (provider, namespace, channel) DO UPDATE SET state = EXCLUDED.state, detail = EXCLUDED.detail, checked_at = now()`,
      [row.provider, row.namespace, row.channel, state, detail?.slice(0, 500) ?? null],
    );
    if (state !== "open") {
      deps.logger.warn(
        { provider: row.provider, namespace: row.namespace, channel: row.channel, state },
        "A sender is not connected",
      );
    }
  }
  return result;
}
