/**
 * A private PostgreSQL for tests: its own port and folder, run as the `postgres` user (the server
 * refuses to run as root). Durability settings are off: the data is thrown away after the run.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { ManagedProcess } from "./process.js";
import { freePort } from "./ports.js";
import { postgresBin } from "./tools.js";

const RUN_AS = "postgres";

export class PostgresServer {
  private constructor(
    private readonly process: ManagedProcess,
    readonly url: string,
    private readonly root: string,
  ) {}

  static async start(dir: string, ownerPid?: number): Promise<PostgresServer> {
    const bin = postgresBin();
    // The data lives in its own folder under the system temp dir: the `postgres` user must be able to
    // reach it, which a folder below root's home or a 0700 temp folder would not allow.
    const root = mkdtempSync(join(tmpdir(), "busca-ativa-pg-"));
    chmodSync(root, 0o755);
    const data = join(root, "data");
    const sockets = join(root, "sockets");
    mkdirSync(sockets, { recursive: true });
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      const uid = Number(execFileSync("id", ["-u", RUN_AS], { encoding: "utf8" }).trim());
      const gid = Number(execFileSync("id", ["-g", RUN_AS], { encoding: "utf8" }).trim());
      chownSync(root, uid, gid);
      chownSync(sockets, uid, gid);
    }
    const initdbArgs = [
      "-D",
      data,
      "-U",
      "postgres",
      "--auth=trust",
      "-E",
      "UTF8",
      "--locale=C.UTF-8",
      "--no-sync",
    ];
    const initdb = asRoot
      ? () =>
          execFileSync("runuser", ["-u", RUN_AS, "--", join(bin, "initdb"), ...initdbArgs], { stdio: "pipe" })
      : () => execFileSync(join(bin, "initdb"), initdbArgs, { stdio: "pipe" });
    try {
      initdb();
    } catch (err) {
      const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? "";
      throw new Error(`initdb failed: ${stderr}`, { cause: err });
    }
    const port = await freePort();
    const proc = new ManagedProcess({
      name: "postgres",
      command: join(bin, "postgres"),
      args: [
        "-D",
        data,
        "-p",
        String(port),
        "-k",
        sockets,
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "fsync=off",
        "-c",
        "synchronous_commit=off",
        "-c",
        "full_page_writes=off",
        "-c",
        "max_connections=300",
        "-c",
        "shared_buffers=128MB",
        "-c",
        "log_min_messages=warning",
      ],
      logFile: join(dir, "postgres.log"),
      runAs: RUN_AS,
      stopSignal: "INT",
      ownerPid,
    });
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    await proc.waitReady(async () => {
      const client = new pg.Client({ connectionString: url });
      try {
        await client.connect();
        await client.query("select 1");
        return true;
      } catch {
        return false;
      } finally {
        await client.end().catch(() => undefined);
      }
    }, 60_000);
    return new PostgresServer(proc, url, root);
  }

  get pid(): number {
    return this.process.pid;
  }

  async stop(): Promise<void> {
    await this.process.stop();
    rmSync(this.root, { recursive: true, force: true });
  }
}
