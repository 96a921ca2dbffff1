/** A private Redis for tests: its own port and folder, AOF on, `maxmemory-policy noeviction` as BullMQ requires. */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { connect } from "node:net";
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
    await proc.waitReady(() => ping(port), 30_000);
    return new RedisServer(proc, url);
  }

  get pid(): number {
    return this.process.pid;
  }

  stop(): Promise<void> {
    return this.process.stop();
  }
}

/** True when Redis answers PING on the port (a raw RESP exchange: no client library state to clean up). */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let reply = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      reply += chunk.toString();
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
  });
}
