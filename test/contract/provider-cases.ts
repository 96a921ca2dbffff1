/**
 * What the contract suite needs to know per provider type: how to point a provider at the sandbox and
 * its webhooks at a receiver, and which sandbox fault produces which error class.
 */
import { createProvider, type ProviderConfig } from "../../worker/providers/factory.js";
import type { InboundEvent, ProviderErrorClass, WhatsAppProvider } from "../../worker/providers/types.js";
import type { OneShotFaultInput, SandboxHandle } from "../sandbox/index.js";
import type { WebhookReceiver } from "../sandbox/webhook-receiver.js";

export const WEBHOOK_TOKEN = "contract-webhook-token";
export const JWT_KEY = "contract-jwt-key";
export const VERIFY_TOKEN = "contract-verify-token";

export interface FaultCase {
  name: string;
  fault: OneShotFaultInput;
  expected: ProviderErrorClass;
}

export interface ContractCase {
  type: "evolution" | "meta-cloud";
  /** The sandbox's name for this wire format. */
  wire: "evolution" | "meta";
  provider(sandbox: SandboxHandle, overrides?: Partial<ProviderOverrides>): WhatsAppProvider;
  connectWebhooks(sandbox: SandboxHandle, receiver: WebhookReceiver): Promise<void>;
  /** One-shot faults and the class each must come back as. */
  faults: FaultCase[];
}

export interface ProviderOverrides {
  channel: string;
  secret: string;
  baseUrl: string;
  apiVersion: string;
  timeoutMs: number;
}

const evolutionCase: ContractCase = {
  type: "evolution",
  wire: "evolution",
  provider(sandbox, o = {}) {
    const config: ProviderConfig = {
      type: "evolution",
      instance: o.channel ?? sandbox.config.evolution.instances[0]!.name,
      credentials: {
        baseUrl: o.baseUrl ?? sandbox.url,
        apiKey: o.secret ?? sandbox.config.evolution.apiKey,
        webhookToken: WEBHOOK_TOKEN,
        webhookJwtKey: JWT_KEY,
      },
      timeouts: {
        sendTextMs: o.timeoutMs ?? 5_000,
        checkNumbersMs: o.timeoutMs ?? 5_000,
        connectionStateMs: o.timeoutMs ?? 5_000,
      },
    };
    return createProvider(config);
  },
  async connectWebhooks(sandbox, receiver) {
    // Configured through Evolution's own route, as an operator would.
    const answer = await fetch(`${sandbox.url}/webhook/set/${sandbox.config.evolution.instances[0]!.name}`, {
      method: "POST",
      headers: { apikey: sandbox.config.evolution.apiKey, "content-type": "application/json" },
      body: JSON.stringify({
        webhook: {
          enabled: true,
          url: receiver.url,
          headers: { "x-webhook-token": WEBHOOK_TOKEN, jwt_key: JWT_KEY },
          byEvents: false,
          base64: false,
          events: ["MESSAGES_UPSERT", "MESSAGES_UPDATE", "SEND_MESSAGE", "CONNECTION_UPDATE"],
        },
      }),
    });
    if (answer.status !== 201) throw new Error(`webhook/set answered ${answer.status}`);
  },
  faults: [
    {
      name: "rate-overlimit",
      fault: { fault: "rate_overlimit" },
      expected: { kind: "rate_limited", scope: "sender", retryAfterMs: 60_000 },
    },
    {
      name: "Connection Closed (400)",
      fault: { fault: "connection_closed" },
      expected: { kind: "retryable", reason: "disconnected" },
    },
    {
      name: "Connection Closed (500)",
      fault: { fault: "connection_closed", status: 500 },
      expected: { kind: "retryable", reason: "disconnected" },
    },
    {
      name: "a 500",
      fault: { fault: "server_error" },
      expected: { kind: "retryable", reason: "server_error" },
    },
    {
      name: "a 429 with Retry-After",
      fault: { fault: "http_429", retryAfterSeconds: 7 },
      expected: { kind: "rate_limited", scope: "sender", retryAfterMs: 7_000 },
    },
    { name: "a 401", fault: { fault: "unauthorized" }, expected: { kind: "config", reason: "unauthorized" } },
  ],
};

const metaCase: ContractCase = {
  type: "meta-cloud",
  wire: "meta",
  provider(sandbox, o = {}) {
    return createProvider({
      type: "meta-cloud",
      phoneNumberId: o.channel ?? sandbox.config.meta.phoneNumbers[0]!.id,
      credentials: {
        accessToken: o.secret ?? sandbox.config.meta.accessToken,
        appSecret: sandbox.config.webhooks.meta.appSecret,
        verifyToken: VERIFY_TOKEN,
        graphBaseUrl: o.baseUrl ?? sandbox.url,
        apiVersion: o.apiVersion ?? "v23.0",
      },
      timeouts: { sendMs: o.timeoutMs ?? 5_000, connectionStateMs: o.timeoutMs ?? 5_000 },
    });
  },
  async connectWebhooks(sandbox, receiver) {
    await sandbox.client.setWebhooks({ meta: { url: receiver.url } });
  },
  faults: [
    {
      name: "130429 throughput",
      fault: { fault: "meta_error", code: 130429 },
      expected: { kind: "rate_limited", scope: "sender", retryAfterMs: 1_000 },
    },
    {
      name: "131056 pair rate",
      fault: { fault: "meta_error", code: 131056 },
      expected: { kind: "rate_limited", scope: "recipient", retryAfterMs: 6_000 },
    },
    {
      name: "131026 undeliverable",
      fault: { fault: "meta_error", code: 131026 },
      expected: { kind: "permanent", reason: "not_on_whatsapp" },
    },
    {
      name: "131047 window closed",
      fault: { fault: "meta_error", code: 131047 },
      expected: { kind: "needs_template" },
    },
    {
      name: "131048 spam limit",
      fault: { fault: "meta_error", code: 131048 },
      expected: { kind: "stop_sending", reason: "spam_rate_limit" },
    },
    {
      name: "368 policy block",
      fault: { fault: "meta_error", code: 368 },
      expected: { kind: "stop_sending", reason: "policy_block" },
    },
    {
      name: "131030 not in allowed list",
      fault: { fault: "meta_error", code: 131030 },
      expected: { kind: "config", reason: "recipient_not_allowed" },
    },
    {
      name: "190 token expired",
      fault: { fault: "unauthorized" },
      expected: { kind: "config", reason: "token_expired" },
    },
    {
      name: "a 5xx (code 1)",
      fault: { fault: "server_error" },
      expected: { kind: "retryable", reason: "server_error" },
    },
    {
      name: "80007 WABA rate limit",
      fault: { fault: "meta_error", code: 80007 },
      expected: { kind: "rate_limited", scope: "account", retryAfterMs: 60_000 },
    },
    {
      name: "a 429 with Retry-After",
      fault: { fault: "http_429", retryAfterSeconds: 7 },
      expected: { kind: "rate_limited", scope: "account", retryAfterMs: 7_000 },
    },
  ],
};

export const CONTRACT_CASES: ContractCase[] = [evolutionCase, metaCase];

/** Verifies and parses everything the receiver got; throws if any request fails verification. */
export async function verifiedEvents(
  provider: WhatsAppProvider,
  receiver: WebhookReceiver,
): Promise<InboundEvent[]> {
  const events: InboundEvent[] = [];
  for (const request of receiver.requests) {
    const verdict = await provider.verifyWebhook(request.headers, request.rawBody);
    if (!verdict.ok)
      throw new Error(`A sandbox webhook failed verification: ${verdict.reason} (${verdict.detail})`);
    events.push(...provider.parseWebhook(request.rawBody));
  }
  return events;
}
