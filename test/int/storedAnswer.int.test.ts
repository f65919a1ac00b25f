import { lastValueFrom } from 'rxjs';
import { answerFor, rankedAnswer } from '../../src/delivery/answerSource';
import { incidentReads, IN_FLIGHT_MARGIN_MS } from '../../src/delivery/storedAnswer';
import { eventRowOfAlert, eventRowOfNormalized } from '../../src/graph/eventRows';
import { storedAnswer } from '../../src/graph/readCypher';
import { EVIDENCE_WINDOW_MS } from '../../src/rca/answer';
import { startHttpServer } from '../../src/http/server';
import { GraphStore } from '../../src/neo4j/graphStore';
import { ALERT, ALERT_FINGERPRINT, EVENTS, T0 } from '../fixtures/graph/incident';
import { connectStore, log, uniqueId } from '../fixtures/graph/harness';
import { deleteClientGraph, writeIncident } from '../fixtures/delivery/incidentGraph';

/**
 * Stored answers on the real Neo4j: the scripted incident written through the real topology and
 * graph builders for two clients (the same alert fingerprint in both); the answer the delivery
 * stores is the ranking's answer, is served from the store while nothing changed, is recomputed
 * when late evidence or a state change arrives, and is never another client's.
 */
describe('stored answers (src/delivery/storedAnswer.ts) on the real graph', () => {
  const run = uniqueId('');
  const [a, b] = [`${run}a`, `${run}b`];
  let store: GraphStore;
  let cleanup: () => Promise<void>;
  const settle = () => new Promise((r) => setTimeout(r, IN_FLIGHT_MARGIN_MS + 500));
  const stored = async (client: string) => (await store.readRca(client, storedAnswer(client, ALERT_FINGERPRINT, EVIDENCE_WINDOW_MS)))[0];

  beforeAll(async () => {
    store = await connectStore();
    ({ cleanup } = await writeIncident(store, run, [a, b]));
    await settle();
  }, 120_000);

  afterAll(async () => {
    for (const c of [a, b]) await deleteClientGraph(store, c).catch(() => undefined);
    await cleanup?.();
    await store?.close();
  });

  it('stores the answer the ranking computes and serves it, equal to a fresh ranking, in one statement', async () => {
    expect((await stored(a)).fresh).toBe(false);
    const first = await answerFor(store, a, ALERT_FINGERPRINT);
    const fresh = await rankedAnswer(store, a, ALERT_FINGERPRINT);
    expect(first).toEqual(fresh);
    expect(fresh?.causes[0].eid).toBe('evt:oom-1');
    const row = await stored(a);
    expect(row.fresh).toBe(true);
    expect(JSON.parse(String(row.answer))).toEqual(fresh);
    expect(await answerFor(store, a, ALERT_FINGERPRINT)).toEqual(fresh);
    expect(await answerFor(store, a, ALERT_FINGERPRINT, 1)).toEqual({ ...fresh, causes: fresh?.causes.slice(0, 1) });
    const page = await incidentReads(store, answerFor, a, ALERT_FINGERPRINT);
    expect(page?.stored).toBe(true);
    expect(page?.answer).toEqual(fresh);
    expect(page?.subgraph.map((r) => r.eid)).toEqual(['evt:oom-1', 'evt:backoff-1', 'evt:unhealthy-1', fresh?.alert.eid]);
  });

  it("serves the API from the stored answer, and never one client's answer to another", async () => {
    const server = await startHttpServer(
      { host: '127.0.0.1', port: 0, adminToken: undefined, clientTokens: new Map(), publicUrl: undefined, liveIntervalMs: 200 },
      { clients: async () => ({ spawner: 'test', workersAsOf: new Date(0).toISOString(), clients: [], rejected: {} }), health: () => ({ ok: true }), store: async () => store, answer: answerFor, log },
    );
    try {
      // Client b has the same fingerprint and no stored answer yet: a's is not b's.
      expect((await stored(b)).fresh).toBe(false);
      expect((await incidentReads(store, answerFor, b, ALERT_FINGERPRINT))?.stored).toBe(false);
      const pageA = (await (await fetch(`${server.url}/api/v1/clients/${a}/incidents/${ALERT_FINGERPRINT}`)).json()) as Record<string, any>;
      const pageB = (await (await fetch(`${server.url}/api/v1/clients/${b}/incidents/${ALERT_FINGERPRINT}`)).json()) as Record<string, any>;
      expect(pageA.client).toBe(a);
      expect(pageB.client).toBe(b);
      expect(pageA.causes).toEqual((await rankedAnswer(store, a, ALERT_FINGERPRINT))?.causes);
      expect(JSON.parse(String((await stored(b)).answer)).client).toBe(b);
      const list = (await (await fetch(`${server.url}/api/v1/clients/${a}/incidents`)).json()) as Record<string, any>;
      expect(list.incidents[0]).toMatchObject({ fingerprint: ALERT_FINGERPRINT, faultType: pageA.faultType, topCause: { eid: 'evt:oom-1', score: pageA.causes[0].score, at: pageA.causes[0].at } });
    } finally {
      await server.close();
    }
  });

  it('recomputes when late evidence or a state change reaches the alert, and stores that', async () => {
    const before = await answerFor(store, a, ALERT_FINGERPRINT);
    expect((await stored(a)).fresh).toBe(true);
    // A second OOMKilled on the pod, 30 s before the alert, written now (late evidence).
    const late = eventRowOfNormalized({ ...EVENTS[0], event_id: 'oom-2', timestamp: T0 + 30_000 });
    await lastValueFrom(store.writeEvents$({ client: a, rows: [late] }));
    expect((await stored(a)).fresh).toBe(false);
    const after = await answerFor(store, a, ALERT_FINGERPRINT);
    expect(after).toEqual(await rankedAnswer(store, a, ALERT_FINGERPRINT));
    expect(after?.causes.map((c) => c.eid)).toContain('evt:oom-2');
    expect(before?.causes.map((c) => c.eid)).not.toContain('evt:oom-2');
    // Computed within the in-flight margin of that write: stored, and still counted stale until the margin passed.
    await settle();
    await answerFor(store, a, ALERT_FINGERPRINT);
    expect((await stored(a)).fresh).toBe(true);
    expect(JSON.parse(String((await stored(a)).answer))).toEqual(after);
    // The alert resolves: the stored (firing) answer no longer answers it.
    await lastValueFrom(store.writeEvents$({ client: a, rows: [eventRowOfAlert({ ...ALERT, status: 'resolved', endsAt: new Date(T0 + 600_000).toISOString() })] }));
    expect((await stored(a)).fresh).toBe(false);
    const resolved = await answerFor(store, a, ALERT_FINGERPRINT);
    expect(resolved?.alert.status).toBe('resolved');
    expect(resolved).toEqual(await rankedAnswer(store, a, ALERT_FINGERPRINT));
  }, 60_000);
});
