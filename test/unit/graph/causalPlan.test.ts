import { placeEdges, planCausalEdges, WrittenRef } from '../../../src/graph/causalPlan';
import { EventRow } from '../../../src/graph/eventRows';

/** The write side's plan without Neo4j: pairs, scoring, old effects, and where each edge is written. */
const opts = { windowMs: 300_000, alertLookbackMs: 300_000, minConfidence: 0.1, maxCausesPerEffect: 5, maxCandidates: 50 };
const POD = { rid: 'Pod/shop/api-1', kind: 'Pod', namespace: 'shop', name: 'api-1' };
const row = (eid: string, reason: string, category: string, ts: number): EventRow => ({ eid, source: 'k8s', reason, category: category as EventRow['category'], severity: 'warning', message: reason, ts, last_ts: ts, count: 1, detail: null, ...POD });
const ref = (eid: string, element: string, fresh: boolean, ts: number, category: string): WrittenRef => [eid, element, fresh, ts, category, POD.rid, fresh ? 'b1' : 'b0'];

describe('planCausalEdges', () => {
  it('scores the pairs inside the batch, oldest first as the cause, and names no old effect when all are new', () => {
    const rows = [row('evt:oom', 'OOMKilled', 'oom', 0), row('evt:bo', 'BackOff', 'backoff', 10_000)];
    const plan = planCausalEdges(rows, [], [ref('evt:oom', '4:1', true, 0, 'oom'), ref('evt:bo', '4:2', true, 10_000, 'backoff')], opts);
    expect(plan.proposed.map((e) => [e.cause, e.effect, e.rule])).toEqual([['evt:oom', 'evt:bo', 'oom->backoff']]);
    expect(plan.old).toEqual([]);
    expect(plan.pairs).toBe(2);
  });

  it('takes stored candidates, and an effect stored before the batch is old (its cap counts stored causes)', () => {
    const rows = [row('evt:oom', 'OOMKilled', 'oom', 0)];
    const stored = [{ rid: POD.rid, related: [{ rid: POD.rid, d: 0 }], cands: [{ a: 'evt:oom', b: 'evt:bo', bts: 10_000, bcat: 'backoff', bref: '4:2', d: 0 }] }];
    const plan = planCausalEdges(rows, stored, [ref('evt:oom', '4:1', true, 0, 'oom')], opts);
    expect(plan.proposed.map((e) => [e.cause, e.effect])).toEqual([['evt:oom', 'evt:bo']]);
    expect(plan.old).toEqual(['evt:bo']);
    expect(placeEdges(plan.proposed, plan.refs)).toEqual({ now: [expect.objectContaining({ cause_ref: '4:1', effect_ref: '4:2', fresh: true })], later: [] });
  });

  it('defers an edge to an event of an earlier batch in flight (no element id yet), and refuses an edge to an unknown event', () => {
    const stored = [{ rid: POD.rid, related: [{ rid: POD.rid, d: 0 }], cands: [{ a: 'evt:bo', b: 'evt:oom', bts: 0, bcat: 'oom', bref: '', d: 0 }] }];
    const plan = planCausalEdges([row('evt:bo', 'BackOff', 'backoff', 10_000)], stored, [ref('evt:bo', '4:2', true, 10_000, 'backoff')], opts);
    const placed = placeEdges(plan.proposed, plan.refs);
    expect([placed.now.length, placed.later.map((e) => `${e.cause}->${e.effect}`)]).toEqual([0, ['evt:oom->evt:bo']]);
    expect(() => placeEdges([{ ...plan.proposed[0], cause: 'evt:nobody' }], plan.refs)).toThrow(/evt:nobody/);
  });
});
