import { causalEdges } from '../../../src/graph/causality';
import { completionPairs, relatedDelta, relatedSetsOf } from '../../../src/graph/topologyCompletion';

describe('topology completion plan', () => {
  it('finds the relations that appeared or came closer, once per pair', () => {
    const before = new Map([
      ['Pod/shop/api-1', [{ rid: 'Node//n1', d: 1 }, { rid: 'Deployment/shop/api', d: 3 }]],
      ['Node//n1', [{ rid: 'Pod/shop/api-1', d: 1 }]],
    ]);
    const after = new Map([
      ['Pod/shop/api-1', [{ rid: 'Node//n1', d: 1 }, { rid: 'ReplicaSet/shop/api-5f', d: 1 }, { rid: 'Deployment/shop/api', d: 2 }, { rid: 'Pod/shop/api-1', d: 0 }]],
      ['Node//n1', [{ rid: 'Pod/shop/api-1', d: 1 }]],
      // Not read before: all its relations are new; the pair with the pod comes once.
      ['ReplicaSet/shop/api-5f', [{ rid: 'Pod/shop/api-1', d: 1 }, { rid: 'Deployment/shop/api', d: 1 }]],
    ]);
    expect(relatedDelta(before, after)).toEqual([
      { a: 'Deployment/shop/api', b: 'Pod/shop/api-1', d: 2 },
      { a: 'Deployment/shop/api', b: 'ReplicaSet/shop/api-5f', d: 1 },
      { a: 'Pod/shop/api-1', b: 'ReplicaSet/shop/api-5f', d: 1 },
    ]);
    expect(relatedDelta(after, after)).toEqual([]);
  });

  it('reads related sets at their nearest distance and turns found events into the pairs causalEdges scores', () => {
    expect(relatedSetsOf([{ rid: 'Pod/a/p', related: [{ rid: 'Node//n', d: 1 }, { rid: 'Node//n', d: 2 }] }]).get('Pod/a/p')).toEqual([{ rid: 'Node//n', d: 1 }]);
    const pairs = completionPairs([{ a: 'state:oom', ats: 1000, acat: 'oom', b: 'evt:backoff', bts: 11_000, bcat: 'backoff', d: 1 }]);
    expect(causalEdges(pairs, { windowMs: 300_000, minConfidence: 0.1, maxCausesPerEffect: 5 })).toEqual([
      { cause: 'state:oom', effect: 'evt:backoff', rule: 'oom->backoff', confidence: 0.623, lag_ms: 10_000, distance: 1 },
    ]);
  });
});
