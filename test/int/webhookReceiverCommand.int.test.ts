import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { uniqueName } from '../support/kafkaTest';

const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js');

type Line = { msg?: string; port?: number; address?: { port: number }; code?: number; why?: string; delivered?: number; signal?: string };

/**
 * `kgroot webhook-receiver` under the runner, as a process on the real broker: it serves on its
 * port, the runner's /healthz on METRICS_PORT answers, and SIGTERM stops it like every other
 * component — no new requests, the sink flushed ("producer closed" with the delivery), exit 0.
 */
describe('webhook-receiver command', () => {
  it('serves, reports health through the runner and stops on SIGTERM with the sink flushed', async () => {
    const client = uniqueName('whc').replace(/[^a-z0-9-]/g, '');
    const token = 'receiver-test-token';
    const child = spawn(process.execPath, [CLI, 'webhook-receiver'], {
      env: { ...process.env, WEBHOOK_HOST: '127.0.0.1', WEBHOOK_PORT: '0', METRICS_PORT: '0', METRICS_HOST: '127.0.0.1', WEBHOOK_TOKENS: `${client}=${token}`, LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines: Line[] = [];
    const waiters: Array<() => void> = [];
    createInterface({ input: child.stdout! }).on('line', (l) => {
      try {
        lines.push(JSON.parse(l) as Line);
      } catch {
        return;
      }
      waiters.splice(0).forEach((w) => w());
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const line = async (msg: string, timeoutMs = 30_000): Promise<Line> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = lines.find((l) => l.msg === msg);
        if (found) return found;
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no "${msg}" line; got ${lines.map((l) => l.msg).join(' | ')}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
      }
    };
    try {
      const webhookPort = (await line('listening')).address!.port;
      const metricsPort = (await line('metrics on /metrics, health on /healthz')).port!;
      const health = await fetch(`http://127.0.0.1:${metricsPort}/healthz`);
      expect(health.status).toBe(200);
      const body = JSON.stringify({ version: '4', groupKey: 'g', status: 'firing', receiver: 'kgroot', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://am', alerts: [{ status: 'firing', labels: { alertname: 'WebDown', namespace: 'shop' }, annotations: {}, startsAt: '2024-05-01T10:01:00Z', endsAt: '0001-01-01T00:00:00Z' }] });
      const res = await fetch(`http://127.0.0.1:${webhookPort}/webhooks/alertmanager/${client}`, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } });
      expect(res.status).toBe(202);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect((await line('stopping intake and draining')).signal).toBe('SIGTERM');
      expect((await line('producer closed')).delivered).toBe(1);
      expect(await line('stopped')).toMatchObject({ code: 0, why: 'completed' });
      // No request is served any more.
      await expect(fetch(`http://127.0.0.1:${webhookPort}/healthz`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
