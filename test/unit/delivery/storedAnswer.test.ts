import type { RcaAnswer } from '../../../src/delivery/answer';
import { EVIDENCE_WINDOW_MS } from '../../../src/rca/answer';
import { answerEventIds, limited, storeStatement } from '../../../src/delivery/storedAnswer';
import { incidentsOf, storedAnswer, storedIncident } from '../../../src/graph/readCypher';

const answer: RcaAnswer = {
  client: 'acme',
  alert: { fingerprint: 'f00dfeed00000001', eid: 'alert:f00dfeed00000001:1714557660000', alertname: 'WebUnavailable', status: 'firing', startsAt: '2024-05-01T10:01:00.000Z' },
  faultType: 'oom',
  causes: [
    { rank: 1, score: 0.6, eid: 'evt:oom-1', reason: 'OOMKilled', category: 'oom', resource: 'Pod/shop/web-1', at: '2024-05-01T10:00:00.000Z', hops: 2, path: [{ eid: 'evt:backoff-1', reason: 'BackOff', resource: 'Pod/shop/web-1', at: '2024-05-01T10:00:10.000Z', rule: 'oom->backoff', confidence: 0.9 }, { eid: 'alert:f00dfeed00000001:1714557660000', reason: 'WebUnavailable', resource: 'Service/shop/web', at: '2024-05-01T10:01:00.000Z', rule: 'backoff->alert', confidence: 0.8 }] },
    { rank: 2, score: 0.4, eid: 'evt:backoff-1', reason: 'BackOff', category: 'backoff', resource: 'Pod/shop/web-1', at: '2024-05-01T10:00:10.000Z', hops: 1, path: [{ eid: 'alert:f00dfeed00000001:1714557660000', reason: 'WebUnavailable', resource: 'Service/shop/web', at: '2024-05-01T10:01:00.000Z', rule: 'backoff->alert', confidence: 0.8 }] },
  ],
};

describe('stored answers', () => {
  it('stores the JSON, the time, the state, the page events and the top cause on the alert node', () => {
    const s = storeStatement('acme', answer, 1714557700000, 10);
    expect(s.params).toMatchObject({ client: 'acme', eid: answer.alert.eid, at: 1714557700000, status: 'firing', limit: 10, faultType: 'oom', eids: [answer.alert.eid, 'evt:oom-1', 'evt:backoff-1'] });
    expect(s.params.top).toEqual({ eid: 'evt:oom-1', reason: 'OOMKilled', rid: 'Pod/shop/web-1', score: 0.6, at: '2024-05-01T10:00:00.000Z' });
    expect(JSON.parse(String(s.params.json))).toEqual(answer);
    expect(storeStatement('acme', { ...answer, causes: [] }, 1, 10).params.top).toEqual({ eid: null, reason: null, rid: null, score: null, at: null });
  });

  it('serves a smaller limit as the prefix of the stored causes', () => {
    expect(limited(answer, 1).causes.map((c) => c.eid)).toEqual(['evt:oom-1']);
    expect(limited(answer, 10)).toBe(answer);
    expect(answerEventIds(answer)).toEqual([answer.alert.eid, 'evt:oom-1', 'evt:backoff-1']);
  });

  it('keeps the hot reads under the size the neo4j driver sends in one write (1400 bytes with parameters)', () => {
    for (const s of [storedIncident('acme', 'f00dfeed00000001', EVIDENCE_WINDOW_MS), storedAnswer('acme', 'f00dfeed00000001', EVIDENCE_WINDOW_MS), incidentsOf('acme', 50, null, EVIDENCE_WINDOW_MS)]) {
      expect(Buffer.byteLength(s.text)).toBeLessThan(1250);
      expect(s.params.client).toBe('acme');
    }
  });
});
