import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { KafkaSink } from '../../src/kafka/kafkaSink';
import { TOPICS } from '../../src/kafka/topics';

/** The repository root, from the sources (jest) as from dist/ (benchmarks). */
function repoRoot(): string {
  let d = __dirname;
  while (!existsSync(join(d, 'package.json')) && dirname(d) !== d) d = dirname(d);
  return d;
}
export const CLI = join(repoRoot(), 'dist', 'src', 'cli.js');

export interface ClientsViewWorker {
  name: string;
  role: string;
  state: string;
  id: string;
}

export interface ClientsView {
  spawner: string;
  clients: Array<{ client: string; state: string; workers: ClientsViewWorker[] }>;
}

/**
 * `kgroot control-plane` as a child process (the built CLI), its log lines kept; its /clients URL is
 * taken from the "status endpoint listening" line.
 */
export class ControlPlaneProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  private urlValue: string | undefined;

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, [CLI, 'control-plane'], { env: { ...process.env, LOG_LEVEL: 'info', CONTROL_PLANE_PORT: '0', METRICS_PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let rest = '';
    this.child.stdout!.on('data', (chunk) => {
      const parts = (rest + String(chunk)).split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) {
        this.lines.push(line);
        const url = /"url":"(http:[^"]+)"/.exec(line)?.[1];
        if (url) this.urlValue = url;
      }
    });
    this.child.stderr!.on('data', (chunk) => this.lines.push(String(chunk)));
  }

  /** Log lines whose msg matches. */
  logged(msg: RegExp): Array<Record<string, unknown>> {
    const out: Array<Record<string, unknown>> = [];
    for (const l of this.lines) {
      try {
        const j = JSON.parse(l) as Record<string, unknown>;
        if (typeof j.msg === 'string' && msg.test(j.msg)) out.push(j);
      } catch {
        /* not a log line */
      }
    }
    return out;
  }

  async clients(): Promise<ClientsView> {
    const url = this.urlValue;
    if (!url) throw new Error(`control plane not listening yet; last lines:\n${this.lines.slice(-10).join('\n')}`);
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
    return (await res.json()) as ClientsView;
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const code = new Promise<number | null>((r) => this.child.once('exit', (c) => r(c)));
    this.child.kill('SIGTERM');
    return code;
  }
}

/** Clients as their agents talk to the control plane: a registration, then heartbeats every second. */
export class HeartbeatingClients {
  readonly live = new Set<string>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly sink: KafkaSink,
    everyMs = 1000,
  ) {
    this.timer = setInterval(() => {
      for (const id of this.live) void this.sink.send({ topic: TOPICS.heartbeat.name, key: id, value: Buffer.from(JSON.stringify({ client_id: id, timestamp: Date.now() })) });
    }, everyMs);
  }

  async register(...ids: string[]): Promise<void> {
    for (const id of ids) {
      await this.sink.send({ topic: TOPICS.registry.name, key: id, value: Buffer.from(JSON.stringify({ client_id: id, cluster_name: `${id}-cluster`, k8s_version: '1.30' })) });
      this.live.add(id);
    }
  }

  /** Stops the heartbeats of a client: it goes stale. */
  silence(id: string): void {
    this.live.delete(id);
  }

  stop(): void {
    clearInterval(this.timer);
    this.live.clear();
  }
}

export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms: number, everyMs = 250): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}
