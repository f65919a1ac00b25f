import type { RcaAnswer } from '../../../src/delivery/answer';
import { hasStoredAnswer, incidentSummary } from '../../../src/http/api/incidentView';

const row = {
  fingerprint: 'f00dfeed00000001', eid: 'alert:f00dfeed00000001:1714557660000', alertname: 'WebUnavailable', status: 'resolved', severity: 'critical',
  startsAt: 1714557660000, lastTs: 1714558140000, resource: 'Service/shop/web', summary: 'web has no ready endpoints', confirmedCause: null,
};
const stored = { enrichedRevision: 3, enrichedStatus: 'resolved', faultType: 'oom', topEid: 'evt:oom-1', topReason: 'OOMKilled', topResource: 'Pod/shop/web-7d9-abc', topScore: 0.42, topTs: 1714557600000 };

describe('incident list rows', () => {
  it('uses the summary the publisher stored for the current state', () => {
    expect(hasStoredAnswer({ ...row, ...stored })).toBe(true);
    expect(incidentSummary({ ...row, ...stored }, null)).toEqual({
      fingerprint: 'f00dfeed00000001', eid: row.eid, alertname: 'WebUnavailable', state: 'resolved', severity: 'critical',
      startsAt: '2024-05-01T10:01:00.000Z', endsAt: '2024-05-01T10:09:00.000Z', resource: 'Service/shop/web', summary: 'web has no ready endpoints',
      faultType: 'oom', topCause: { eid: 'evt:oom-1', reason: 'OOMKilled', resource: 'Pod/shop/web-7d9-abc', score: 0.42, at: '2024-05-01T10:00:00.000Z' }, confirmedCause: null,
    });
  });

  it('needs an answer when nothing was stored or the state changed since', () => {
    expect(hasStoredAnswer(row)).toBe(false);
    expect(hasStoredAnswer({ ...row, ...stored, enrichedStatus: 'firing' })).toBe(false);
    const answer: RcaAnswer = { client: 'acme', alert: { fingerprint: row.fingerprint, eid: row.eid, alertname: 'WebUnavailable', status: 'resolved', startsAt: '2024-05-01T10:01:00.000Z' }, faultType: 'backoff', causes: [] };
    expect(incidentSummary(row, answer)).toMatchObject({ faultType: 'backoff', topCause: null, state: 'resolved' });
    expect(incidentSummary({ ...row, status: 'firing', lastTs: 1714557660000 }, null)).toMatchObject({ state: 'firing', endsAt: null, topCause: null, faultType: null });
  });
});
