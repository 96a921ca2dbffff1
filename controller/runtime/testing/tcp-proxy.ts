/**
 * Test support: a TCP proxy in front of the API server that can break, refuse or freeze connections,
 * to prove the runtime survives network failures. TLS passes through untouched (the client still
 * verifies the API server's certificate for 127.0.0.1).
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";

type Mode = "open" | "refuse" | "freeze";

interface Pair {
  client: Socket;
  upstream: Socket | undefined;
}

export class TcpProxy {
  private mode: Mode = "open";
  /** Connections accepted since the start. */
  accepted = 0;
  private readonly pairs = new Set<Pair>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  /** Starts a proxy on a free local port forwarding to `target`. */
  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const accepted: Socket[] = [];
    let onConnection: (client: Socket) => void = (client) => {
      accepted.push(client);
    };
    const server = createServer((client) => onConnection(client));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (!address || typeof address === "string") throw new Error("The proxy has no TCP address");
    const proxy = new TcpProxy(server, address.port, target);
    onConnection = (client) => proxy.accept(client);
    for (const client of accepted) proxy.accept(client);
    return proxy;
  }

  /** A proxy in front of `kubeConfig`'s API server, and a copy of the kubeconfig that goes through it. */
  static async forKubeConfig(kubeConfig: KubeConfig): Promise<{ proxy: TcpProxy; kubeConfig: KubeConfig }> {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error("The kubeconfig has no current cluster");
    const url = new URL(cluster.server);
    const proxy = await TcpProxy.start({ host: url.hostname, port: Number(url.port || 443) });
    const proxied = new KubeConfig();
    proxied.loadFromOptions({
      clusters: kubeConfig
        .getClusters()
        .map((c) =>
          c.name === cluster.name ? { ...c, server: `https://${url.hostname}:${proxy.port}` } : c,
        ),
      users: kubeConfig.getUsers(),
      contexts: kubeConfig.getContexts(),
      currentContext: kubeConfig.getCurrentContext(),
    });
    return { proxy, kubeConfig: proxied };
  }

  /** Connections currently open through the proxy. */
  get connections(): number {
    return this.pairs.size;
  }

  /** Destroys every open connection (both sides see a reset). */
  breakAll(): void {
    for (const pair of this.pairs) this.drop(pair);
  }

  /** Breaks every connection and destroys new ones as soon as they arrive, until `open()`. */
  refuse(): void {
    this.mode = "refuse";
    this.breakAll();
  }

  /**
   * Stops forwarding bytes, without closing anything: existing connections go silent and new ones are
   * accepted but never reach the API server, until `open()`. A network that hangs.
   */
  freeze(): void {
    this.mode = "freeze";
    for (const pair of this.pairs) {
      pair.client.pause();
      pair.upstream?.pause();
    }
  }

  /** Back to normal: frozen connections resume, new ones are forwarded. */
  open(): void {
    const wasFrozen = this.mode === "freeze";
    this.mode = "open";
    if (!wasFrozen) return;
    for (const pair of this.pairs) {
      if (pair.upstream) {
        pair.client.resume();
        pair.upstream.resume();
      } else {
        this.link(pair);
      }
    }
  }

  async close(): Promise<void> {
    this.breakAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.accepted += 1;
    if (this.mode === "refuse") {
      client.destroy();
      return;
    }
    const pair: Pair = { client, upstream: undefined };
    this.pairs.add(pair);
    client.on("error", () => this.drop(pair));
    client.on("close", () => this.drop(pair));
    if (this.mode === "freeze") {
      client.pause();
      return;
    }
    this.link(pair);
  }

  private link(pair: Pair): void {
    const upstream = connect(this.target.port, this.target.host);
    pair.upstream = upstream;
    upstream.on("error", () => this.drop(pair));
    upstream.on("close", () => this.drop(pair));
    pair.client.pipe(upstream);
    upstream.pipe(pair.client);
    pair.client.resume();
  }

  private drop(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    pair.client.destroy();
    pair.upstream?.destroy();
  }
}
