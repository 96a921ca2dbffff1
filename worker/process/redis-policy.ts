/** BullMQ is only correct on a Redis that never evicts keys; a worker refuses to start on any other. */
import type { Redis } from "ioredis";
import { AppError } from "../../lib/errors.js";

export async function assertNoEviction(redis: Redis): Promise<void> {
  const reply = (await redis.config("GET", "maxmemory-policy")) as string[];
  const policy = reply[1];
  if (policy !== "noeviction") {
    throw new AppError(
      "REDIS_EVICTION_POLICY",
      `Redis maxmemory-policy is "${policy ?? "unknown"}", but BullMQ needs "noeviction": an evicted key loses a job. ` +
        'Set "maxmemory-policy noeviction" in the Redis configuration (or CONFIG SET maxmemory-policy noeviction) and start the worker again.',
      { policy },
    );
  }
}
