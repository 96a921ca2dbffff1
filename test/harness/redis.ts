/** A private Redis for tests: its own port and folder, AOF on, `maxmemory-policy noeviction` as BullMQ requires. */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { ManagedProcess } from "./process.js";
import { freePort } from "./ports.js";
import { redisServer } from "./tools.js";

export class RedisServer {
  private constructor(
    private readonly process: ManagedProcess,
    readonly url: string,
  ) {}

  static async start(dir: string, ownerPid?: number): Promise<RedisServer> {
    const data = join(dir, "redis");
    mkdirSync(data, { recursive: true });
    const port = await freePort();
    const proc = new ManagedProcess({
      name: "redis",
      command: redisServer(),
      args: [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        data,
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
        "--maxmemory-policy",
        "noeviction",
        "--save",
        "",
        "--protected-mode",
        "no",
        "--daemonize",
        "no",
      ],
      logFile: join(dir, "redis.log"),
      ownerPid,
    });
    const url = `redis://127.0.0.1:${port}`;
    await proc.waitReady(async () => {
      const client = new Redis(url, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      try {
        await client.connect();
        return (await client.ping()) === "PONG";
      } catch {
        return false;
      } finally {
        client.disconnect();
      }
    }, 30_000);
    return new RedisServer(proc, url);
  }

  get pid(): number {
    return this.process.pid;
  }

  stop(): Promise<void> {
    return this.process.stop();
  }
}
