import { CausalMemory, ReadRows } from '../../../src/graph/causalMemory';
import { TOPOLOGY_CLOCK_READ } from '../../../src/graph/cypher';
import { EventRow } from '../../../src/graph/eventRows';

const W = 1000;
const row = (eid: string, ts: number, rid: string | null = 'Pod/ns/p', category = 'oom'): EventRow =>
  ({ eid, ts, last_ts: ts, rid, category, source: 'k8s', reason: 'r', severity: 'warning', message: '', count: 1, detail: null, kind: 'Pod', namespace: 'ns', name: 'p' }) as EventRow;

/** A read that answers from fixed tables and records what was asked. */
function fakeRead(stored: Array<{ eid: string; ts: number; category: string; rid: string; ref: string; by?: string }>, related: Record<string, Array<{ rid: string; d: number }>>, clock = { version: 1 }) {
  const calls: Array<Record<string, unknown>> = [];
  const read: ReadRows = async (s) => {
    // The topology clock is read with every batch; the calls record the other reads.
    if (s.text === TOPOLOGY_CLOCK_READ) return [{ version: clock.version }];
    calls.push(s.params);
    if ('rids' in s.params) return (s.params.rids as string[]).filter((r) => r in related).map((rid) => ({ rid, related: related[rid] }));
    const { from, to, limit } = s.params as { from: number; to: number; limit: number };
    return stored.filter((e) => e.ts >= from && e.ts <= to).slice(0, limit);
  };
  return { read, calls };
}

describe('CausalMemory', () => {
  let now = 0;
  const memory = (maxEvents = 100) => new CausalMemory('acme', { windowMs: W, maxCandidates: 2, maxEvents, topologyTtlMs: 5000, isolatedTtlMs: 500 }, () => now);
  beforeEach(() => (now = 0));

  it('reads the missing range once (a window ahead on the late side) and the related sets once per TTL', async () => {
    const stored = [{ eid: 's1', ts: 4500, category: 'oom', rid: 'Node//n', ref: 'r1' }];
    const { read, calls } = fakeRead(stored, { 'Pod/ns/p': [{ rid: 'Node//n', d: 1 }] });
    const m = memory();
    const first = await m.prepare([row('a', 5000)], read);
    expect(calls).toEqual([
      expect.objectContaining({ from: 4000, to: 7000 }),
      expect.objectContaining({ rids: ['Pod/ns/p'] }),
    ]);
    expect(first).toEqual([{ rid: 'Pod/ns/p', related: [{ rid: 'Pod/ns/p', d: 0 }, { rid: 'Node//n', d: 1 }], cands: [{ a: 'a', b: 's1', bts: 4500, bcat: 'oom', bref: 'r1', d: 1 }] }]);
    now = 4000;
    await m.prepare([row('b', 5500)], read);
    expect(calls).toHaveLength(2);
    now = 5001;
    await m.prepare([row('c', 6100)], read);
    expect(calls.slice(2)).toEqual([expect.objectContaining({ from: 7001, to: 8100 }), expect.objectContaining({ rids: ['Pod/ns/p'] })]);
  });

  it('reads the related sets again as soon as the topology clock moved, whatever the TTL', async () => {
    const clock = { version: 1 };
    const { read, calls } = fakeRead([], { 'Pod/ns/p': [{ rid: 'Node//n', d: 1 }] }, clock);
    const m = memory();
    await m.prepare([row('a', 5000)], read);
    await m.prepare([row('b', 5000)], read);
    expect(calls.filter((c) => 'rids' in c)).toHaveLength(1);
    clock.version = 2;
    await m.prepare([row('c', 5000)], read);
    expect(calls.filter((c) => 'rids' in c)).toHaveLength(2);
  });

  it('re-reads a resource with no related resource after the shorter TTL', async () => {
    const { read, calls } = fakeRead([], {});
    const m = memory();
    await m.prepare([row('a', 5000)], read);
    now = 501;
    await m.prepare([row('b', 5000)], read);
    expect(calls.filter((c) => 'rids' in c)).toHaveLength(2);
  });

  it('keeps the nearest candidates by distance, then time apart, then id, and remembers written events', async () => {
    const { read } = fakeRead([], { 'Pod/ns/p': [{ rid: 'Node//n', d: 1 }] });
    const m = memory();
    await m.prepare([row('x', 5000)], read);
    m.remember([
      { eid: 'far', ts: 5900, category: 'oom', rid: 'Pod/ns/p', ref: 'r-far' },
      { eid: 'node', ts: 5001, category: 'oom', rid: 'Node//n', ref: 'r-node' },
      { eid: 'near-b', ts: 5100, category: 'oom', rid: 'Pod/ns/p', ref: 'r-b' },
      { eid: 'near-a', ts: 4900, category: 'oom', rid: 'Pod/ns/p', ref: 'r-a' },
      { eid: 'out', ts: 6100, category: 'oom', rid: 'Pod/ns/p', ref: 'r-out' },
    ]);
    const [g] = (await m.prepare([row('e', 5000)], read))!;
    expect(g.cands.map((c) => c.b)).toEqual(['near-a', 'near-b']);
  });

  it('gives up (null) on a range holding more events than it may keep', async () => {
    const stored = Array.from({ length: 5 }, (_, i) => ({ eid: `s${i}`, ts: 5000 + i, category: 'oom', rid: 'Pod/ns/p', ref: `r${i}` }));
    const { read } = fakeRead(stored, {});
    expect(await memory(4).prepare([row('a', 5000)], read)).toBeNull();
    expect(await memory(5).prepare([row('a', 5000)], read)).not.toBeNull();
  });

  it('evicts the oldest events past its bound and reads their range again when a batch reaches back', async () => {
    const { read, calls } = fakeRead([], {});
    const m = memory(4);
    await m.prepare([row('a', 10_000)], read);
    m.remember([1, 2, 3, 4, 5].map((i) => ({ eid: `w${i}`, ts: 10_000 + i * 100, category: 'oom', rid: 'Pod/ns/p', ref: `r${i}` })));
    expect(m.stats()).toMatchObject({ events: 3, from: 10_300 });
    calls.length = 0;
    await m.prepare([row('late', 9500)], read);
    expect(calls[0]).toMatchObject({ from: 8500, to: 10_299 });
  });

  it('does not extend its range with a read that an eviction overtook (two batches in flight)', async () => {
    const { read } = fakeRead([], {});
    const m = memory(4);
    await m.prepare([row('a', 10_000)], read);
    let release: () => void = () => undefined;
    const slow: ReadRows = async (st) => {
      if ('from' in st.params) await new Promise<void>((r) => (release = r));
      return read(st);
    };
    const pending = m.prepare([row('b', 20_000)], slow);
    await new Promise((r) => setImmediate(r));
    m.remember([1, 2, 3, 4, 5].map((i) => ({ eid: `w${i}`, ts: 10_000 + i * 100, category: 'oom', rid: 'Pod/ns/p', ref: `r${i}` })));
    release();
    expect(await pending).toBeNull();
    expect(m.stats()).toMatchObject({ from: 10_300, to: 12_000 });
  });
  it('shows a batch in flight to the batches begun after it (no element id yet), not to those begun before', async () => {
    const { read } = fakeRead([], {});
    const m = memory();
    m.hold(1, [row('one', 5000)]);
    m.hold(2, [row('two', 5100)]);
    const b = (r: Awaited<ReturnType<CausalMemory['prepare']>>) => (r ?? []).flatMap((g) => g.cands.map((c) => `${c.a}>${c.b}:${c.bref}`));
    expect(b(await m.prepare([row('two', 5100)], read, 2))).toEqual(['two>one:']);
    expect(b(await m.prepare([row('one', 5000)], read, 1))).toEqual([]);
    // Batch 2 commits first: its events, created by it, stay out of batch 1's candidates.
    m.settle(2, [{ eid: 'two', ts: 5100, category: 'oom', rid: 'Pod/ns/p', ref: 'r2', seq: 2 }]);
    expect(b(await m.prepare([row('one', 5000)], read, 1))).toEqual([]);
    expect(b(await m.prepare([row('three', 5200)], read, 3))).toEqual(['three>two:r2', 'three>one:']);
    // Batch 1 commits: held and stored at once, never both (no duplicate candidate).
    m.settle(1, [{ eid: 'one', ts: 5000, category: 'oom', rid: 'Pod/ns/p', ref: 'r1', seq: 1 }]);
    expect(b(await m.prepare([row('three', 5200)], read, 3))).toEqual(['three>two:r2', 'three>one:r1']);
    // A batch that failed leaves nothing behind.
    m.hold(4, [row('four', 5300)]);
    m.settle(4, null);
    expect(b(await m.prepare([row('five', 5310)], read, 5))).toEqual(['five>two:r2', 'five>one:r1']);
    expect(m.stats().events).toBe(2);
  });

  it('holds a range-read event created by a later batch for the batches after it only, with no hole in the range', async () => {
    const stored = [
      { eid: 'old', ts: 4900, category: 'oom', rid: 'Pod/ns/p', ref: 'r0', by: 'gone' },
      { eid: 'seven', ts: 5000, category: 'oom', rid: 'Pod/ns/p', ref: 'r7', by: 'batch-7' },
    ];
    const { read, calls } = fakeRead(stored, {});
    const m = memory();
    const seqOf = (id: string | null | undefined) => (id === 'batch-7' ? 7 : undefined);
    const b = (r: Awaited<ReturnType<CausalMemory['prepare']>>) => (r ?? []).flatMap((g) => g.cands.map((c) => c.b));
    // Batch 6 reads the range: 'seven' (created by batch 7, begun after it) is held but not its candidate; 'old' is.
    expect(b(await m.prepare([row('six', 5050)], read, 6, seqOf))).toEqual(['old']);
    // A later batch finds it without reading again: the range has no hole.
    expect(b(await m.prepare([row('eight', 5050)], read, 8, seqOf))).toEqual(['seven', 'old']);
    expect(calls.filter((c) => 'from' in c)).toHaveLength(1);
  });

  it('numbers an event by the earliest batch that wrote it, whichever committed first', async () => {
    const { read } = fakeRead([], {});
    const m = memory();
    const b = (r: Awaited<ReturnType<CausalMemory['prepare']>>) => (r ?? []).flatMap((g) => g.cands.map((c) => c.b));
    // Batch 3 created 'x' and committed first; batch 1 wrote it too (not new there), so in a serial run batch 1 created it.
    m.settle(3, [{ eid: 'x', ts: 5000, category: 'oom', rid: 'Pod/ns/p', ref: 'rx', seq: 3 }]);
    expect(b(await m.prepare([row('two', 5010)], read, 2))).toEqual([]);
    m.settle(1, [{ eid: 'x', ts: 5000, category: 'oom', rid: 'Pod/ns/p', ref: 'rx', seq: 1 }]);
    expect(b(await m.prepare([row('two', 5010)], read, 2))).toEqual(['x']);
    // Stored before every batch in flight (no number): seen by all, whoever writes it again.
    m.remember([{ eid: 'y', ts: 5020, category: 'oom', rid: 'Pod/ns/p', ref: 'ry' }]);
    m.settle(5, [{ eid: 'y', ts: 5020, category: 'oom', rid: 'Pod/ns/p', ref: 'ry', seq: 5 }]);
    expect(b(await m.prepare([row('two', 5010)], read, 2))).toEqual(['x', 'y']);
  });
});

