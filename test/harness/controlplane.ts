/**
 * A real Kubernetes control plane for tests, the way kubebuilder's envtest does it: etcd and
 * kube-apiserver binaries, plus kube-controller-manager (garbage collection, namespace deletion,
 * ServiceAccount tokens, CronJob → Job). Authentication by client certificates and ServiceAccount
 * tokens, RBAC authorization on, as in a real cluster. There is no kubelet: pods never run.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Agent, request } from "node:https";
import { ManagedProcess } from "./process.js";
import { freePort } from "./ports.js";
import { kubeTool } from "./tools.js";
import { clientCertificate, createPki, servingCertificate, type Pki } from "./pki.js";
import { adminAgent, kubeconfigYaml, type ClusterAccess } from "./identities.js";

export interface ControlPlaneOptions {
  dir: string;
  ownerPid?: number;
  /** Run kube-controller-manager too; default true. */
  controllerManager?: boolean;
}

export interface ControlPlaneInfo {
  server: string;
  adminKubeconfig: string;
  caFile: string;
}

export class ControlPlane {
  readonly dir: string;
  private readonly pki: Pki;
  private readonly processes: ManagedProcess[] = [];
  private serverUrl = "";
  private adminKubeconfigPath = "";

  private constructor(dir: string, pki: Pki) {
    this.dir = dir;
    this.pki = pki;
  }

  static async start(options: ControlPlaneOptions): Promise<ControlPlane> {
    const pkiDir = join(options.dir, "pki");
    mkdirSync(pkiDir, { recursive: true });
    const plane = new ControlPlane(options.dir, createPki(pkiDir));
    try {
      await plane.startEtcd(options.ownerPid);
      await plane.startApiServer(options.ownerPid);
      if (options.controllerManager ?? true) await plane.startControllerManager(options.ownerPid);
    } catch (err) {
      await plane.stop();
      throw err;
    }
    return plane;
  }

  get info(): ControlPlaneInfo {
    return { server: this.serverUrl, adminKubeconfig: this.adminKubeconfigPath, caFile: this.pki.caCert };
  }

  private etcdUrl = "";

  private async startEtcd(ownerPid?: number): Promise<void> {
    const clientPort = await freePort();
    const peerPort = await freePort();
    this.etcdUrl = `http://127.0.0.1:${clientPort}`;
    const etcd = new ManagedProcess({
      name: "etcd",
      command: kubeTool("etcd"),
      args: [
        `--data-dir=${join(this.dir, "etcd")}`,
        `--listen-client-urls=${this.etcdUrl}`,
        `--advertise-client-urls=${this.etcdUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
        "--unsafe-no-fsync=true",
        "--quota-backend-bytes=4294967296",
        "--log-level=warn",
      ],
      logFile: join(this.dir, "etcd.log"),
      ownerPid,
    });
    this.processes.push(etcd);
    await etcd.waitReady(async () => {
      const res = await fetch(`${this.etcdUrl}/health`).catch(() => undefined);
      return res?.ok === true;
    }, 60_000);
  }

  private async startApiServer(ownerPid?: number): Promise<void> {
    const port = await freePort();
    this.serverUrl = `https://127.0.0.1:${port}`;
    const serving = servingCertificate(this.pki, "apiserver");
    const apiserver = new ManagedProcess({
      name: "kube-apiserver",
      command: kubeTool("kube-apiserver"),
      args: [
        `--etcd-servers=${this.etcdUrl}`,
        `--secure-port=${port}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        // A loopback advertise address is refused by the default endpoint reconciler; nothing here
        // needs the `kubernetes` Service's endpoints (no pods run).
        "--endpoint-reconciler-type=none",
        `--cert-dir=${join(this.dir, "apiserver-certs")}`,
        `--tls-cert-file=${serving.certFile}`,
        `--tls-private-key-file=${serving.keyFile}`,
        `--client-ca-file=${this.pki.caCert}`,
        "--authorization-mode=RBAC",
        "--anonymous-auth=false",
        "--service-cluster-ip-range=10.0.0.0/24",
        "--allow-privileged=true",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-account-key-file=${this.pki.saPub}`,
        `--service-account-signing-key-file=${this.pki.saKey}`,
        "--profiling=false",
        "--v=0",
      ],
      logFile: join(this.dir, "kube-apiserver.log"),
      ownerPid,
    });
    this.processes.push(apiserver);
    const admin = clientCertificate(this.pki, "admin", ["system:masters"]);
    this.adminKubeconfigPath = join(this.dir, "admin.kubeconfig");
    writeFileSync(this.adminKubeconfigPath, kubeconfigYaml(this.serverUrl, this.pki.caCert, "admin", admin));
    const agent = new Agent({ ca: readFileSync(this.pki.caCert), cert: admin.cert, key: admin.key });
    await apiserver.waitReady(() => this.httpOk("/readyz", agent), 120_000);
    agent.destroy();
  }

  private async startControllerManager(ownerPid?: number): Promise<void> {
    const identity = clientCertificate(this.pki, "system:kube-controller-manager", []);
    const kubeconfig = join(this.dir, "controller-manager.kubeconfig");
    writeFileSync(
      kubeconfig,
      kubeconfigYaml(this.serverUrl, this.pki.caCert, "system:kube-controller-manager", identity),
    );
    const kcm = new ManagedProcess({
      name: "kube-controller-manager",
      command: kubeTool("kube-controller-manager"),
      args: [
        `--kubeconfig=${kubeconfig}`,
        `--authentication-kubeconfig=${kubeconfig}`,
        `--authorization-kubeconfig=${kubeconfig}`,
        "--bind-address=127.0.0.1",
        `--secure-port=${await freePort()}`,
        `--cert-dir=${join(this.dir, "kcm-certs")}`,
        `--service-account-private-key-file=${this.pki.saKey}`,
        `--root-ca-file=${this.pki.caCert}`,
        `--cluster-signing-cert-file=${this.pki.caCert}`,
        `--cluster-signing-key-file=${this.pki.caKey}`,
        "--use-service-account-credentials=true",
        "--leader-elect=false",
        "--controllers=*",
        "--concurrent-gc-syncs=5",
        "--v=0",
      ],
      logFile: join(this.dir, "kube-controller-manager.log"),
      ownerPid,
    });
    this.processes.push(kcm);
    const agent = adminAgent(this.access);
    // Ready when the ServiceAccount controller has made the "default" ServiceAccount in "default".
    await kcm.waitReady(
      () => this.httpOk("/api/v1/namespaces/default/serviceaccounts/default", agent),
      120_000,
    );
    agent.destroy();
  }

  /** What is needed to mint identities (users, ServiceAccounts) in this cluster. */
  get access(): ClusterAccess {
    return { apiServer: this.serverUrl, dir: this.dir, pki: this.pki, kubeconfig: this.adminKubeconfigPath };
  }

  private httpOk(path: string, agent: Agent): Promise<boolean> {
    return new Promise((resolve) => {
      const req = request(`${this.serverUrl}${path}`, { agent, timeout: 5000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on("error", () => resolve(false));
      req.on("timeout", () => req.destroy());
      req.end();
    });
  }

  /** The pids of the tethers, for the environment's state file. */
  get pids(): number[] {
    return this.processes.map((p) => p.pid);
  }

  async stop(): Promise<void> {
    for (const p of [...this.processes].reverse()) await p.stop();
    this.processes.length = 0;
  }
}
