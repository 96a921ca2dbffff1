/**
 * A lean HTTP(S) POST over keep-alive connections, for webhook delivery: several times cheaper per
 * request than fetch, which matters when every send fans out into four webhooks.
 */
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

export class HttpPoster {
  private readonly http: HttpAgent;
  private readonly https: HttpsAgent;

  constructor(maxSockets: number) {
    this.http = new HttpAgent({ keepAlive: true, maxSockets });
    this.https = new HttpsAgent({ keepAlive: true, maxSockets });
  }

  /** Resolves with the answer's status once its body was read; rejects on network errors and timeouts. */
  post(url: string, headers: Record<string, string>, body: Buffer, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const target = new URL(url);
      const secure = target.protocol === "https:";
      const req = (secure ? httpsRequest : httpRequest)(
        target,
        {
          method: "POST",
          agent: secure ? this.https : this.http,
          headers: { ...headers, "content-length": String(body.length) },
          timeout: timeoutMs,
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
          res.on("error", reject);
        },
      );
      req.on("timeout", () =>
        req.destroy(Object.assign(new Error(`No answer within ${timeoutMs} ms`), { name: "TimeoutError" })),
      );
      req.on("error", reject);
      req.end(body);
    });
  }

  close(): void {
    this.http.destroy();
    this.https.destroy();
  }
}
