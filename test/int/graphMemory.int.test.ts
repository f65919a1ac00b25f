import { from, lastValueFrom, map, mergeMap, toArray } from 'rxjs';
import { NormalizedEvent } from '../../src/avro/normalizedCodec';
import { eventRowOfAlert, eventRowOfNormalized, EventRow } from '../../src/graph/eventRows';
import { componentLogger } from '../../src/log/logger';
import { EventWriteResult, GraphStore } from '../../src/neo4j/graphStore';
import { storedCandidates } from '../../src/graph/cypher';
import { loadNeo4jConfig } from '../../src/neo4j/neo4jConfig';
import { uniqueId } from '../fixtures/graph/harness';
import { seededRandom } from '../../src/simulator/seededRandom';
import { gridTopology } from '../../src/simulator/gridTopology';

/**
 * The in-memory candidate search against the search in Neo4j, on the real Neo4j: the same
 * topology and the same stream of batches (out of event-time order, spanning six windows, a pod
 * with more events than the per-event candidate limit, a replay of earlier batches) written for
 * three clients — candidates searched in Neo4j every batch, held in memory, and held in a memory
 * too small for the stream (evictions and fallbacks) — give the same POTENTIAL_CAUSE edges, edge for
 * edge, alerts reaching back by the 30-minute lookback included; and so do the same three with 3 batches in flight at once, where edges to an earlier
 * batch's events wait for its commit.
 */
const log = componentLogger('graph-memory-test');
const WINDOW = 300_000;
const T0 = 1_714_557_600_000;

const REASONS: Array<[string, 'Warning' | 'Normal']> = [
  ['OOMKilled', 'Warning'], ['BackOff', 'Warning'], ['Unhealthy', 'Warning'], ['Killing', 'Normal'], ['Pulled', 'Normal'], ['FailedMount', 'Warning'], ['Evicted', 'Warning'],
];

function stream(seed: number): EventRow[][] {
  const r = seededRandom(seed);
  const events: EventRow[] = [];
  for (let i = 0; i < 700; i++) {
    const [reason, type] = REASONS[Math.floor(r() * REASONS.length)];
    // One hot pod takes a fifth of the events (more than the 50 candidates an event keeps); some are about nodes or replica sets.
    const pick = r();
    const pod = pick < 0.2 ? 0 : Math.floor(r() * 12);
    const on = pick > 0.92 ? { object_kind: 'Node', object_namespace: '', object_name: `node-${pod % 3}` } : pick > 0.86 ? { object_kind: 'ReplicaSet', object_namespace: 'shop', object_name: `app${pod % 4}-rs` } : { object_kind: 'Pod', object_namespace: 'shop', object_name: `app${pod % 4}-${pod}` };
    const ev: NormalizedEvent = {
      event_id: `m${i}`, timestamp: T0 + Math.floor(r() * 6 * WINDOW), reason, message: `${reason} ${i}`, type, severity: type === 'Warning' ? 'warning' : 'info',
      event_type_abstract: reason.toLowerCase(), ...on, object_uid: null, pod: null, container: null, node: null, count: 1, reporting_component: 'kubelet', source_format: 'core/v1',
    };
    // Some are alerts about a pod, reaching back by the alert lookback (30 min, the stream's whole span).
    if (r() < 0.06) {
      const labels = { alertname: 'KubePodCrashLooping', namespace: 'shop', pod: `app${pod % 4}-${pod}`, service: 'kube-state-metrics' };
      events.push(eventRowOfAlert({ status: 'firing', labels, annotations: {}, startsAt: new Date(ev.timestamp).toISOString(), fingerprint: `fp${i}` }));
    } else events.push(eventRowOfNormalized(ev));
  }
  // Arrival order: event time plus up to ±8 minutes of jitter, so batches reach back past the covered range.
  const arrival = events.map((e) => ({ e, at: e.ts + (r() - 0.5) * 16 * 60_000 })).sort((x, y) => x.at - y.at).map((x) => x.e);
  const batches: EventRow[][] = [];
  for (let i = 0; i < arrival.length; ) {
    const n = 1 + Math.floor(r() * 60);
    batches.push(arrival.slice(i, i + n));
    i += n;
  }
  // Some events arrive twice, in neighbouring batches (a redelivery): with batches in flight, the later copy may commit first.
  for (let i = 1; i < batches.length; i += 4) batches[i] = [...batches[i], ...batches[i - 1].slice(0, 3)];
  // A replay of two earlier batches in the middle of the stream.
  const mid = Math.floor(batches.length / 2);
  batches.splice(mid, 0, batches[2], batches[3]);
  return batches;
}

describe('causal candidates in memory and in Neo4j', () => {
  const run = uniqueId('m');
  const variants = {
    neo4j: { client: `${run}-db`, memoryEvents: 0 },
    memory: { client: `${run}-mem`, memoryEvents: 200_000 },
    small: { client: `${run}-small`, memoryEvents: 60 },
    neo4j3: { client: `${run}-db3`, memoryEvents: 0, inFlight: 3 },
    memory3: { client: `${run}-mem3`, memoryEvents: 200_000, inFlight: 3 },
    small3: { client: `${run}-small3`, memoryEvents: 60, inFlight: 3 },
  } as Record<string, { client: string; memoryEvents: number; inFlight?: number }>;
  const stores = new Map<string, GraphStore>();

  beforeAll(async () => {
    for (const [name, v] of Object.entries(variants)) {
      const store = await GraphStore.connect(loadNeo4jConfig({ ...process.env, GRAPH_ISOLATION: process.env.GRAPH_ISOLATION ?? 'auto' }), log, { windowMs: WINDOW, alertLookbackMs: 6 * WINDOW, memoryEvents: v.memoryEvents });
      stores.set(name, store);
      await store.prepareClient(v.client);
      await lastValueFrom(store.writeTopology$({ client: v.client, upserts: gridTopology({ namespace: 'shop', nodes: 3, apps: 4, pods: 12 }), deletes: [] }));
    }
  });

  afterAll(async () => {
    for (const [name, store] of stores) {
      const client = variants[name].client;
      const session = store.driver.session();
      await session.run('MATCH (n {client: $client}) DETACH DELETE n', { client }).catch(() => undefined);
      await session.close();
      await store.close();
    }
  });

  it('gives the same POTENTIAL_CAUSE edges, edge for edge, with memory on, off and too small, one batch or three in flight', async () => {
    const batches = stream(42);
    const results: Record<string, EventWriteResult[]> = {};
    for (const [name, v] of Object.entries(variants)) {
      const store = stores.get(name)!;
      const inOrder = await lastValueFrom(
        from(batches).pipe(
          mergeMap((rows, i) => store.writeEvents$({ client: v.client, rows }).pipe(map((r) => [i, r] as const)), v.inFlight ?? 1),
          toArray(),
        ),
      );
      results[name] = inOrder.sort((x, y) => x[0] - y[0]).map(([, r]) => r);
    }
    const edgesOf = async (name: string) => {
      const { client } = variants[name];
      const rows = await stores.get(name)!.read(client, {
        text: 'MATCH (c:Event {client: $client})-[p:POTENTIAL_CAUSE]->(e:Event {client: $client}) RETURN c.eid AS c, e.eid AS e, p.rule AS rule, p.confidence AS conf, p.distance AS d ORDER BY c, e',
        params: { client },
      });
      return rows.map((x) => `${x.c}->${x.e} ${x.rule} ${Number(x.conf).toFixed(6)} d${x.d}`);
    };
    const reference = await edgesOf('neo4j');
    expect(reference.length).toBeGreaterThan(300);
    // Alerts took causes from further back than the window (only the lookback reaches them).
    const lagged = await stores.get('neo4j')!.read(variants.neo4j.client, {
      text: "MATCH (:Event {client: $client})-[p:POTENTIAL_CAUSE]->(e:Event {client: $client}) WHERE e.source = 'alert' AND p.lag_ms > $w RETURN count(p) AS n",
      params: { client: variants.neo4j.client, w: WINDOW },
    });
    expect(Number(lagged[0].n)).toBeGreaterThan(0);
    expect(await edgesOf('memory')).toEqual(reference);
    expect(await edgesOf('small')).toEqual(reference);
    for (const name of ['neo4j3', 'memory3', 'small3']) expect({ name, edges: await edgesOf(name) }).toEqual({ name, edges: reference });

    // Each variant took the path it was meant to: memory never fell back; the small one did both.
    expect(results.neo4j.every((r) => r.search === 'neo4j')).toBe(true);
    expect(results.memory.every((r) => r.search === 'memory')).toBe(true);
    expect(results.memory3.every((r) => r.search === 'memory')).toBe(true);
    for (const name of ['small', 'small3']) {
      const small = results[name].map((r) => r.search);
      expect(small.filter((s) => s === 'memory').length).toBeGreaterThan(0);
      expect(small.filter((s) => s === 'neo4j').length).toBeGreaterThan(0);
    }
    // In flight together, batches found edges to each other's events and wrote them after the earlier commit; one at a time, never.
    const deferred = (name: string) => results[name].reduce((n, r) => n + r.deferredEdges, 0);
    expect(deferred('memory3')).toBeGreaterThan(0);
    expect(deferred('memory')).toBe(0);
    // Every edge merged was created once, whichever way it went.
    for (const name of Object.keys(variants)) expect(results[name].reduce((n, r) => n + r.causalEdgesAdded, 0)).toBe(reference.length);
    const m = stores.get('small')!.memoryOf(variants.small.client)!.stats();
    expect(m.events).toBeLessThanOrEqual(60);
    // The replayed batches added no event, whichever way the candidates were found.
    const mid = Math.floor((batches.length - 2) / 2);
    for (const name of Object.keys(variants)) expect(results[name][mid].eventsAdded + results[name][mid + 1].eventsAdded).toBe(0);
  });
  it('the Neo4j search leaves out events created by batches begun later, unless an earlier batch wrote them too', async () => {
    const store = stores.get('neo4j')!;
    const client = variants.neo4j.client;
    const on = { object_kind: 'Pod', object_namespace: 'shop', object_name: 'app1-5' };
    const ev = (id: string, reason: string, ts: number) =>
      eventRowOfNormalized({ event_id: id, timestamp: ts, reason, message: reason, type: 'Warning', severity: 'warning', event_type_abstract: reason.toLowerCase(), ...on, object_uid: null, pod: null, container: null, node: null, count: 1, reporting_component: 'kubelet', source_format: 'core/v1' });
    const t = T0 + 50 * WINDOW;
    await lastValueFrom(store.writeEvents$({ client, rows: [ev('s-late', 'OOMKilled', t)] }));
    const [{ by }] = await store.read(client, { text: 'MATCH (e:Event {client: $client, eid: $eid}) RETURN e.created_by_batch AS by', params: { client, eid: 'evt:s-late' } });
    const found = async (later: string[], earlier: string[]) => {
      const rows = await store.read(client, storedCandidates(client, [ev('s-probe', 'BackOff', t + 1000)], WINDOW, 50, later, earlier)!);
      return rows.flatMap((r) => (r.cands as Array<{ b: string }>).map((c) => c.b));
    };
    expect(await found([], [])).toEqual(['evt:s-late']);
    expect(await found([by as string], [])).toEqual([]);
    expect(await found([by as string], ['evt:s-late'])).toEqual(['evt:s-late']);
  });
});
