/**
 * A campaign's sender as the send path needs it: the provider client (from the spec's `sender` and its
 * credentials Secret), the rate-limit key and settings, the typing warm-up, the send window. Cached per campaign and spec
 * generation; the Secret is re-read after `secretTtlMs` so rotated credentials take effect.
 */
import type * as k8s from "@kubernetes/client-node";
import { durationMs, type CampaignSpec } from "../../crds/index.js";
import { readSecretData } from "../../lib/kube/secrets.js";
import { credentialsFromSecretData } from "../providers/credentials.js";
import { createProvider, providerConfigForSender } from "../providers/factory.js";
import type { ProviderType, WhatsAppProvider } from "../providers/types.js";
import type { RateLimit } from "../ratelimit/sender-limiter.js";
import type { SenderRuntime, SenderRuntimes } from "../send/send-processor.js";
import { campaignWindow } from "../followup/plan.js";
import type { CampaignSpecCache } from "./spec-cache.js";

/** Messages per second per sender when the spec sets none: Meta's default tier; gentle for Evolution. */
export const DEFAULT_RATE_LIMITS: Record<ProviderType, RateLimit> = {
  "meta-cloud": { perSecond: 80, burst: 10 },
  evolution: { perSecond: 1, burst: 1 },
  sandbox: { perSecond: 1000, burst: 50 },
};
/** Meta's pair rate is about one message per 6 s to one user. */
export const DEFAULT_RECIPIENT_GAP_MS: Record<ProviderType, number> = {
  "meta-cloud": 6_000,
  evolution: 2_000,
  sandbox: 0,
};

export interface SenderRuntimeOptions {
  kc: k8s.KubeConfig;
  specs: CampaignSpecCache;
  secretTtlMs?: number;
  clock?: () => number;
}

interface Entry {
  generation: number;
  loadedAt: number;
  runtime: SenderRuntime;
}

export class SenderRuntimeCache implements SenderRuntimes {
  private readonly entries = new Map<string, Entry>();
  private readonly ttl: number;
  private readonly clock: () => number;

  constructor(private readonly options: SenderRuntimeOptions) {
    this.ttl = options.secretTtlMs ?? 60_000;
    this.clock = options.clock ?? Date.now;
  }

  async forCampaign(campaignUid: string, specGeneration?: number): Promise<SenderRuntime> {
    const entry = this.entries.get(campaignUid);
    const now = this.clock();
    if (
      entry &&
      (specGeneration === undefined || entry.generation >= specGeneration) &&
      now - entry.loadedAt < this.ttl
    ) {
      return entry.runtime;
    }
    const record = await this.options.specs.record(campaignUid, specGeneration);
    const provider = await this.providerFor(record.namespace, record.spec);
    const runtime = senderRuntime(record.namespace, record.spec, provider);
    this.entries.set(campaignUid, { generation: record.generation, loadedAt: now, runtime });
    return runtime;
  }

  /** The provider for a namespace's sender spec (also used by the webhook receiver and validation). */
  async providerFor(namespace: string, spec: Pick<CampaignSpec, "sender">): Promise<WhatsAppProvider> {
    const sender = spec.sender;
    const data = await readSecretData(this.options.kc, namespace, sender.credentialsSecretRef.name);
    if (sender.baseUrl && sender.provider !== "meta-cloud") data.baseUrl ??= sender.baseUrl;
    const credentials = credentialsFromSecretData(
      data,
      `${namespace}/${sender.credentialsSecretRef.name}`,
      sender.provider,
    );
    return createProvider(providerConfigForSender(sender, credentials));
  }
}

export function senderKeyOf(namespace: string, spec: Pick<CampaignSpec, "sender">): string {
  const s = spec.sender;
  return `${s.provider}/${namespace}/${s.provider === "meta-cloud" ? s.phoneNumberId : s.instance}`;
}

function senderRuntime(namespace: string, spec: CampaignSpec, provider: WhatsAppProvider): SenderRuntime {
  const type = spec.sender.provider;
  const configured = spec.sender.rateLimit;
  return {
    provider,
    senderKey: senderKeyOf(namespace, spec),
    rateLimit: {
      perSecond: configured?.messagesPerMinute
        ? configured.messagesPerMinute / 60
        : DEFAULT_RATE_LIMITS[type].perSecond,
      burst: configured?.burst ?? DEFAULT_RATE_LIMITS[type].burst,
    },
    recipientGapMs: configured?.recipientGap
      ? durationMs(configured.recipientGap)
      : DEFAULT_RECIPIENT_GAP_MS[type],
    typingWarmupMs: durationMs(spec.schedule.typingWarmup),
    sendWindow: campaignWindow(spec.schedule),
  };
}
