import { afterEach, describe, expect, it } from "vitest";
import { Counter, Registry } from "prom-client";
import { createLogger } from "../../lib/logger.js";
import { HealthServer, informersSynced } from "./health-server.js";

const logger = createLogger({ component: "health-test", level: "silent" });
const servers: HealthServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function startServer(setup: (server: HealthServer, registry: Registry) => void = () => undefined) {
  const registry = new Registry();
  const server = new HealthServer({ port: 0, host: "127.0.0.1", registry, logger, checkTimeoutMs: 200 });
  setup(server, registry);
  servers.push(server);
  const port = await server.start();
  const get = async (path: string, method = "GET") => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
    return { status: res.status, body: await res.text(), type: res.headers.get("content-type") };
  };
  return { server, registry, get };
}

describe("HealthServer over HTTP", () => {
  it("answers ok on /healthz and /readyz when every check passes (and when there are none)", async () => {
    const { get } = await startServer((s) => {
      s.addHealthzCheck("ping", () => undefined);
    });
    expect(await get("/healthz")).toMatchObject({ status: 200, body: "ok" });
    expect(await get("/readyz")).toMatchObject({ status: 200, body: "ok" });
    expect((await get("/healthz?verbose")).body).toBe("[+]ping ok\nhealthz check passed\n");
  });

  it("fails with 500 and names the failing check and its reason", async () => {
    let synced = false;
    const informer = { name: "campaigns", hasSynced: () => synced };
    const { get } = await startServer((s) => {
      s.addReadyzCheck("informers", informersSynced([informer]));
      s.addReadyzCheck("database", async () => undefined);
    });
    const failing = await get("/readyz");
    expect(failing.status).toBe(500);
    expect(failing.body).toContain("[-]informers failed: informers not synced yet: campaigns");
    expect(failing.body).toContain("[+]database ok");
    synced = true;
    expect((await get("/readyz")).status).toBe(200);
  });

  it("checks one check by name, and 404s an unknown one", async () => {
    const { get } = await startServer((s) => {
      s.addHealthzCheck("good", () => undefined);
      s.addHealthzCheck("bad", () => {
        throw new Error("broken");
      });
    });
    expect((await get("/healthz/good")).status).toBe(200);
    expect(await get("/healthz/bad")).toMatchObject({ status: 500 });
    expect((await get("/healthz/none")).status).toBe(404);
    expect((await get("/healthz")).status).toBe(500);
    expect((await get("/nothing")).status).toBe(404);
  });

  it("fails a check that does not answer in time", async () => {
    const { get } = await startServer((s) => {
      s.addHealthzCheck("hung", () => new Promise(() => undefined));
    });
    const res = await get("/healthz");
    expect(res.status).toBe(500);
    expect(res.body).toContain("[-]hung failed: no answer within 200 ms");
  });

  it("fails readiness once shutting down, while liveness still passes", async () => {
    const { server, get } = await startServer();
    server.markShuttingDown();
    expect(await get("/readyz")).toMatchObject({ status: 500 });
    expect((await get("/readyz")).body).toContain("shutting down");
    expect((await get("/healthz")).status).toBe(200);
  });

  it("serves the registry it was given on /metrics, and only that one", async () => {
    const { registry, get } = await startServer();
    new Counter({ name: "runtime_test_total", help: "test", registers: [registry] }).inc(3);
    const res = await get("/metrics");
    expect(res.status).toBe(200);
    expect(res.type).toContain("text/plain");
    expect(res.body).toContain("runtime_test_total 3");
    expect(res.body).not.toContain("process_cpu_user_seconds_total");
  });

  it("refuses a duplicate or malformed check name", async () => {
    const server = new HealthServer({ port: 0, registry: new Registry(), logger });
    server.addHealthzCheck("one", () => undefined);
    expect(() => server.addHealthzCheck("one", () => undefined)).toThrow(/already registered/);
    expect(() => server.addReadyzCheck("Bad Name", () => undefined)).toThrow(/lowercase/);
  });
});
