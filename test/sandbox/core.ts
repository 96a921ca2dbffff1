/**
 * The sandbox's whole state: configuration, registry, what each number received, logs, faults, the
 * webhook sender, simulated patients, and the Evolution instances' connection states. Routes read and
 * change it; `reset` brings it back to the startup options.
 */
import { randomUUID } from "node:crypto";
import {
  faultsSchema,
  patientsSchema,
  sandboxOptionsSchema,
  webhooksSchema,
  type SandboxConfig,
  type SandboxOptions,
} from "./config.js";
import { FaultPlan } from "./faults.js";
import { Mailbox } from "./mailbox.js";
import { PatientSimulator, type ReplyTarget } from "./patients.js";
import { SequenceRng } from "./random.js";
import { NumberRegistry } from "./registry.js";
import { RingBuffer } from "./ring-buffer.js";
import { Scheduler } from "./scheduler.js";
import { WebhookSender, type WebhookLogEntry } from "./webhook-sender.js";

export type ConnectionState = "open" | "connecting" | "close";

export interface RequestLogEntry {
  at: number;
  provider: "evolution" | "meta";
  operation: string;
  method: string;
  path: string;
  status: number;
  durationMs: number;
  fault?: string;
}

export interface EvolutionInstance {
  name: string;
  id: string;
  ownerJid: string;
}

export class SandboxCore {
  config: SandboxConfig;
  readonly registry = new NumberRegistry();
  readonly mailbox = new Mailbox();
  readonly requestLog: RingBuffer<RequestLogEntry>;
  readonly webhookLog: RingBuffer<WebhookLogEntry>;
  readonly scheduler: Scheduler;
  readonly rng: SequenceRng;
  readonly faults: FaultPlan;
  readonly webhooks: WebhookSender;
  readonly patients: PatientSimulator;
  readonly instances = new Map<string, EvolutionInstance>();
  readonly connection = new Map<string, ConnectionState>();
  /** When each number last wrote to us (Meta's 24-hour window). */
  readonly lastInboundAt = new Map<string, number>();
  /** Answers held by timeout faults; released on close. */
  readonly held = new Set<() => void>();
  url = "";
  /** Set by delivery.ts: sends a patient's reply as a webhook. */
  replyHandler: (target: ReplyTarget, text: string) => void = () => undefined;

  constructor(private readonly startup: SandboxOptions) {
    this.config = sandboxOptionsSchema.parse(startup);
    this.requestLog = new RingBuffer(this.config.requestLogLimit);
    this.webhookLog = new RingBuffer(this.config.webhookLogLimit);
    this.scheduler = new Scheduler(this.config.timeScale);
    this.rng = new SequenceRng(this.config.seed);
    this.faults = new FaultPlan(this.config.faults, this.rng);
    this.webhooks = new WebhookSender({
      config: () => this.config.webhooks,
      scheduler: this.scheduler,
      log: this.webhookLog,
      rng: this.rng,
      seed: this.config.seed,
    });
    this.patients = new PatientSimulator({
      config: () => this.config.patients,
      seed: this.config.seed,
      scheduler: this.scheduler,
      reply: (target, text) => this.replyHandler(target, text),
    });
    this.applyStartup();
  }

  /** Back to the startup options, or only clears recorded data and pending work when `keepConfig`. */
  reset(keepConfig = false): void {
    this.scheduler.cancelAll();
    this.mailbox.clear();
    this.requestLog.clear();
    this.webhookLog.clear();
    this.patients.clear();
    this.faults.clear();
    this.lastInboundAt.clear();
    this.webhooks.delivered = 0;
    this.webhooks.failed = 0;
    if (!keepConfig) {
      this.config = sandboxOptionsSchema.parse(this.startup);
      this.faults.steady = this.config.faults;
      this.registry.clear();
      this.applyStartup();
    }
  }

  updatePatients(update: unknown): void {
    this.config.patients = patientsSchema.parse({ ...this.config.patients, ...(update as object) });
  }

  updateFaults(update: unknown): void {
    const u = (update ?? {}) as Record<string, unknown>;
    const current = this.config.faults;
    this.config.faults = faultsSchema.parse({
      ...current,
      ...u,
      evolution: { ...current.evolution, ...(u.evolution as object | undefined) },
      meta: { ...current.meta, ...(u.meta as object | undefined) },
    });
    this.faults.steady = this.config.faults;
  }

  updateWebhooks(update: unknown): void {
    const u = (update ?? {}) as Record<string, unknown>;
    const current = this.config.webhooks;
    this.config.webhooks = webhooksSchema.parse({
      ...current,
      ...u,
      evolution: { ...current.evolution, ...(u.evolution as object | undefined) },
      meta: { ...current.meta, ...(u.meta as object | undefined) },
      statuses: { ...current.statuses, ...(u.statuses as object | undefined) },
      retry: { ...current.retry, ...(u.retry as object | undefined) },
    });
  }

  logRequest(entry: RequestLogEntry): void {
    this.requestLog.push(entry);
  }

  /** Releases every held answer (timeout faults) and stops all pending work. */
  shutdown(): void {
    this.scheduler.cancelAll();
    this.webhooks.close();
    for (const release of this.held) release();
    this.held.clear();
  }

  private applyStartup(): void {
    this.registry.apply(this.config.registry);
    this.instances.clear();
    this.connection.clear();
    for (const inst of this.config.evolution.instances) {
      this.instances.set(inst.name, {
        name: inst.name,
        id: randomUUID(),
        ownerJid: `${inst.ownerNumber.replace(/\D/g, "")}@s.whatsapp.net`,
      });
      this.connection.set(inst.name, "open");
    }
  }
}
