/**
 * A small closed-loop HTTP/1.1 load generator over raw keep-alive sockets (no client library, so the
 * load costs little CPU next to the server it measures). `connections` sockets each send one request,
 * wait for the whole answer, and send the next, until `durationMs` has passed; requests go only to the
 * host given (the benchmarks use 127.0.0.1). Answers must carry Content-Length (Fastify's do).
 */
import { connect, type Socket } from "node:net";

export interface LoadOptions {
  host: string;
  port: number;
  connections: number;
  durationMs: number;
  /** Measured requests start after this warm-up (its requests are sent but not counted). */
  warmupMs?: number;
  /** The raw bytes of request number `i` (unique per request when the server deduplicates). */
  request: (i: number) => Buffer;
  /** Called for every answer, warm-up included. */
  onStatus?: (status: number) => void;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  perSecond: number;
  /** Counts by HTTP status. */
  statuses: Record<string, number>;
  socketErrors: number;
  /** Latencies of counted requests in ms, ascending. */
  latencies: Float64Array;
}

export function httpRequest(
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string,
): Buffer {
  const bytes = Buffer.from(body);
  const head = [`${method} ${path} HTTP/1.1`, "host: 127.0.0.1", `content-length: ${bytes.length}`];
  for (const [name, value] of Object.entries(headers)) head.push(`${name}: ${value}`);
  return Buffer.concat([Buffer.from(`${head.join("\r\n")}\r\n\r\n`), bytes]);
}

export async function runHttpLoad(options: LoadOptions): Promise<LoadResult> {
  const warmupMs = options.warmupMs ?? 0;
  const start = performance.now();
  const measureFrom = start + warmupMs;
  const stopAt = measureFrom + options.durationMs;
  let next = 0;
  let socketErrors = 0;
  const statuses: Record<string, number> = {};
  let latencies = new Float64Array(1 << 16);
  let count = 0;

  const record = (status: number, sentAt: number, doneAt: number) => {
    options.onStatus?.(status);
    if (sentAt < measureFrom || doneAt > stopAt) return;
    if (count === latencies.length) {
      const bigger = new Float64Array(latencies.length * 2);
      bigger.set(latencies);
      latencies = bigger;
    }
    latencies[count++] = doneAt - sentAt;
    statuses[status] = (statuses[status] ?? 0) + 1;
  };

  const runConnection = () =>
    new Promise<void>((resolve) => {
      let socket: Socket;
      let buffer: Buffer = Buffer.alloc(0);
      let sentAt = 0;
      const open = () => {
        socket = connect({ host: options.host, port: options.port });
        socket.setNoDelay(true);
        socket.on("connect", send);
        socket.on("data", onData);
        socket.on("error", () => {
          socketErrors++;
        });
        socket.on("close", () => {
          if (performance.now() < stopAt) {
            buffer = Buffer.alloc(0);
            open();
          } else resolve();
        });
      };
      const send = () => {
        if (performance.now() >= stopAt) {
          socket.end();
          return;
        }
        sentAt = performance.now();
        socket.write(options.request(next++));
      };
      const onData = (chunk: Buffer) => {
        buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
        const headerEnd = buffer.indexOf("\r\n\r\n");
        if (headerEnd < 0) return;
        const head = buffer.subarray(0, headerEnd).toString("latin1");
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        const total = headerEnd + 4 + length;
        if (buffer.length < total) return;
        const status = Number(head.slice(9, 12));
        record(status, sentAt, performance.now());
        buffer = buffer.subarray(total);
        send();
      };
      open();
    });

  await Promise.all(Array.from({ length: options.connections }, runConnection));
  const seconds = options.durationMs / 1000;
  const sorted = latencies.slice(0, count).sort();
  return { requests: count, seconds, perSecond: count / seconds, statuses, socketErrors, latencies: sorted };
}
