import { causalEdgeUpserts, datedAsStored, eventBatchWrite, storedTimes, publishedTopology, storedCandidates, resourceUpserts, rootCauses, SCHEMA_STATEMENTS } from '../../../src/graph/cypher';
import { eventRowOfNormalized } from '../../../src/graph/eventRows';
import { EVENTS } from '../../fixtures/graph/incident';

describe('rows dated from the stored first time', () => {
  const row = eventRowOfNormalized(EVENTS[0]);
  const log = { ...row, eid: 'log:t1:Pod/shop/web-7d9-abc:1714557600000', source: 'log' as const, ts: row.ts + 40_000 };
  const repeat = { ...row, eid: 'evt:bo-1', count: 4, ts: row.ts + 300_000 };

  it('asks only for the rows that may be stored with an earlier time: log windows and Events seen again', () => {
    expect(storedTimes('c1', [row])).toBeNull();
    expect(storedTimes('c1', [row, log, repeat])?.params).toEqual({ client: 'c1', eids: [log.eid, repeat.eid] });
  });

  it('moves a row back to the stored time, never forward', () => {
    const stored = new Map([[log.eid, row.ts], [repeat.eid, row.ts + 400_000]]);
    expect(datedAsStored([row, log, repeat], stored).map((r) => r.ts - row.ts)).toEqual([0, 0, 300_000]);
  });
});

describe('cypher builders', () => {
  const rows = EVENTS.map(eventRowOfNormalized);
  it('pass every value as a parameter and scope every pattern to the client', () => {
    const s = eventBatchWrite('acme', 'b1', rows);
    expect(s.params).toEqual({ client: 'acme', batch: 'b1', rows });
    for (const r of rows) expect(s.text).not.toContain(r.eid);
    expect(s.text).toMatch(/MERGE \(e:Event \{client: \$client, eid: row.eid\}\)/);
    const edge = { cause: 'a', effect: 'b', confidence: 0.5, rule: 'r', lag_ms: 1, distance: 0, cause_ref: 'x', effect_ref: 'y' };
    const all = [s, storedCandidates('acme', rows, 300_000, 50)!, ...causalEdgeUpserts('acme', [{ ...edge, fresh: true }, { ...edge, fresh: false }]), rootCauses('acme', 'evt:x'), ...resourceUpserts('acme', [], 0), ...publishedTopology('acme', [])];
    for (const st of all) {
      expect(st.params.client).toBe('acme');
      expect(st.text).not.toContain('acme');
      for (const m of st.text.matchAll(/\((\w+):(Resource|Event)\s*\{([^}]*)\}/g)) expect(m[3]).toContain('client: $client');
    }
  });
  it('groups candidate lookups by resource and leaves normal events out', () => {
    const s = storedCandidates('acme', rows, 300_000, 50)!;
    expect(s.params.groups).toEqual([{ rid: 'Pod/shop/web-7d9-abc', evs: ['evt:oom-1', 'evt:backoff-1', 'evt:unhealthy-1'].map((eid) => ({ eid, ts: rows.find((r) => r.eid === eid)!.ts, alert: false, back: 300_000 })) }]);
    expect(storedCandidates('acme', [rows[1]], 300_000, 50)).toBeNull();
  });
  it('has uniqueness constraints that include the client', () => {
    expect(SCHEMA_STATEMENTS.filter((s) => s.includes('IS UNIQUE')).every((s) => s.includes('.client,'))).toBe(true);
  });
});
