/** A typed client for the sandbox's control API (reference: docs/sandbox.md). */
import type { z } from "zod";
import type {
  faultsSchema,
  oneShotFaultSchema,
  patientsSchema,
  registryUpdateSchema,
  webhooksSchema,
  NumberRecord,
  SandboxConfig,
} from "./config.js";
import type { ReceivedCounts, ReceivedMessage } from "./mailbox.js";
import type { Conversation } from "./patients.js";
import type { RequestLogEntry } from "./core.js";
import type { WebhookLogEntry } from "./webhook-sender.js";

type DeepPartial<T> = T extends readonly (infer U)[]
  ? U[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

export type RegistryUpdate = z.input<typeof registryUpdateSchema>;
export type PatientsUpdate = DeepPartial<z.input<typeof patientsSchema>>;
export type FaultsUpdate = DeepPartial<z.input<typeof faultsSchema>>;
export type WebhooksUpdate = DeepPartial<z.input<typeof webhooksSchema>>;
export type OneShotFaultInput = z.input<typeof oneShotFaultSchema>;

export interface SandboxStats {
  requests: number;
  received: number;
  webhooks: { delivered: number; failed: number; inFlight: number; attempts: number };
  pendingTimers: number;
  heldAnswers: number;
}

export class SandboxClient {
  constructor(readonly baseUrl: string) {}

  health(): Promise<{ ok: boolean }> {
    return this.get("/__control/health");
  }

  config(): Promise<
    SandboxConfig & {
      registry: { defaultRegistration: string; numbers: NumberRecord[] };
      pendingFaults: OneShotFaultInput[];
      connection: Record<string, string>;
    }
  > {
    return this.get("/__control/config");
  }

  setRegistry(update: RegistryUpdate): Promise<{ ok: boolean; records: number }> {
    return this.post("/__control/registry", update);
  }

  setPatients(update: PatientsUpdate): Promise<unknown> {
    return this.post("/__control/patients", update);
  }

  patients(
    number?: string,
  ): Promise<{ behaviours: Record<string, number>; conversation?: Conversation | null }> {
    return this.get(`/__control/patients${number ? `?number=${encodeURIComponent(number)}` : ""}`);
  }

  setFaults(update: FaultsUpdate): Promise<unknown> {
    return this.post("/__control/faults", update);
  }

  /** Queues one-shot faults: the next matching requests get them. */
  nextFault(fault: OneShotFaultInput | OneShotFaultInput[]): Promise<unknown> {
    return this.post("/__control/faults/next", fault);
  }

  clearFaults(): Promise<unknown> {
    return this.request("DELETE", "/__control/faults");
  }

  setWebhooks(update: WebhooksUpdate): Promise<unknown> {
    return this.post("/__control/webhooks", update);
  }

  webhookLog(
    query: { limit?: number; provider?: "evolution" | "meta" } = {},
  ): Promise<{ entries: (WebhookLogEntry & { seq: number })[] }> {
    return this.get(`/__control/webhooks${queryString(query)}`);
  }

  /** A contact writes to us; returns the id of the inbound message. */
  inbound(message: {
    provider: "evolution" | "meta";
    number: string;
    text: string;
    channel?: string;
  }): Promise<{ providerMessageId: string }> {
    return this.post("/__control/inbound", message);
  }

  setConnection(state: "open" | "connecting" | "close", instance?: string): Promise<unknown> {
    return this.post("/__control/connection", { state, instance });
  }

  received(number: string): Promise<ReceivedMessage[]> {
    return this.get<{ messages: ReceivedMessage[] }>(
      `/__control/received?number=${encodeURIComponent(number)}`,
    ).then((r) => r.messages);
  }

  receivedAll(): Promise<ReceivedMessage[]> {
    return this.get<{ messages: ReceivedMessage[] }>("/__control/received").then((r) => r.messages);
  }

  receivedCounts(): Promise<ReceivedCounts> {
    return this.get("/__control/received-counts");
  }

  requests(
    query: { limit?: number; provider?: "evolution" | "meta" } = {},
  ): Promise<{ total: number; entries: (RequestLogEntry & { seq: number })[] }> {
    return this.get(`/__control/requests${queryString(query)}`);
  }

  stats(): Promise<SandboxStats> {
    return this.get("/__control/stats");
  }

  reset(options: { keepConfig?: boolean } = {}): Promise<unknown> {
    return this.post("/__control/reset", options);
  }

  private get<T>(path: string): Promise<T> {
    return this.request("GET", path);
  }

  private post<T>(path: string, body: unknown): Promise<T> {
    return this.request("POST", path, body);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok)
      throw new Error(`Sandbox control ${method} ${path} answered ${response.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

function queryString(query: Record<string, string | number | undefined>): string {
  const entries = Object.entries(query).filter(([, v]) => v !== undefined) as [string, string | number][];
  return entries.length
    ? `?${new URLSearchParams(entries.map(([k, v]): [string, string] => [k, String(v)])).toString()}`
    : "";
}
