import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stackStatus } from '../../src/stack/localStack';
import { loadStackConfig } from '../../src/stack/stackConfig';

/**
 * `kgroot start` (what `npm start` runs): with KAFKA_BROKERS / NEO4J_URI unset it uses the local
 * stack, starts the control plane, topology builder and webhook receiver, prints where to look;
 * a client that registers gets its 3 workers; Ctrl-C stops every process it started, and a stack
 * that was already running before it stays up.
 */
const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('kgroot start (embedded default)', () => {
  it('runs the server on the local stack and Ctrl-C stops everything it started', async () => {
    const run = Date.now().toString(36);
    const client = `st${run}`;
    const base = 21000 + Math.floor(Math.random() * 20000);
    const env: Record<string, string | undefined> = {
      ...process.env,
      METRICS_BASE_PORT: String(base),
      CONTROL_PLANE_PORT: String(base + 10),
      WEBHOOK_PORT: String(base + 11),
      CONTROL_PLANE_GROUP_SUFFIX: `-${run}`,
      CONTROL_PLANE_STATE_DIR: mkdtempSync(join(tmpdir(), 'kgroot-start-')),
      CLIENT_ALLOWLIST: client,
    };
    delete env.KAFKA_BROKERS;
    delete env.NEO4J_URI;
    const stackBefore = stackStatus(loadStackConfig());
    expect(stackBefore.every((s) => s.running)).toBe(true);

    const server = spawn(process.execPath, [CLI, 'start'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    server.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => server.once('exit', (code) => r(code)));

    await waitFor('the banner', async () => (out.includes('kgroot is running.') ? true : undefined), 60_000);
    expect(out).toContain(`http://127.0.0.1:${base + 11}/webhooks/alertmanager/{client}`);
    expect(out).toContain(`http://127.0.0.1:${base + 10}/clients`);
    const health = await waitFor('webhook /healthz', async () => ((await fetch(`http://127.0.0.1:${base + 11}/healthz`)).ok ? true : undefined), 30_000);
    expect(health).toBe(true);

    // A client registers (the simulator, briefly) and gets its three worker processes.
    const sim = spawn(process.execPath, [CLI, 'simulate', '--client', client, '--rate', '0', '--heartbeat-seconds', '2', '--ground-truth', join(tmpdir(), `${client}.json`)], { stdio: 'ignore' });
    const workers = await waitFor(
      'three workers',
      async () => {
        const v = (await (await fetch(`http://127.0.0.1:${base + 10}/clients`)).json()) as { clients: Array<{ client: string; workers: Array<{ id: string; state: string }> }> };
        const c = v.clients.find((x) => x.client === client);
        return c && c.workers.length === 3 && c.workers.every((w) => w.state === 'running') ? c.workers.map((w) => Number(w.id)) : undefined;
      },
      60_000,
    );
    sim.kill('SIGTERM');

    // The control plane's metrics say what happened: one live client, three spawns.
    const metrics = await (await fetch(`http://127.0.0.1:${base}/metrics`)).text();
    expect(metrics).toMatch(/^kgroot_clients\{state="live"\} 1$/m);
    const spawns = [...metrics.matchAll(/^kgroot_spawns_total\{role="[a-z-]+",action="spawn",result="ok"\} (\d+)$/gm)].map((m) => Number(m[1]));
    expect(spawns.reduce((a, b) => a + b, 0)).toBe(3);

    // Ctrl-C: everything it started goes away; the stack it did not start stays.
    const children = await childPids(server.pid!);
    expect(children.length).toBeGreaterThanOrEqual(3);
    server.kill('SIGINT');
    expect(await exited).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    for (const pid of [...children, ...workers]) expect(alive(pid)).toBe(false);
    expect(stackStatus(loadStackConfig()).map((s) => s.pid)).toEqual(stackBefore.map((s) => s.pid));
  });
});

/** Direct children of a process, from /proc. */
async function childPids(pid: number): Promise<number[]> {
  const { readdirSync, readFileSync } = await import('node:fs');
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
