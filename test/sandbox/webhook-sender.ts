/**
 * Delivers webhooks the way each provider does: Evolution with its configured headers (a `jwt_key`
 * becomes an HS256 Bearer JWT signed once per event, as Evolution does) and its retry policy; Meta with
 * `X-Hub-Signature-256` over the exact bytes sent, non-ASCII escaped as Meta does. Optional duplicates
 * and reordering. Every attempt is logged with the receiver's answer.
 */
import { createHmac } from "node:crypto";
import { SignJWT } from "jose";
import type { WebhooksConfig } from "./config.js";
import { HttpPoster } from "./http-post.js";
import { keyedUnit, type SequenceRng } from "./random.js";
import type { RingBuffer } from "./ring-buffer.js";
import type { Scheduler } from "./scheduler.js";

export interface WebhookLogEntry {
  at: number;
  webhookId: number;
  provider: "evolution" | "meta";
  event: string;
  url: string;
  attempt: number;
  duplicate: boolean;
  /** The receiver's HTTP status; null when the request failed (error says why). */
  status: number | null;
  error?: string;
  durationMs: number;
}

interface Outgoing {
  id: number;
  provider: "evolution" | "meta";
  event: string;
  url: string;
  body: Buffer;
  /** Evolution headers as configured (may hold `jwt_key`); Meta's signature is added here. */
  headers: Record<string, string>;
  attempt: number;
  duplicate: boolean;
}

export interface WebhookSenderDeps {
  config: () => WebhooksConfig;
  scheduler: Scheduler;
  log: RingBuffer<WebhookLogEntry>;
  rng: SequenceRng;
  seed: number;
}

export class WebhookSender {
  private nextId = 0;
  private active = 0;
  private readonly ready: Outgoing[] = [];
  private closed = false;
  private readonly poster = new HttpPoster(256);
  delivered = 0;
  failed = 0;

  constructor(private readonly deps: WebhookSenderDeps) {}

  /** Whether webhooks of this provider go anywhere (callers skip building them otherwise). */
  enabled(provider: "evolution" | "meta"): boolean {
    return this.deps.config()[provider].url !== null;
  }

  /** Queues an Evolution event `{event, instance, data, …}` after `worldDelayMs`. */
  evolution(instance: string, event: string, envelope: object, worldDelayMs: number): void {
    const cfg = this.deps.config().evolution;
    if (!cfg.url) return;
    const upper = event.replace(/[.-]/g, "_").toUpperCase();
    if (cfg.events.length > 0 && !cfg.events.includes(upper)) return;
    const url = cfg.byEvents
      ? `${cfg.url.replace(/\/+$/, "")}/${upper.replace(/_/g, "-").toLowerCase()}`
      : cfg.url;
    const body = Buffer.from(JSON.stringify(envelope));
    this.schedule({ provider: "evolution", event, url, body, headers: { ...cfg.headers } }, worldDelayMs);
  }

  /** Queues a Meta webhook body after `worldDelayMs`. */
  meta(event: string, payload: object, worldDelayMs: number): void {
    const cfg = this.deps.config().meta;
    if (!cfg.url) return;
    const body = Buffer.from(escapeNonAscii(JSON.stringify(payload)));
    const signature = `sha256=${createHmac("sha256", cfg.appSecret).update(body).digest("hex")}`;
    this.schedule(
      { provider: "meta", event, url: cfg.url, body, headers: { "x-hub-signature-256": signature } },
      worldDelayMs,
    );
  }

  get inFlight(): number {
    return this.active + this.ready.length;
  }

  close(): void {
    this.closed = true;
    this.ready.length = 0;
    this.poster.close();
  }

  private schedule(w: Omit<Outgoing, "id" | "attempt" | "duplicate">, worldDelayMs: number): void {
    const cfg = this.deps.config();
    const outgoing: Outgoing = { ...w, id: ++this.nextId, attempt: 1, duplicate: false };
    const jitter = cfg.reorder
      ? keyedUnit(this.deps.seed, `reorder:${outgoing.id}`) * cfg.reorderWindowMs
      : 0;
    this.deps.scheduler.afterWorld(worldDelayMs + jitter, () => this.enqueue(outgoing));
    if (this.deps.rng.chance(cfg.duplicateRate)) {
      const copy: Outgoing = { ...outgoing, duplicate: true, headers: { ...outgoing.headers } };
      this.deps.scheduler.afterWorld(
        worldDelayMs + jitter + 50 + keyedUnit(this.deps.seed, `dup:${outgoing.id}`) * 1_000,
        () => this.enqueue(copy),
      );
    }
  }

  private enqueue(w: Outgoing): void {
    if (this.closed) return;
    this.ready.push(w);
    this.pump();
  }

  private pump(): void {
    const limit = this.deps.config().concurrency;
    while (!this.closed && this.active < limit && this.ready.length > 0) {
      const w = this.ready.shift()!;
      this.active += 1;
      void this.attempt(w).finally(() => {
        this.active -= 1;
        this.pump();
      });
    }
  }

  private async attempt(w: Outgoing): Promise<void> {
    const cfg = this.deps.config();
    const started = Date.now();
    let status: number | null = null;
    let error: string | undefined;
    try {
      const headers = await this.finalHeaders(w);
      status = await this.poster.post(
        w.url,
        { "content-type": "application/json", ...headers },
        w.body,
        cfg.timeoutMs,
      );
    } catch (err) {
      error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    this.deps.log.push({
      at: started,
      webhookId: w.id,
      provider: w.provider,
      event: w.event,
      url: w.url,
      attempt: w.attempt,
      duplicate: w.duplicate,
      status,
      ...(error !== undefined ? { error } : {}),
      durationMs: Date.now() - started,
    });
    const ok = status !== null && (w.provider === "meta" ? status === 200 : status >= 200 && status < 300);
    if (ok) {
      this.delivered += 1;
      return;
    }
    const policy = cfg.retry[w.provider];
    if (
      this.closed ||
      w.attempt > policy.maxRetries ||
      (status !== null && policy.noRetryStatuses.includes(status))
    ) {
      this.failed += 1;
      return;
    }
    const base = Math.min(policy.initialMs * 2 ** (w.attempt - 1), policy.maxMs);
    const spread = 1 + policy.jitter * (2 * this.deps.rng.next() - 1);
    this.deps.scheduler.afterWorld(base * spread, () => this.enqueue({ ...w, attempt: w.attempt + 1 }));
  }

  /** Evolution's `jwt_key` header becomes a Bearer JWT, signed at the first attempt and reused after. */
  private async finalHeaders(w: Outgoing): Promise<Record<string, string>> {
    const key = w.headers.jwt_key;
    if (w.provider !== "evolution" || key === undefined) return w.headers;
    const now = Math.floor(Date.now() / 1000);
    const jwt = await new SignJWT({ app: "evolution", action: "webhook" })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(new TextEncoder().encode(key));
    delete w.headers.jwt_key;
    w.headers.authorization = `Bearer ${jwt}`;
    return w.headers;
  }
}

/** Meta sends non-ASCII characters as `\uXXXX` escapes and signs those bytes. */
export function escapeNonAscii(json: string): string {
  return json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
