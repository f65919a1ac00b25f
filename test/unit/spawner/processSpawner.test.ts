import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ProcessSpawner, findLeftoverWorkers } from '../../../src/spawner/processSpawner';
import { ProcessSpawnerConfig, workerEnv } from '../../../src/spawner/spawnerConfig';
import { ensureAll, removeAll } from '../../../src/spawner/spawner';

// The spawner preloads dist/src/spawner/parentWatch.js into node workers: build first (npx tsc).
const fake = join(__dirname, 'fixtures', 'sleepWorker.js');
const log = pino({ level: 'silent' });

function config(extra: Partial<ProcessSpawnerConfig> = {}): ProcessSpawnerConfig {
  return {
    command: [process.execPath, fake],
    stopGraceMs: 1000,
    restartBaseMs: 50,
    restartMaxMs: 400,
    stateDir: mkdtempSync(join(tmpdir(), 'kg-spawner-')),
    nice: 0,
    env: { passthroughPrefixes: ['KAFKA_'], extra: {}, neo4jDatabase: 'db-{client}' },
    ...extra,
  };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, f: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('ProcessSpawner', () => {
  it('ensure starts one process per worker, a second ensure adopts it, remove stops it', async () => {
    const s = await ProcessSpawner.create(config(), log, { KAFKA_BROKERS: 'k:1', SECRET: 'x', PATH: process.env.PATH });
    try {
      const first = await ensureAll(s, 'acme');
      expect(first.map((w) => w.name).sort()).toEqual(['kg-event-normalizer-acme', 'kg-graph-builder-acme', 'kg-log-normalizer-acme']);
      expect(first.every((w) => !w.adopted && alive(Number(w.id)))).toBe(true);
      const again = await s.ensure('acme', 'graph-builder');
      expect(again).toMatchObject({ adopted: true, id: first.find((w) => w.role === 'graph-builder')!.id });
      expect(await s.list()).toHaveLength(3);
      // The worker got CLIENT_ID, its NEO4J_DATABASE, KAFKA_* from the parent, and nothing else.
      const gb = first.find((w) => w.role === 'graph-builder')!;
      const environ = readFileSync(`/proc/${gb.id}/environ`, 'utf8').split('\0');
      expect(environ).toEqual(expect.arrayContaining(['CLIENT_ID=acme', 'NEO4J_DATABASE=db-acme', 'KAFKA_BROKERS=k:1', 'KG_MANAGED_BY=control-plane']));
      expect(environ.some((e) => e.startsWith('SECRET='))).toBe(false);
      const removed = await removeAll(s, 'acme');
      expect(removed).toHaveLength(3);
      expect(first.some((w) => alive(Number(w.id)))).toBe(false);
      expect(await s.list()).toEqual([]);
      expect(await s.remove('acme', 'graph-builder')).toBeNull();
    } finally {
      await s.close();
    }
  });

  it('starts workers below the control plane priority (WORKER_NICE), so a burst of starts cannot starve it', async () => {
    const s = await ProcessSpawner.create(config({ nice: 7 }), log, { PATH: process.env.PATH });
    try {
      const w = await s.ensure('nicely', 'event-normalizer');
      // Field 19 of /proc/<pid>/stat is the nice value (after the parenthesised command name).
      const niceOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[16]);
      expect(niceOf(Number(w.id))).toBe(getPriority() + 7);
    } finally {
      await s.close();
    }
  });

  it('restarts a worker that dies (after its backoff)', async () => {
    const s = await ProcessSpawner.create(config(), log, { PATH: process.env.PATH, KAFKA_X: '1' });
    try {
      const w = await s.ensure('acme', 'log-normalizer');
      process.kill(Number(w.id), 'SIGKILL');
      let now = (await s.list())[0];
      const end = Date.now() + 5000;
      while ((now.restarts < 1 || now.state !== 'running') && Date.now() < end) {
        await sleep(20);
        now = (await s.list())[0];
      }
      expect(now.restarts).toBe(1);
      expect(now.id).not.toBe(w.id);
      expect(alive(Number(now.id))).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('SIGTERM first, SIGKILL after the grace period for a worker that ignores it', async () => {
    const s2 = await ProcessSpawner.create(config({ stopGraceMs: 300, env: { passthroughPrefixes: [], extra: { IGNORE_SIGTERM: '1' }, neo4jDatabase: '{client}' } }), log);
    const w = await s2.ensure('acme', 'event-normalizer');
    await sleep(300); // let it install its SIGTERM handler
    const started = Date.now();
    await s2.remove('acme', 'event-normalizer');
    const took = Date.now() - started;
    expect(alive(Number(w.id))).toBe(false);
    expect(took).toBeGreaterThanOrEqual(280);
    await s2.close();
  });

  it('close() leaves no worker behind', async () => {
    const s = await ProcessSpawner.create(config(), log, { PATH: process.env.PATH });
    const ws = [...(await ensureAll(s, 'one')), ...(await ensureAll(s, 'two'))];
    await s.close();
    expect(ws.filter((w) => alive(Number(w.id)))).toEqual([]);
    await expect(s.ensure('one', 'graph-builder')).rejects.toThrow(/closed/);
  });

  it('workers stop themselves when the control plane is SIGKILLed, and leftovers of a dead owner are found', async () => {
    // A throwaway "control plane" process spawns a worker, prints its pid, and is SIGKILLed.
    const script = `
      const { ProcessSpawner } = require(${JSON.stringify(join(__dirname, '../../../dist/src/spawner/processSpawner.js'))});
      const pino = require('pino');
      ProcessSpawner.create(${JSON.stringify(config({ stopGraceMs: 500 }))}, pino({ level: 'silent' }), { PATH: process.env.PATH })
        .then((s) => s.ensure('acme', 'graph-builder')).then((w) => console.log(w.id));
      setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve) => parent.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
    expect(alive(pid)).toBe(true);
    parent.kill('SIGKILL');
    await until('the orphan to stop itself', () => !alive(pid), 5000);
    expect(findLeftoverWorkers().filter((l) => l.pid === pid)).toEqual([]);
  });

  it('workerEnv passes CLIENT_ID, NEO4J_DATABASE only to the graph builder, and the prefixed variables', () => {
    const cfg = { passthroughPrefixes: ['KAFKA_', 'NEO4J_'], extra: { A: 'b' }, neo4jDatabase: '{client}' };
    const parent = { KAFKA_BROKERS: 'h:9092', NEO4J_URI: 'bolt://x', NEO4J_DATABASE: 'neo4j', HOME: '/root' };
    expect(workerEnv('acme', 'graph-builder', cfg, parent)).toEqual({ KAFKA_BROKERS: 'h:9092', NEO4J_URI: 'bolt://x', NEO4J_DATABASE: 'acme', A: 'b', CLIENT_ID: 'acme' });
    expect(workerEnv('acme', 'event-normalizer', cfg, parent)).toEqual({ KAFKA_BROKERS: 'h:9092', NEO4J_URI: 'bolt://x', A: 'b', CLIENT_ID: 'acme' });
  });
});

