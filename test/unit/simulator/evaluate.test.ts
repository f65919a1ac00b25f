import { rankOf, scoreAnswers } from '../../../src/simulator/corpus/evaluate';
import type { Truth } from '../../../src/simulator/corpus';

const truth = (id: string, faultType: string, rid: string, reasons: string[]): Truth => ({
  id, client: 'c', faultType, alert: { fingerprint: 'f', alertname: 'A', startsAt: '' }, root: { rid, reasons }, firstSymptomAt: '', overlapsWith: [], note: '',
});

describe('RCA answer scoring', () => {
  const t = [truth('a', 'oom-kill', 'Pod/shop/a', ['OOMKilled', 'OOMKilling']), truth('b', 'oom-kill', 'Pod/shop/b', ['OOMKilled']), truth('c', 'node-not-ready', 'Node//n1', ['NodeNotReady']), truth('d', 'node-not-ready', 'Node//n2', ['NodeNotReady'])];

  it('a cause is right only with the root resource and one of its reasons', () => {
    expect(rankOf(t[0], [{ reason: 'BackOff', resource: 'Pod/shop/a' }, { reason: 'OOMKilling', resource: 'Pod/shop/a' }])).toBe(2);
    expect(rankOf(t[0], [{ reason: 'OOMKilled', resource: 'Pod/shop/b' }])).toBeNull();
  });

  it('A@K, MAR with misses at limit + 1, no-path and missing alerts, per fault type', () => {
    const s = scoreAnswers(
      t,
      [
        { id: 'a', alertFound: true, causes: [{ reason: 'OOMKilled', resource: 'Pod/shop/a' }], ms: 1 },
        { id: 'b', alertFound: true, causes: [{ reason: 'BackOff', resource: 'Pod/shop/b' }, { reason: 'x', resource: null }, { reason: 'OOMKilled', resource: 'Pod/shop/b' }], ms: 1 },
        { id: 'c', alertFound: true, causes: [], ms: 1 },
      ],
      10,
    );
    expect(s.overall).toEqual({ n: 4, at1: 1, at3: 2, at5: 2, mar: (1 + 3 + 11 + 11) / 4, noPath: 1, alertMissing: 1 });
    expect(s.byType['oom-kill']).toMatchObject({ n: 2, at1: 1, at3: 2, mar: 2 });
    expect(s.byType['node-not-ready']).toMatchObject({ n: 2, at1: 0, noPath: 1, alertMissing: 1 });
    expect(s.misses.map((m) => [m.id, m.rank, m.top])).toEqual([
      ['b', 3, 'BackOff @ Pod/shop/b'],
      ['c', null, 'no causal path'],
      ['d', null, 'no answer'],
    ]);
  });
});
