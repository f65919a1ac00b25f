import neo4j, { Driver } from 'neo4j-driver';
import { causalEdgesById, completionCandidates, dropCauses, eventBatchWrite, eventsInRange, incomingCauses, linkSignatures, pruneCauses, relatedOf, resourceDeletes, Statement, storedCandidates, storedTimes, topologyArea } from '../../src/graph/cypher';
import { EventRow } from '../../src/graph/eventRows';

/**
 * The graph builder's and topology builder's statements, planned by the real Neo4j: none may scan
 * a whole label. One database holds every client of the shared mode, so a label scan costs the
 * events of all clients for each row (the completion read once scanned every Event per resource
 * pair: a topology batch of 2,000 pods ran for minutes on a graph of 165,000 events).
 */
type Plan = { operatorType: string; arguments: Record<string, unknown>; children: Plan[] };
const operators = (p: Plan): string[] => [`${p.operatorType} ${String(p.arguments.Details ?? '')}`, ...p.children.flatMap(operators)];

describe('statement plans', () => {
  let driver: Driver;
  beforeAll(() => (driver = neo4j.driver(process.env.NEO4J_URI ?? 'bolt://127.0.0.1:7687')));
  afterAll(() => driver.close());

  const row: EventRow = { eid: 'evt:1', source: 'k8s', reason: 'BackOff', category: 'backoff' as EventRow['category'], severity: 'warning', message: 'Back-off restarting failed container', ts: 1_764_000_000_000, last_ts: 1_764_000_000_000, count: 1, detail: null, rid: 'Pod/shop/api-1', kind: 'Pod', namespace: 'shop', name: 'api-1' };
  const edge = { cause: 'evt:0', effect: 'evt:1', confidence: 0.8, rule: 'oom->backoff', lag_ms: 1000, distance: 0 };
  const statements: Array<[string, Statement | null]> = [
    ['eventBatchWrite', eventBatchWrite('plans', 'b1', [row])],
    ['storedCandidates', storedCandidates('plans', [row], 300_000, 50)],
    ['storedTimes', storedTimes('plans', [{ ...row, count: 3 }])],
    ['causalEdgesById', causalEdgesById('plans', [edge])],
    ['incomingCauses', incomingCauses('plans', ['evt:1'])],
    ['dropCauses', dropCauses('plans', [edge])],
    ['pruneCauses', pruneCauses('plans', ['evt:1'], 5)],
    ['linkSignatures', linkSignatures('plans', ['Pod/shop/api-1'])],
    ['topologyArea', topologyArea('plans', ['Pod/shop/api-1'])],
    ['relatedOf', relatedOf('plans', ['Pod/shop/api-1'])],
    ['resourceDeletes', resourceDeletes('plans', ['Pod/shop/api-1'], 1_764_000_000_000)],
    ['eventsInRange', eventsInRange('plans', 1_764_000_000_000, 1_764_000_600_000, 1000)],
    ['completionCandidates', completionCandidates('plans', [{ a: 'Pod/shop/api-1', b: 'Node//worker-1', d: 1 }], 300_000, 1_800_000)],
  ];

  it.each(statements)('%s seeks by index, never scans a label', async (_name, s) => {
    expect(s).not.toBeNull();
    const res = await driver.executeQuery(`EXPLAIN ${s!.text}`, s!.params);
    const ops = operators(res.summary.plan as unknown as Plan);
    expect(ops.filter((o) => /^(NodeByLabelScan|AllNodesScan|DirectedRelationshipTypeScan|UndirectedRelationshipTypeScan)/.test(o))).toEqual([]);
  });
});
