import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real Kubernetes control plane for tests: etcd (Debian's etcd-server), kube-apiserver and
 * kube-controller-manager 1.20.2 (built by .ci/k8s-setup.sh into the cache), all on loopback with
 * free ports, in a fresh temporary directory. Token authentication (an admin token in
 * system:masters), the RBAC authorizer, service-account signing keys and a serving certificate
 * from openssl. The controller manager runs the deployment, replicaset, garbage-collector,
 * service-account and token controllers: Deployments get ReplicaSets and Pods (Pending: there is no kubelet).
 */
export const K8S_VERSION = '1.20.2';
export const K8S_BIN = process.env.KGROOT_K8S_BIN ?? join(process.env.KGROOT_CACHE_DIR ?? join(homedir(), '.cache', 'kgroot'), `k8s-${K8S_VERSION}`, 'bin');

export function k8sBinary(name: 'kube-apiserver' | 'kube-controller-manager' | 'kubectl' | 'helm'): string {
  const p = join(K8S_BIN, name);
  if (!existsSync(p)) throw new Error(`${p} is missing: run .ci/k8s-setup.sh (builds kube-apiserver and kube-controller-manager ${K8S_VERSION} from Debian's source package, unpacks kubectl and helm)`);
  return p;
}

function etcdBinary(): string {
  for (const p of ['/usr/bin/etcd', '/usr/local/bin/etcd']) if (existsSync(p)) return p;
  throw new Error('etcd is missing: run .ci/k8s-setup.sh (installs Debian\'s etcd-server)');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A kubeconfig for one bearer token against this API server. */
export function kubeconfigYaml(server: string, caPem: string, token: string, user: string): string {
  const ca = Buffer.from(caPem).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: test\n  cluster:\n    server: ${server}\n    certificate-authority-data: ${ca}`,
    'users:',
    `- name: ${user}\n  user:\n    token: ${token}`,
    'contexts:',
    `- name: test\n  context:\n    cluster: test\n    user: ${user}`,
    'current-context: test',
    '',
  ].join('\n');
}

export class KubeApiServer {
  readonly server: string;
  readonly caPem: string;
  /** kubeconfig file of the admin (system:masters). */
  readonly adminKubeconfig: string;
  readonly adminToken: string;
  private readonly procs: Array<{ name: string; child: ChildProcess }> = [];

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {
    this.server = `https://127.0.0.1:${port}`;
    this.adminToken = `admin-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
    this.caPem = '';
    this.adminKubeconfig = join(dir, 'admin.kubeconfig');
  }

  static async start(): Promise<KubeApiServer> {
    const apiserver = k8sBinary('kube-apiserver');
    const kcm = k8sBinary('kube-controller-manager');
    const etcd = etcdBinary();
    const dir = mkdtempSync(join(tmpdir(), 'kg-kube-'));
    const [etcdClient, etcdPeer, port] = [await freePort(), await freePort(), await freePort()];
    const k = new KubeApiServer(dir, port);
    const f = (n: string) => join(dir, n);
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    // service-account signing key; a CA and a serving certificate for 127.0.0.1
    ssl('genrsa', '-out', 'sa.key', '2048');
    ssl('rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub');
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=kgroot-test-ca', '-keyout', 'ca.key', '-out', 'ca.crt');
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=kube-apiserver', '-keyout', 'server.key', '-out', 'server.csr');
    writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\n');
    ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'san.ext', '-out', 'server.crt');
    (k as { caPem: string }).caPem = readFileSync(f('ca.crt'), 'utf8');
    const kcmToken = `kcm-${Math.random().toString(36).slice(2)}`;
    writeFileSync(f('tokens.csv'), `${k.adminToken},admin,admin,"system:masters"\n${kcmToken},system:kube-controller-manager,kcm,"system:masters"\n`);
    writeFileSync(k.adminKubeconfig, kubeconfigYaml(k.server, k.caPem, k.adminToken, 'admin'));
    writeFileSync(f('kcm.kubeconfig'), kubeconfigYaml(k.server, k.caPem, kcmToken, 'kcm'));

    k.run('etcd', etcd, [
      '--name', 'test', '--data-dir', f('etcd'),
      '--listen-client-urls', `http://127.0.0.1:${etcdClient}`, '--advertise-client-urls', `http://127.0.0.1:${etcdClient}`,
      '--listen-peer-urls', `http://127.0.0.1:${etcdPeer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${etcdPeer}`,
      '--initial-cluster', `test=http://127.0.0.1:${etcdPeer}`, '--log-level', 'warn',
    ], { ETCD_UNSUPPORTED_ARCH: '' });
    k.run('kube-apiserver', apiserver, [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${port}`, '--insecure-port=0',
      `--tls-cert-file=${f('server.crt')}`, `--tls-private-key-file=${f('server.key')}`, `--cert-dir=${dir}`,
      `--token-auth-file=${f('tokens.csv')}`, '--anonymous-auth=false', '--authorization-mode=RBAC',
      `--service-account-key-file=${f('sa.pub')}`, `--service-account-signing-key-file=${f('sa.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc', '--api-audiences=https://kubernetes.default.svc',
      '--service-cluster-ip-range=10.96.0.0/24', '--profiling=false', '--v=1',
    ]);
    try {
      await k.waitReady(90_000);
      k.run('kube-controller-manager', kcm, [
        `--kubeconfig=${f('kcm.kubeconfig')}`, '--controllers=deployment,replicaset,garbagecollector,serviceaccount,serviceaccount-token',
        `--service-account-private-key-file=${f('sa.key')}`, `--root-ca-file=${f('ca.crt')}`,
        '--leader-elect=false', '--port=0', '--secure-port=0', '--use-service-account-credentials=false',
        '--concurrent-deployment-syncs=10', '--concurrent-replicaset-syncs=10', '--profiling=false', '--v=1',
      ]);
    } catch (err) {
      await k.stop();
      throw err;
    }
    return k;
  }

  private run(name: string, bin: string, args: string[], env: Record<string, string> = {}): void {
    const log = openSync(join(this.dir, `${name}.log`), 'a');
    const child = spawn(bin, args, { cwd: this.dir, env: { ...process.env, ...env }, stdio: ['ignore', log, log] });
    this.procs.push({ name, child });
  }

  /** The last lines of a component's log, for failure messages. */
  logTail(name: string, lines = 20): string {
    try {
      return readFileSync(join(this.dir, `${name}.log`), 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** GET on the API server with the admin token (or another); resolves with status and body. */
  get(path: string, token = this.adminToken): Promise<{ status: number; body: string }> {
    return this.call('GET', path, undefined, token);
  }

  call(method: string, path: string, body: unknown, token = this.adminToken): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        `${this.server}${path}`,
        { method, ca: this.caPem, timeout: 10_000, headers: { authorization: `Bearer ${token}`, ...(data ? { 'content-type': 'application/json' } : {}) } },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(data);
    });
  }

  private async waitReady(ms: number): Promise<void> {
    const end = Date.now() + ms;
    let last = '';
    while (Date.now() < end) {
      for (const p of this.procs) {
        if (p.child.exitCode !== null) throw new Error(`${p.name} exited with ${p.child.exitCode}:\n${this.logTail(p.name)}`);
      }
      try {
        const r = await this.get('/readyz');
        if (r.status === 200) return;
        last = `${r.status} ${r.body.slice(0, 300)}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(250);
    }
    throw new Error(`kube-apiserver not ready after ${ms} ms (${last}):\n${this.logTail('kube-apiserver')}`);
  }

  /**
   * Creates a namespace and waits for its `default` ServiceAccount: pods created before it exists
   * are refused, and the ReplicaSet controller then backs off for a long while.
   */
  async createNamespace(name: string): Promise<void> {
    const r = await this.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    if (r.status !== 201) throw new Error(`creating namespace ${name}: ${r.status} ${r.body}`);
    const end = Date.now() + 30_000;
    while ((await this.get(`/api/v1/namespaces/${name}/serviceaccounts/default`)).status !== 200) {
      if (Date.now() > end) throw new Error(`no default ServiceAccount in ${name} after 30 s:\n${this.logTail('kube-controller-manager')}`);
      await sleep(100);
    }
  }

  /** A bearer token of a ServiceAccount (TokenRequest API), and a kubeconfig file using it. */
  async serviceAccountKubeconfig(namespace: string, name: string): Promise<{ token: string; kubeconfig: string }> {
    const r = await this.call('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } });
    if (r.status !== 201) throw new Error(`TokenRequest for ${namespace}/${name}: ${r.status} ${r.body}`);
    const token = (JSON.parse(r.body) as { status: { token: string } }).status.token;
    const kubeconfig = join(this.dir, `sa-${namespace}-${name}.kubeconfig`);
    writeFileSync(kubeconfig, kubeconfigYaml(this.server, this.caPem, token, `${namespace}-${name}`));
    return { token, kubeconfig };
  }

  /** kubectl 1.20 as the admin (or with another kubeconfig). */
  kubectl(args: string[], opts: { kubeconfig?: string; input?: string } = {}): string {
    return execFileSync(k8sBinary('kubectl'), ['--kubeconfig', opts.kubeconfig ?? this.adminKubeconfig, ...args], { encoding: 'utf8', input: opts.input, stdio: ['pipe', 'pipe', 'pipe'] });
  }

  async stop(): Promise<void> {
    for (const p of [...this.procs].reverse()) {
      if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
      const exited = new Promise<void>((r) => p.child.once('exit', () => r()));
      p.child.kill('SIGTERM');
      const t = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    if (!process.env.KGROOT_KEEP_KUBE) rmSync(this.dir, { recursive: true, force: true });
  }
}
