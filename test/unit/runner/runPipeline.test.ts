import { Writable } from 'node:stream';
import pino from 'pino';
import { NEVER, Subject } from 'rxjs';
import { runPipeline, shutdownGraceMs } from '../../../src/runner/runPipeline';

function capture() {
  const lines: Array<{ msg: string; level: number }> = [];
  const stream = new Writable({ write: (chunk, _enc, cb) => (lines.push(JSON.parse(String(chunk))), cb()) });
  return { log: pino({ level: 'info' }, stream), lines };
}

describe('runPipeline shutdown', () => {
  it('exits within the grace when the pipeline never drains and close hangs (a stuck Neo4j write)', async () => {
    const { log, lines } = capture();
    let intakeStopped = false;
    let closeCalled = false;
    const run = runPipeline(
      {
        effects$: NEVER,
        stopIntake: () => void (intakeStopped = true),
        close: () => ((closeCalled = true), new Promise<void>(() => undefined)),
      },
      log,
      { signals: ['SIGUSR2'], metrics: false, graceMs: 1500 },
    );
    process.emit('SIGUSR2', 'SIGUSR2');
    await expect(run).resolves.toBe(0);
    expect(intakeStopped).toBe(true);
    expect(closeCalled).toBe(true);
    const msgs = lines.map((l) => l.msg);
    expect(msgs).toEqual(expect.arrayContaining(['stopping intake and draining', 'drain timed out; cutting the pipeline', 'close did not finish in time (a write or flush hangs); exiting without it', 'stopped']));
    expect(process.listenerCount('SIGUSR2')).toBe(0);
  });

  it('a pipeline that drains closes normally and says nothing about hanging', async () => {
    const { log, lines } = capture();
    const effects$ = new Subject<unknown>();
    const run = runPipeline({ effects$, stopIntake: () => effects$.complete(), close: async () => undefined }, log, { signals: ['SIGUSR2'], metrics: false, graceMs: 1500 });
    process.emit('SIGUSR2', 'SIGUSR2');
    await expect(run).resolves.toBe(0);
    expect(lines.map((l) => l.msg)).not.toContain('close did not finish in time (a write or flush hangs); exiting without it');
  });

  it('reads SHUTDOWN_GRACE_SECONDS, unset meaning no bound', () => {
    expect(shutdownGraceMs({})).toBeUndefined();
    expect(shutdownGraceMs({ SHUTDOWN_GRACE_SECONDS: '10' })).toBe(10_000);
    expect(() => shutdownGraceMs({ SHUTDOWN_GRACE_SECONDS: '0' })).toThrow(/SHUTDOWN_GRACE_SECONDS/);
  });
});
