import { lastValueFrom } from 'rxjs';
import { EventRow } from '../../src/graph/eventRows';
import { componentLogger } from '../../src/log/logger';
import { GraphStore } from '../../src/neo4j/graphStore';
import { loadNeo4jConfig } from '../../src/neo4j/neo4jConfig';
import { uniqueId } from '../fixtures/graph/harness';

/**
 * A later copy of a stored event pairs from the stored event's first time, on the real Neo4j, with
 * the candidates in memory and searched in Neo4j: an error-log window whose next line arrives after
 * the crash it preceded (one graph event per template, pod and window) and a Kubernetes Event seen
 * again minutes later (one graph event per uid). Each gives the edges of its first copy and no edge
 * the other way round, as if every copy had arrived together.
 */
const log = componentLogger('repeated-events-test');
const T0 = Date.parse('2026-12-01T09:00:00Z');
const POD = { rid: 'Pod/shop/api-1', kind: 'Pod', namespace: 'shop', name: 'api-1' };

function row(eid: string, source: EventRow['source'], reason: string, category: string, ts: number, count = 1): EventRow {
  return { eid, source, reason, category: category as EventRow['category'], severity: 'error', message: reason, ts, last_ts: ts, count, detail: null, ...POD };
}

describe('later copies of stored events', () => {
  const run = uniqueId('rep');
  const stores: GraphStore[] = [];
  afterAll(async () => {
    for (const s of stores) await s.close();
  });

  it.each([
    ['in memory', 200_000],
    ['searched in Neo4j', 0],
  ])('pair from the first time (%s)', async (name, memoryEvents) => {
    const client = `${run}-${memoryEvents}`;
    const store = await GraphStore.connect(loadNeo4jConfig({ ...process.env, GRAPH_ISOLATION: process.env.GRAPH_ISOLATION ?? 'auto' }), log, { windowMs: 300_000, memoryEvents });
    stores.push(store);
    const logEid = `log:t-missing-key:${POD.rid}:${T0}`;
    // The log window's first line, the crash 20 s later, the window's next line 20 s after the crash.
    await lastValueFrom(store.writeEvents$({ client, rows: [row(logEid, 'log', 'config error', 'log-config', T0 + 10_000)] }));
    await lastValueFrom(store.writeEvents$({ client, rows: [row('state:crash-1', 'state', 'Error', 'crash', T0 + 30_000)] }));
    await lastValueFrom(store.writeEvents$({ client, rows: [row(logEid, 'log', 'config error', 'log-config', T0 + 50_000)] }));
    // An image pull failure, its BackOff 10 s later, the failure's Event seen again 5 minutes later (lastTimestamp moved).
    await lastValueFrom(store.writeEvents$({ client, rows: [row('evt:pull-1', 'k8s', 'Failed', 'image-pull', T0 + 100_000)] }));
    await lastValueFrom(store.writeEvents$({ client, rows: [row('evt:bo-1', 'k8s', 'BackOff', 'backoff', T0 + 110_000)] }));
    await lastValueFrom(store.writeEvents$({ client, rows: [{ ...row('evt:pull-1', 'k8s', 'Failed', 'image-pull', T0 + 400_000, 6), last_ts: T0 + 400_000 }] }));

    const edges = await store.read(client, {
      text: 'MATCH (c:Event {client: $client})-[p:POTENTIAL_CAUSE]->(e:Event {client: $client}) RETURN c.eid AS c, e.eid AS e, p.rule AS rule, p.lag_ms AS lag ORDER BY c, e',
      params: { client },
    });
    const list = edges.map((e) => `${e.c} -> ${e.e} ${e.rule} ${e.lag}`);
    expect({ name, edges: list }).toEqual({
      name,
      edges: expect.arrayContaining([`evt:pull-1 -> evt:bo-1 image-pull->backoff 10000`, `${logEid} -> state:crash-1 log-config->crash 20000`]),
    });
    // Nothing pointing back in time from a later copy: no crash -> log, no BackOff -> Failed.
    expect(list.filter((e) => e.startsWith(`state:crash-1 -> ${logEid}`) || e.startsWith('evt:bo-1 -> evt:pull-1'))).toEqual([]);
    const [stored] = await store.read(client, { text: 'MATCH (e:Event {client: $client, eid: $eid}) RETURN e.ts AS ts, e.last_ts AS last, e.count AS n', params: { client, eid: logEid } });
    expect([Number(stored.ts), Number(stored.last), Number(stored.n)]).toEqual([T0 + 10_000, T0 + 50_000, 2]);
  });
});
