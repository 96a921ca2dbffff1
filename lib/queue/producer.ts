/**
 * Adding jobs: one BullMQ Queue per queue name, sharing one Redis connection, each job validated against
 * its id-only schema before it is added. Producers fail fast when Redis is down (no offline queue): the
 * caller answers with an error and the work is retried from PostgreSQL, never held in memory.
 */
import { Queue, type JobsOptions } from "bullmq";
import { Redis, type RedisOptions } from "ioredis";
import { defaultJobOptions, jobSchemas, type JobData, type QueueName, QUEUES } from "./jobs.js";

export interface ProducerOptions {
  redisUrl: string;
  /** BullMQ key prefix; default "busca-ativa". */
  prefix?: string;
  redisOptions?: RedisOptions;
}

export interface JobSpec<Q extends QueueName> {
  jobId: string;
  data: JobData<Q>;
  /** Run no earlier than this many ms from now. */
  delayMs?: number;
}

export class JobProducer {
  readonly prefix: string;
  private readonly connection: Redis;
  private readonly queues = new Map<QueueName, Queue>();

  constructor(options: ProducerOptions) {
    this.prefix = options.prefix ?? "busca-ativa";
    this.connection = new Redis(options.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      ...options.redisOptions,
    });
    this.connection.on("error", () => undefined); // reported through failing calls
  }

  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, {
        connection: this.connection,
        prefix: this.prefix,
        defaultJobOptions: defaultJobOptions(name),
      });
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Adds one job with its deterministic id (one script call, no MULTI as `addBulk` needs). */
  async add<Q extends QueueName>(name: Q, job: JobSpec<Q>): Promise<void> {
    await this.queue(name).add(name, jobSchemas[name].parse(job.data), jobOptions(job));
  }

  /** Adds jobs with their deterministic ids: a job whose id exists already is left as it is. */
  async addBulk<Q extends QueueName>(name: Q, jobs: readonly JobSpec<Q>[]): Promise<void> {
    if (jobs.length === 0) return;
    // One job (a webhook's usual body): a plain add, cheaper than a bulk add (a MULTI) of one.
    if (jobs.length === 1) return this.add(name, jobs[0]!);
    const queue = this.queue(name);
    for (let i = 0; i < jobs.length; i += 500) {
      const chunk = jobs
        .slice(i, i + 500)
        .map((j) => ({ name, data: jobSchemas[name].parse(j.data), opts: jobOptions(j) }));
      await queue.addBulk(chunk);
    }
  }

  async waitUntilReady(): Promise<void> {
    await Promise.all(Object.values(QUEUES).map((q) => this.queue(q).waitUntilReady()));
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.connection.disconnect();
  }
}

function jobOptions(job: JobSpec<QueueName>): JobsOptions {
  return { jobId: job.jobId, ...(job.delayMs && job.delayMs > 0 ? { delay: job.delayMs } : {}) };
}
