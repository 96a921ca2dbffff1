/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's algorithm and controller-runtime's
 * defaults (lease 15 s, renew deadline 10 s, retry period 2 s):
 * - a candidate polls the Lease every retry period (+ up to 20 % jitter) and takes it when it is free,
 *   released (empty holder), or not renewed for leaseDurationSeconds as seen by the candidate's own
 *   clock (no clock comparison between machines);
 * - every write carries the Lease's resourceVersion, so two candidates cannot both win;
 * - the leader renews every retry period; if it cannot renew for renewDeadline it stops leading
 *   (renewDeadline + retryPeriod < leaseDuration guarantees it stops before anyone else may take over);
 * - each API request times out after max(renewDeadline / 2, 1 s), so one hung request cannot cost the lease;
 * - on cancel it releases the Lease (empty holder, leaseDurationSeconds 1, as client-go's ReleaseOnCancel)
 *   so the next leader starts at once.
 * When leadership is lost, `run()` resolves with "lost": the caller must exit the process (its
 * in-memory state may be stale and another replica is taking over).
 */
import { CoordinationV1Api, type KubeConfig, type V1Lease, type V1LeaseSpec } from "@kubernetes/client-node";
import { Gauge, type Registry } from "prom-client";
import type { Logger } from "../../lib/logger.js";
import { describeApiError, isNotFound } from "./api-errors.js";
import { sleep, systemClock, type Clock } from "./clock.js";
import { formatMicroTime } from "./kube-time.js";
import {
  defaultIdentity,
  requestTimeout,
  validateLeaderElectionTimings,
  type LeaderElectionTimings,
  type LeadershipEnd,
} from "./leader-election-config.js";

export {
  defaultIdentity,
  validateLeaderElectionTimings,
  LEADER_ELECTION_DEFAULTS,
  type LeaderElectionTimings,
  type LeadershipEnd,
} from "./leader-election-config.js";

export interface LeaderElectorOptions extends LeaderElectionTimings {
  kubeConfig: KubeConfig;
  /** Namespace and name of the Lease. */
  namespace: string;
  name: string;
  /** Unique per replica; default `<POD_NAME or hostname>_<8 random hex>`. */
  identity?: string;
  /** Release the Lease when `run`'s signal aborts; default true. Only safe if the process exits right after. */
  releaseOnCancel?: boolean;
  logger: Logger;
  clock?: Clock;
  /** Where leader_election_master_status goes; default none. */
  registry?: Registry;
  /** Called once leading; `signal` aborts when leadership ends. A rejection ends leadership and `run` rethrows it. */
  onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  /** Called once leadership ended (lost or released). */
  onStoppedLeading?: () => void;
  /** Called when a different holder is observed (including this one). */
  onNewLeader?: (identity: string) => void;
}

const leaderGauges = new WeakMap<Registry, Gauge<"name">>();
function leaderGauge(registry: Registry): Gauge<"name"> {
  let gauge = leaderGauges.get(registry);
  if (!gauge) {
    gauge = new Gauge({
      name: "leader_election_master_status",
      help: "1 when this replica is the leader of the named lease, else 0",
      labelNames: ["name"],
      registers: [registry],
    });
    leaderGauges.set(registry, gauge);
  }
  return gauge;
}

/** Accepts what the API returns for a MicroTime (a string today, maybe a Date) as text. */
function microTimeText(value: unknown): string | undefined {
  if (value instanceof Date) return formatMicroTime(value.getTime());
  return typeof value === "string" ? value : undefined;
}

export class LeaderElector {
  readonly identity: string;
  private readonly options: LeaderElectorOptions;
  private readonly timings: Required<LeaderElectionTimings>;
  private readonly api: CoordinationV1Api;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly gauge: Gauge<"name"> | undefined;
  private readonly requestTimeoutMs: number;
  private observedRecord = "";
  private observedTime = 0;
  private observedHolder: string | undefined;
  private leading = false;
  private lastTransitions = 0;

  constructor(options: LeaderElectorOptions) {
    this.timings = validateLeaderElectionTimings(options);
    this.options = options;
    this.identity = options.identity ?? defaultIdentity();
    this.api = options.kubeConfig.makeApiClient(CoordinationV1Api);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger.child({
      lease: `${options.namespace}/${options.name}`,
      identity: this.identity,
    });
    this.gauge = options.registry ? leaderGauge(options.registry) : undefined;
    this.gauge?.set({ name: options.name }, 0);
    this.requestTimeoutMs = Math.max(this.timings.renewDeadlineMs / 2, 1000);
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder last seen on the Lease. */
  currentLeader(): string | undefined {
    return this.observedHolder;
  }

  /**
   * Campaigns until leading, leads until the Lease is lost or `signal` aborts, then returns why. If the
   * signal aborts before leadership was won it returns "cancelled" without ever leading.
   */
  async run(signal: AbortSignal): Promise<LeadershipEnd> {
    this.logger.info("Campaigning for leadership");
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew(this.requestTimeoutMs)) break;
      const jittered = this.timings.retryPeriodMs * (1 + Math.random() * 0.2);
      await sleep(this.clock, jittered, signal);
    }
    if (signal.aborted) return "cancelled";

    const leadership = new AbortController();
    this.setLeading(true);
    this.logger.info("Became the leader");
    let callbackError: unknown;
    const callbackFailed = new AbortController();
    Promise.resolve()
      .then(() => this.options.onStartedLeading(leadership.signal))
      .catch((err: unknown) => {
        callbackError = err;
        this.logger.error(
          { err: err instanceof Error ? err.message : String(err) },
          "The leader's work failed; stepping down",
        );
        callbackFailed.abort();
      });

    const stop = AbortSignal.any([signal, callbackFailed.signal]);
    const end = await this.renewUntilLost(stop);
    leadership.abort();
    this.setLeading(false);
    if (end === "cancelled" && (this.options.releaseOnCancel ?? true)) await this.release();
    this.logger.warn(
      { end: callbackError ? "failed" : end },
      end === "lost" ? "Lost leadership" : "Stopped leading",
    );
    this.options.onStoppedLeading?.();
    if (callbackError !== undefined) throw callbackError;
    return end;
  }

  private async renewUntilLost(stop: AbortSignal): Promise<LeadershipEnd> {
    for (;;) {
      await sleep(this.clock, this.timings.retryPeriodMs, stop);
      if (stop.aborted) return "cancelled";
      const deadline = this.clock.now() + this.timings.renewDeadlineMs;
      for (;;) {
        const remaining = deadline - this.clock.now();
        if (remaining <= 0) {
          this.logger.error(
            { renewDeadlineMs: this.timings.renewDeadlineMs },
            "Could not renew the Lease before the renew deadline",
          );
          return "lost";
        }
        if (await this.tryAcquireOrRenew(Math.min(this.requestTimeoutMs, Math.max(remaining, 1)))) break;
        if (
          this.observedHolder !== undefined &&
          this.observedHolder !== this.identity &&
          this.observedHolder !== ""
        ) {
          this.logger.error({ holder: this.observedHolder }, "Another replica holds the Lease");
          return "lost";
        }
        await sleep(this.clock, Math.min(this.timings.retryPeriodMs, deadline - this.clock.now()), stop);
        if (stop.aborted) return "cancelled";
      }
    }
  }

  /** One attempt to take or renew the Lease; true when this replica holds it afterwards. */
  private async tryAcquireOrRenew(timeoutMs: number): Promise<boolean> {
    const { namespace, name } = this.options;
    const options = requestTimeout(timeoutMs);
    const now = this.clock.now();
    const leaseSeconds = Math.ceil(this.timings.leaseDurationMs / 1000);
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace }, options);
    } catch (err) {
      if (!isNotFound(err)) {
        this.logger.warn({ err: describeApiError(err) }, "Could not read the Lease");
        return false;
      }
      const spec: V1LeaseSpec = this.spec(now, now, leaseSeconds, 0);
      try {
        await this.api.createNamespacedLease(
          {
            namespace,
            body: {
              apiVersion: "coordination.k8s.io/v1",
              kind: "Lease",
              metadata: { name, namespace },
              spec,
            },
          },
          options,
        );
      } catch (createErr) {
        this.logger.debug({ err: describeApiError(createErr) }, "Could not create the Lease");
        return false;
      }
      this.observe(spec, now);
      return true;
    }

    const record = lease.spec ?? {};
    this.observe(record, now);
    const holder = record.holderIdentity ?? "";
    const validFor = (record.leaseDurationSeconds ?? leaseSeconds) * 1000;
    if (holder !== "" && holder !== this.identity && this.observedTime + validFor > now) return false;

    const ours = holder === this.identity;
    const acquireTime = ours
      ? (microTimeText(record.acquireTime) ?? formatMicroTime(now))
      : formatMicroTime(now);
    const transitions = (record.leaseTransitions ?? 0) + (ours ? 0 : 1);
    const spec = this.spec(acquireTime, now, leaseSeconds, transitions);
    try {
      await this.api.replaceNamespacedLease(
        {
          name,
          namespace,
          body: {
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            metadata: { name, namespace, resourceVersion: lease.metadata?.resourceVersion },
            spec,
          },
        },
        options,
      );
    } catch (err) {
      this.logger.debug({ err: describeApiError(err) }, "Could not update the Lease");
      return false;
    }
    this.observe(spec, now);
    return true;
  }

  /** Gives the Lease up: empty holder, 1 s duration, so another replica takes it at once. */
  private async release(): Promise<void> {
    const { namespace, name } = this.options;
    const options = requestTimeout(this.requestTimeoutMs);
    try {
      const lease = await this.api.readNamespacedLease({ name, namespace }, options);
      if ((lease.spec?.holderIdentity ?? "") !== this.identity) return;
      const now = formatMicroTime(this.clock.now());
      await this.api.replaceNamespacedLease(
        {
          name,
          namespace,
          body: {
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            metadata: { name, namespace, resourceVersion: lease.metadata?.resourceVersion },
            spec: {
              holderIdentity: "",
              leaseDurationSeconds: 1,
              acquireTime: now as unknown as V1LeaseSpec["acquireTime"],
              renewTime: now as unknown as V1LeaseSpec["renewTime"],
              leaseTransitions: lease.spec?.leaseTransitions ?? this.lastTransitions,
            },
          },
        },
        options,
      );
      this.logger.info("Released the Lease");
    } catch (err) {
      this.logger.warn(
        { err: describeApiError(err) },
        "Could not release the Lease; the next leader waits for it to expire",
      );
    }
  }

  private spec(
    acquireTime: number | string,
    renewAt: number,
    leaseSeconds: number,
    transitions: number,
  ): V1LeaseSpec {
    const acquire = typeof acquireTime === "number" ? formatMicroTime(acquireTime) : acquireTime;
    // The generated serializer passes strings through for MicroTime fields; a Date would lose microseconds.
    return {
      holderIdentity: this.identity,
      leaseDurationSeconds: leaseSeconds,
      acquireTime: acquire as unknown as V1LeaseSpec["acquireTime"],
      renewTime: formatMicroTime(renewAt) as unknown as V1LeaseSpec["renewTime"],
      leaseTransitions: transitions,
    };
  }

  /** Remembers the record and, when it changed, the local time it was seen (client-go's observedTime). */
  private observe(record: V1LeaseSpec, now: number): void {
    const text = JSON.stringify([
      record.holderIdentity ?? "",
      record.leaseDurationSeconds,
      microTimeText(record.acquireTime),
      microTimeText(record.renewTime),
      record.leaseTransitions,
    ]);
    if (text !== this.observedRecord) {
      this.observedRecord = text;
      this.observedTime = now;
    }
    this.lastTransitions = record.leaseTransitions ?? this.lastTransitions;
    const holder = record.holderIdentity ?? "";
    if (holder !== this.observedHolder) {
      this.observedHolder = holder;
      if (holder !== "") {
        this.logger.info({ holder }, "Observed a new leader");
        this.options.onNewLeader?.(holder);
      }
    }
  }

  private setLeading(leading: boolean): void {
    this.leading = leading;
    this.gauge?.set({ name: this.options.name }, leading ? 1 : 0);
  }
}
