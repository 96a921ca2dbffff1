/**
 * The provider client that authenticates a webhook route (provider, namespace, channel): the newest
 * campaign sending through that channel names the credentials Secret (`webhook_routes`, written by the
 * controller). Cached for `ttlMs`, so a rotated Secret takes effect within a minute.
 */
import type { Pool } from "pg";
import type { WhatsAppProvider } from "../providers/types.js";
import type { CampaignSpecCache } from "../campaigns/spec-cache.js";
import type { SenderRuntimeCache } from "../campaigns/sender-runtimes.js";
import type { RouteKey } from "./event-store.js";

export interface RouteProviders {
  /** The provider for a route, or undefined when no campaign sends through it. */
  get(route: RouteKey): Promise<WhatsAppProvider | undefined>;
}

export class CachedRouteProviders implements RouteProviders {
  private readonly cache = new Map<string, { at: number; provider: WhatsAppProvider | undefined }>();

  constructor(
    private readonly pool: Pool,
    private readonly specs: CampaignSpecCache,
    private readonly senders: SenderRuntimeCache,
    private readonly ttlMs = 60_000,
    private readonly clock: () => number = Date.now,
  ) {}

  async get(route: RouteKey): Promise<WhatsAppProvider | undefined> {
    const key = `${route.provider}/${route.namespace}/${route.channel}`;
    const hit = this.cache.get(key);
    if (hit && this.clock() - hit.at < this.ttlMs) return hit.provider;
    const { rows } = await this.pool.query<{ campaign_uid: string }>(
      `SELECT campaign_uid FROM webhook_routes WHERE provider = $1 AND namespace = $2 AND channel = $3
       ORDER BY updated_at DESC LIMIT 1`,
      [route.provider, route.namespace, route.channel],
    );
    const uid = rows[0]?.campaign_uid;
    const provider = uid
      ? await this.senders.providerFor(route.namespace, await this.specs.get(uid))
      : undefined;
    this.cache.set(key, { at: this.clock(), provider });
    return provider;
  }
}
