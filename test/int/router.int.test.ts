import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fetchMetadata } from '../../src/kafka/admin';
import { KafkaSink } from '../../src/kafka/kafkaSink';
import { OutRecord } from '../../src/kafka/record';
import { componentLogger } from '../../src/log/logger';
import { createTestTopic, drainTopic, testConnection, uniqueName } from '../support/kafkaTest';
import { lastValueFrom } from 'rxjs';

const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js');
const log = componentLogger('router-test');

function startRouter(env: Record<string, string>): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, 'router'], { env: { ...process.env, METRICS_PORT: '-1', LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
  return { child, exited: new Promise((r) => child.on('exit', (code) => r(code))) };
}

const keysOf = (recs: Array<{ key: Buffer | null }>) => recs.map((r) => r.key?.toString() ?? null);

describe('router on the real broker (TENANCY=routed)', () => {
  it("writes each record to its client's topic once, in order per key, dead-letters what names no client once, holds an unregistered client until its topics exist, and creates no topic for a made-up id", async () => {
    const events = uniqueName('rt-events');
    const logs = uniqueName('rt-logs');
    const a = uniqueName('ra').replace(/[^a-z0-9-]/g, '');
    const b = uniqueName('rb').replace(/[^a-z0-9-]/g, '');
    const late = uniqueName('rl').replace(/[^a-z0-9-]/g, '');
    const madeUp = uniqueName('rm').replace(/[^a-z0-9-]/g, '');
    await createTestTopic(events, 3);
    await createTestTopic(logs, 3);
    for (const c of [a, b]) for (const t of [events, logs]) await createTestTopic(`${t}.${c}`, 2);

    const router = startRouter({ TENANCY: 'routed', ROUTER_TOPICS: `${events},${logs}`, ROUTER_GROUP: uniqueName('router'), ROUTER_UNREGISTERED_GRACE_SECONDS: '8' });
    const sink = await KafkaSink.connect({ connection: testConnection }, log);
    try {
      const out: OutRecord[] = [];
      // 5 pods of a, 3 of b, each with 10 updates in order; the update number is the value.
      for (let i = 0; i < 10; i++) {
        for (let p = 0; p < 5; p++) out.push({ topic: events, key: `${a}::event::pod${p}`, value: Buffer.from(String(i)) });
        for (let p = 0; p < 3; p++) out.push({ topic: logs, key: `${b}::log::pod${p}`, value: Buffer.from(String(i)) });
      }
      out.push({ topic: events, key: null, value: Buffer.from('{"reason":"BackOff"}') });
      out.push({ topic: events, key: a, value: Buffer.from('bare client id') });
      for (let i = 0; i < 4; i++) out.push({ topic: events, key: `${late}::event::e${i}`, value: Buffer.from(String(i)) });
      out.push({ topic: logs, key: `${madeUp}::log::x`, value: Buffer.from('nobody') });
      await lastValueFrom(sink.sendBatch$(out));

      // The late client registers 3 s later: the control plane would create its topics now.
      await new Promise((r) => setTimeout(r, 3000));
      for (const t of [events, logs]) await createTestTopic(`${t}.${late}`, 2);

      const aEvents = await drainTopic(`${events}.${a}`, 4000);
      const bLogs = await drainTopic(`${logs}.${b}`, 4000);
      const lateEvents = await drainTopic(`${events}.${late}`, 4000, 30_000);
      expect(aEvents).toHaveLength(50);
      expect(bLogs).toHaveLength(30);
      expect(await drainTopic(`${logs}.${a}`, 2000, 3000)).toHaveLength(0);
      expect(await drainTopic(`${events}.${b}`, 2000, 3000)).toHaveLength(0);
      // Per key, the updates arrive in the order they were produced.
      for (const recs of [aEvents, bLogs]) {
        const byKey = new Map<string, string[]>();
        for (const r of recs) byKey.set(r.key!.toString(), [...(byKey.get(r.key!.toString()) ?? []), r.value!.toString()]);
        for (const vals of byKey.values()) expect(vals).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      }
      expect(keysOf(lateEvents).sort()).toEqual([0, 1, 2, 3].map((i) => `${late}::event::e${i}`));

      // The made-up client is dead-lettered after the 8 s grace: wait for it, then count every dead letter of these topics.
      await new Promise((r) => setTimeout(r, 8000));
      const dlq = (await drainTopic('dlq.raw', 3000)).filter((r) => [events, logs].includes(r.headers['kg.source.topic']?.toString() ?? ''));
      expect(dlq.map((r) => [r.key?.toString() ?? null, r.headers['kg.component'].toString()]).sort()).toEqual(
        [[null, 'router'], [a, 'router'], [`${madeUp}::log::x`, 'router']].sort(),
      );
      expect(dlq.find((r) => r.key === null)!.headers['kg.error'].toString()).toMatch(/DEFAULT_CLIENT_ID is not set/);
      expect(dlq.find((r) => r.key?.toString() === a)!.headers['kg.error'].toString()).toMatch(/malformed key/);
      expect(dlq.find((r) => r.key?.toString().startsWith(madeUp))!.headers['kg.error'].toString()).toMatch(/has no topics \(not registered\) after 8 s/);
      const topics = await fetchMetadata(testConnection.brokers, 10_000);
      expect(topics.filter((t) => t.includes(madeUp))).toEqual([]);
    } finally {
      router.child.kill('SIGTERM');
      expect(await router.exited).toBe(0);
      await sink.close();
    }
  });
});

/** How long before a kill a copy may be and still be copied again after the restart: the 1 s auto-commit interval, plus the store between pulls and a loaded machine. */
const TAIL_MS = 3000;

describe('router fault: kill -9 mid-stream, then a restart', () => {
  it('loses nothing: every record reaches its client topic at least once, duplicates only from the unacknowledged tail', async () => {
    const input = uniqueName('rk-events');
    const c1 = uniqueName('ka').replace(/[^a-z0-9-]/g, '');
    const c2 = uniqueName('kb').replace(/[^a-z0-9-]/g, '');
    await createTestTopic(input, 3);
    for (const c of [c1, c2]) await createTestTopic(`${input}.${c}`, 2);
    const group = uniqueName('router');
    const env = { TENANCY: 'routed', ROUTER_TOPICS: input, ROUTER_GROUP: group, ROUTER_BATCH_SIZE: '50' };
    const sink = await KafkaSink.connect({ connection: testConnection }, log);
    const N = 20_000;
    try {
      const out: OutRecord[] = [];
      for (let i = 0; i < N; i++) out.push({ topic: input, key: `${i % 2 ? c1 : c2}::event::e${i}`, value: Buffer.from(String(i)) });
      const first = startRouter(env);
      // Half the records first; kill -9 while the rest stream in (between a produce and its commit).
      await lastValueFrom(sink.sendBatch$(out.slice(0, N / 2)));
      const t0 = Date.now();
      // The rest trickles in (500 records every 100 ms, about 2 s), so the kill lands mid-stream however fast the router is.
      let restDone = false;
      const rest = (async () => {
        for (let i = N / 2; i < N; i += 500) {
          await lastValueFrom(sink.sendBatch$(out.slice(i, i + 500)));
          await new Promise((r) => setTimeout(r, 100));
        }
        restDone = true;
      })();
      await new Promise((r) => setTimeout(r, 1000));
      const killedAt = Date.now();
      first.child.kill('SIGKILL');
      expect(restDone).toBe(false);
      await first.exited;
      await rest;
      const second = startRouter(env);
      try {
        // The killed member holds its partitions until its session times out (10 s); then the
        // restarted router resumes from the last committed offsets. Wait until both copies are complete.
        const held = async () => (await drainTopic(`${input}.${c1}`, 1500, 3000)).length + (await drainTopic(`${input}.${c2}`, 1500, 3000)).length;
        const deadline = Date.now() + 120_000;
        while ((await held()) < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2000));
        const copies = [...(await drainTopic(`${input}.${c1}`, 5000)), ...(await drainTopic(`${input}.${c2}`, 5000))];
        const seen = new Map<string, number>();
        const firstCopyAt = new Map<string, number>();
        for (const r of copies) {
          const v = r.value!.toString();
          seen.set(v, (seen.get(v) ?? 0) + 1);
          firstCopyAt.set(v, Math.min(firstCopyAt.get(v) ?? Infinity, r.timestamp));
        }
        // Every record is there, in its own client's topic.
        expect(seen.size).toBe(N);
        for (const r of copies) expect(r.key!.toString().startsWith(`${Number(r.value!.toString()) % 2 ? c1 : c2}::`)).toBe(true);
        const duplicates = copies.length - N;
        log.info({ records: N, copies: copies.length, duplicates, recoverMs: Date.now() - t0 }, 'router kill -9: nothing lost');
        // At least once, duplicates only from the tail: records whose copy was acknowledged but whose
        // offset was not committed yet (auto-commit every second) when the router died. Every record
        // copied twice had its first copy written in the last seconds before the kill, none earlier.
        const early = [...seen].filter(([v, n]) => n > 1 && firstCopyAt.get(v)! < killedAt - TAIL_MS);
        expect({ duplicates, earlier: early.length }).toEqual({ duplicates, earlier: 0 });
      } finally {
        second.child.kill('SIGTERM');
        expect(await second.exited).toBe(0);
      }
    } finally {
      await sink.close();
    }
  });
});
