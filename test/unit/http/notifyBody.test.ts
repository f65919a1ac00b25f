import type { RcaAnswer } from '../../../src/delivery/answer';
import { evidencePathText, incidentUrl, notificationBody } from '../../../src/delivery/notifyBody';

const A: RcaAnswer = {
  client: 'acme',
  alert: { fingerprint: 'f00dfeed00000001', eid: 'alert:f00dfeed00000001:1714557660000', alertname: 'WebUnavailable', status: 'firing', startsAt: '2024-05-01T10:01:00.000Z' },
  faultType: 'oom',
  causes: [
    {
      rank: 1, score: 0.62, eid: 'evt:oom-1', reason: 'OOMKilled', category: 'oom', resource: 'Pod/shop/web-7d9-abc', at: '2024-05-01T10:00:00.000Z', hops: 2,
      path: [
        { eid: 'evt:backoff-1', reason: 'BackOff', resource: 'Pod/shop/web-7d9-abc', at: '2024-05-01T10:00:10.000Z', rule: 'oom->backoff', confidence: 0.9 },
        { eid: 'alert:f00dfeed00000001:1714557660000', reason: 'WebUnavailable', resource: 'Service/shop/web', at: '2024-05-01T10:01:00.000Z', rule: 'backoff->alert', confidence: 0.7 },
      ],
    },
  ],
};

describe('notification bodies', () => {
  const url = incidentUrl('https://kgroot.example.com', 'acme', 'f00dfeed00000001');

  it('links the incident page and writes the evidence path from cause to alert', () => {
    expect(url).toBe('https://kgroot.example.com/#/clients/acme/incidents/f00dfeed00000001');
    expect(evidencePathText(A)).toBe('OOMKilled (Pod/shop/web-7d9-abc) → BackOff (Pod/shop/web-7d9-abc) → WebUnavailable (Service/shop/web)');
  });

  it('generic: the whole answer with the client', () => {
    const b = notificationBody('generic', 'acme', A, 2, url);
    expect(b).toMatchObject({ kind: 'kgroot.alert.enriched', client: 'acme', revision: 2, faultType: 'oom', incidentUrl: url, topCause: { eid: 'evt:oom-1' } });
  });

  it('slack: text plus blocks with the alert, the top cause, the evidence path and a link', () => {
    const b = notificationBody('slack', 'acme', A, 1, url) as { text: string; blocks: Array<Record<string, any>> };
    expect(b.text).toBe('[acme] WebUnavailable firing: root cause OOMKilled on Pod/shop/web-7d9-abc');
    expect(b.blocks.map((x) => x.type)).toEqual(['header', 'section', 'section', 'section', 'actions']);
    expect(b.blocks[2].text.text).toContain('OOMKilled');
    expect(b.blocks[3].text.text).toContain('BackOff (Pod/shop/web-7d9-abc) → WebUnavailable');
    expect(b.blocks[4].elements[0].url).toBe(url);
    const none = notificationBody('slack', 'acme', { ...A, causes: [] }, 1, null) as { text: string; blocks: unknown[] };
    expect(none.text).toBe('[acme] WebUnavailable firing: no root cause found yet');
    expect(none.blocks).toHaveLength(3);
  });
});
