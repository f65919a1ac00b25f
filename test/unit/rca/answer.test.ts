import { Statement } from '../../../src/graph/cypher';
import { answerAlert, RcaNotFound, RcaReader } from '../../../src/rca/answer';
import { alertLookup, fingerprintOfEid, sliceRead } from '../../../src/rca/slice';

const T = Date.parse('2024-05-01T10:16:00Z');

/** A reader answering the rca statements from fixed rows, recording what it was asked. */
function reader(opts: { clientKnown: boolean; alert: boolean }): RcaReader & { asked: Statement[] } {
  const asked: Statement[] = [];
  return {
    asked,
    async readRca(_client, s) {
      asked.push(s);
      if (s.text.includes('count(n) > 0 AS found')) return [{ found: opts.clientKnown }];
      if (s.text.includes('STARTS WITH $prefix')) return opts.alert ? [{ eid: `alert:f00d:${T}`, alertname: 'KubePodCrashLooping', status: 'firing', ts: T, rid: 'Pod/shop/web-1' }] : [];
      if (s.text.includes('FaultPattern')) return [];
      return [
        {
          events: [
            { eid: `alert:f00d:${T}`, reason: 'KubePodCrashLooping', category: 'alert', source: 'alert', rid: 'Pod/shop/web-1', ts: T, message: '' },
            { eid: 'state:oom', reason: 'OOMKilled', category: 'oom', source: 'state', rid: 'Pod/shop/web-1', ts: T - 16 * 60_000, message: '' },
          ],
          edges: [{ cause: 'state:oom', effect: `alert:f00d:${T}`, rule: 'oom->alert', confidence: 0.773 }],
          near: [],
          calls: [],
        },
      ];
    },
  };
}

describe('answerAlert', () => {
  it('answers from the alert lookup, the slice and the learned patterns, all scoped by the client', async () => {
    const r = reader({ clientKnown: true, alert: true });
    const a = await answerAlert(r, 'acme', 'f00d');
    expect(a).toMatchObject({ client: 'acme', faultType: 'oom', alert: { fingerprint: 'f00d', eid: `alert:f00d:${T}`, startsAt: '2024-05-01T10:16:00.000Z' } });
    expect(a.causes.map((c) => [c.eid, c.score, c.hops])).toEqual([['state:oom', 1, 1]]);
    expect(r.asked.every((s) => s.params.client === 'acme')).toBe(true);
    expect(r.asked).toHaveLength(3);
  });
  it('tells an unknown alert from an unknown client', async () => {
    await expect(answerAlert(reader({ clientKnown: true, alert: false }), 'acme', 'beef')).rejects.toEqual(new RcaNotFound('alert', `no alert with fingerprint "beef" in acme's graph`));
    await expect(answerAlert(reader({ clientKnown: false, alert: false }), 'nobody', 'beef')).rejects.toMatchObject({ what: 'client', message: 'unknown client "nobody": no events in its graph' });
  });
});

describe('slice statements', () => {
  it('look an alert up by its fingerprint prefix and bound the path length in the pattern', () => {
    expect(alertLookup('acme', 'f00d').params).toEqual({ client: 'acme', prefix: 'alert:f00d:' });
    expect(sliceRead('acme', 'alert:f00d:1', { hops: 3, lookbackMs: 60_000, maxNear: 5 }).text).toContain('[:POTENTIAL_CAUSE*1..3]');
    expect(sliceRead('acme', 'alert:f00d:1', { hops: 99, lookbackMs: 60_000, maxNear: 5 }).text).toContain('[:POTENTIAL_CAUSE*1..8]');
    expect(fingerprintOfEid('alert:f00d:1714557600000')).toBe('f00d');
    expect(fingerprintOfEid('evt:x')).toBeNull();
  });
});
