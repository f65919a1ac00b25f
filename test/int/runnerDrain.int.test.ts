import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { KafkaSink } from '../../src/kafka/kafkaSink';
import { componentLogger } from '../../src/log/logger';
import { createTestTopic, drainTopic, testConnection, uniqueName } from '../support/kafkaTest';

const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  logs: Array<Record<string, unknown>>;
}

/** Runs `kgroot passthrough`; `onLog` may signal it. */
function runPassthrough(env: Record<string, string>, onLog: (line: Record<string, unknown>, kill: (s: NodeJS.Signals) => void) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'passthrough'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    const logs: Array<Record<string, unknown>> = [];
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const j = JSON.parse(line) as Record<string, unknown>;
          logs.push(j);
          onLog(j, (s) => child.kill(s));
        } catch {
          /* not a log line */
        }
      }
    });
    child.on('exit', (code, signal) => resolve({ code, signal, logs }));
  });
}

describe('runner: SIGTERM stops intake, drains, commits and exits 0', () => {
  it('a passthrough signalled mid-stream and restarted copies every record exactly once', async () => {
    const from = uniqueName('it-drain-in');
    const to = uniqueName('it-drain-out');
    await createTestTopic(from, 3);
    await createTestTopic(to, 3);
    const n = 30_000;
    const sink = await KafkaSink.connect({ connection: testConnection }, componentLogger('test'));
    await Promise.all(Array.from({ length: n }, (_, i) => sink.send({ topic: from, key: `k${i % 11}`, value: Buffer.from(`r${i}`) })));
    await sink.close();

    const env = { PASSTHROUGH_FROM: from, PASSTHROUGH_TO: to, PASSTHROUGH_GROUP: uniqueName('g'), PROGRESS_EVERY: '2000', MAX_IN_FLIGHT: '2000' };
    let signalled = false;
    const first = await runPassthrough(env, (line, kill) => {
      if (!signalled && line.msg === 'progress') {
        signalled = true;
        kill('SIGTERM');
      }
    });
    expect(first.signal).toBeNull();
    expect(first.code).toBe(0);
    expect(first.logs.some((l) => l.msg === 'stopping intake and draining')).toBe(true);
    const copiedFirst = first.logs.find((l) => l.msg === 'passthrough finished')?.copied as number;
    expect(copiedFirst).toBeGreaterThan(0);
    expect(copiedFirst).toBeLessThan(n); // it really was stopped mid-stream

    // The restart consumes the rest; it ends on SIGTERM once it has been quiet.
    let idle: NodeJS.Timeout | undefined;
    const second = await runPassthrough(env, (line, kill) => {
      if (line.msg === 'partitions assigned' || line.msg === 'progress') {
        if (idle) clearTimeout(idle);
        idle = setTimeout(() => kill('SIGTERM'), 5000);
      }
    });
    expect(second.code).toBe(0);
    const copiedSecond = second.logs.find((l) => l.msg === 'passthrough finished')?.copied as number;

    // The drain finished and committed everything the first run took: nothing was copied twice.
    expect(copiedFirst + copiedSecond).toBe(n);
    const out = await drainTopic(to);
    const values = out.map((r) => r.value!.toString());
    expect(values).toHaveLength(n);
    expect(new Set(values).size).toBe(n);
  });
});
