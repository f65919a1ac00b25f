import type { RcaAnswer } from '../../../src/delivery/answer';
import { hasStoredAnswer, incidentSummary } from '../../../src/http/api/incidentView';

const row = {
  fingerprint: 'f00dfeed00000001', eid: 'alert:f00dfeed00000001:1714557660000', alertname: 'WebUnavailable', status: 'resolved', severity: 'critical',
  startsAt: 1714557660000, lastTs: 1714558140000, resource: 'Service/shop/web', summary: 'web has no ready endpoints', confirmedCause: null,
};
const stored = { answerFresh: true, faultType: 'oom', topEid: 'evt:oom-1', topReason: 'OOMKilled', topResource: 'Pod/shop/web-7d9-abc', topScore: 0.42, topAt: '2024-05-01T10:00:00.000Z' };

describe('incident list rows', () => {
  it('uses the top cause and fault type of a fresh stored answer', () => {
    expect(hasStoredAnswer({ ...row, ...stored })).toBe(true);
    expect(incidentSummary({ ...row, ...stored }, null)).toEqual({
      fingerprint: 'f00dfeed00000001', eid: row.eid, alertname: 'WebUnavailable', state: 'resolved', severity: 'critical',
      startsAt: '2024-05-01T10:01:00.000Z', endsAt: '2024-05-01T10:09:00.000Z', resource: 'Service/shop/web', summary: 'web has no ready endpoints',
      faultType: 'oom', topCause: { eid: 'evt:oom-1', reason: 'OOMKilled', resource: 'Pod/shop/web-7d9-abc', score: 0.42, at: '2024-05-01T10:00:00.000Z' }, confirmedCause: null,
    });
  });

  it('needs an answer when nothing was stored or the stored one is stale', () => {
    expect(hasStoredAnswer(row)).toBe(false);
    expect(hasStoredAnswer({ ...row, ...stored, answerFresh: false })).toBe(false);
    expect(incidentSummary({ ...row, ...stored, answerFresh: false }, null)).toMatchObject({ faultType: null, topCause: null });
    const answer: RcaAnswer = { client: 'acme', alert: { fingerprint: row.fingerprint, eid: row.eid, alertname: 'WebUnavailable', status: 'resolved', startsAt: '2024-05-01T10:01:00.000Z' }, faultType: 'backoff', causes: [] };
    expect(incidentSummary(row, answer)).toMatchObject({ faultType: 'backoff', topCause: null, state: 'resolved' });
    expect(incidentSummary({ ...row, status: 'firing', lastTs: 1714557660000 }, null)).toMatchObject({ state: 'firing', endsAt: null, topCause: null, faultType: null });
  });
});
