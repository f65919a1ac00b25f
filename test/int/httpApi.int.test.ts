import { answerFor } from '../../src/delivery/answerSource';
import { ApiConfig } from '../../src/http/api/apiConfig';
import { ClientsView } from '../../src/http/clientsView';
import { startHttpServer } from '../../src/http/server';
import { GraphStore } from '../../src/neo4j/graphStore';
import { ALERT_EID, ALERT_FINGERPRINT } from '../fixtures/graph/incident';
import { connectStore, log, uniqueId } from '../fixtures/graph/harness';
import { deleteClientGraph, writeIncident } from '../fixtures/delivery/incidentGraph';

/**
 * The HTTP API on the real Neo4j: the scripted incident written through the real topology and
 * graph builders for two clients, read back through the API with admin, client and no tokens.
 */
describe('HTTP API (/api/v1) on the real graph', () => {
  const run = uniqueId('');
  const [a, b] = [`${run}a`, `${run}b`];
  const ADMIN = 'admin-token-0123456789abcdef';
  const TOKENS = new Map([
    [a, 'client-a-token-0123456789'],
    [b, 'client-b-token-0123456789'],
  ]);
  let store: GraphStore;
  let cleanup: () => Promise<void>;
  let server: Awaited<ReturnType<typeof startHttpServer>>;
  let open: Awaited<ReturnType<typeof startHttpServer>>;
  const view: ClientsView = { spawner: 'test', workersAsOf: new Date(0).toISOString(), clients: [], rejected: { 'bad key': 1 } };

  const config = (tokens: boolean): ApiConfig => ({ host: '127.0.0.1', port: 0, adminToken: tokens ? ADMIN : undefined, clientTokens: tokens ? TOKENS : new Map(), publicUrl: undefined, liveIntervalMs: 200 });
  const get = async (path: string, token?: string, base = server.url) => {
    const res = await fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const post = async (path: string, body: unknown, token?: string) => {
    const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  beforeAll(async () => {
    store = await connectStore();
    ({ cleanup } = await writeIncident(store, run, [a, b]));
    const deps = { clients: async () => view, health: () => ({ ok: true }), store: async () => store, answer: answerFor, log };
    server = await startHttpServer(config(true), deps);
    open = await startHttpServer(config(false), deps);
  });

  afterAll(async () => {
    await server?.close();
    await open?.close();
    for (const c of [a, b]) await deleteClientGraph(store, c).catch(() => undefined);
    await cleanup?.();
    await store?.close();
  });

  it('lists the incident with its state, top cause, fault type and times', async () => {
    const { status, body } = await get(`/api/v1/clients/${a}/incidents`, ADMIN);
    expect(status).toBe(200);
    expect(body.incidents).toHaveLength(1);
    expect(body.incidents[0]).toMatchObject({
      fingerprint: ALERT_FINGERPRINT,
      eid: ALERT_EID,
      alertname: 'WebUnavailable',
      state: 'firing',
      startsAt: '2024-05-01T10:01:00.000Z',
      endsAt: null,
      resource: 'Service/shop/web',
      faultType: 'oom',
      topCause: { eid: 'evt:oom-1', reason: 'OOMKilled', resource: 'Pod/shop/web-7d9-abc' },
    });
  });

  it('gives one incident: ranked causes with evidence paths ending at the alert, the causal subgraph and the timeline', async () => {
    const { status, body } = await get(`/api/v1/clients/${a}/incidents/${ALERT_FINGERPRINT}`, TOKENS.get(a));
    expect(status).toBe(200);
    expect(body.causes[0].eid).toBe('evt:oom-1');
    expect(body.causes.map((c: any) => c.eid).sort()).toEqual(['evt:backoff-1', 'evt:oom-1', 'evt:unhealthy-1']);
    for (const c of body.causes) expect(c.path[c.path.length - 1].eid).toBe(ALERT_EID);
    expect(body.causes[0].path).toEqual([expect.objectContaining({ eid: ALERT_EID, rule: 'oom->alert' })]);
    const roles = Object.fromEntries(body.graph.nodes.map((n: any) => [n.id, n.role]));
    expect(roles).toEqual({ 'evt:oom-1': 'root', 'evt:backoff-1': 'cause', 'evt:unhealthy-1': 'cause', [ALERT_EID]: 'alert' });
    expect(body.graph.edges.map((e: any) => `${e.source} ${e.target} ${e.rule}`).sort()).toEqual(
      [
        `evt:backoff-1 ${ALERT_EID} backoff->alert`,
        'evt:backoff-1 evt:unhealthy-1 backoff->unhealthy',
        'evt:oom-1 evt:backoff-1 oom->backoff',
        `evt:oom-1 ${ALERT_EID} oom->alert`,
        'evt:oom-1 evt:unhealthy-1 oom->unhealthy',
        `evt:unhealthy-1 ${ALERT_EID} unhealthy->alert`,
      ].sort(),
    );
    expect(body.timeline.map((t: any) => t.reason)).toEqual(['OOMKilled', 'BackOff', 'Unhealthy', 'WebUnavailable']);
  });

  it('gives the topology around a resource', async () => {
    const { status, body } = await get(`/api/v1/clients/${a}/graph?around=${encodeURIComponent('Pod/shop/web-7d9-abc')}&depth=2`, ADMIN);
    expect(status).toBe(200);
    expect(body.nodes.map((n: any) => n.id).sort()).toEqual(['Deployment/shop/web', 'Node//n1', 'Pod/shop/web-7d9-abc', 'ReplicaSet/shop/web-7d9', 'Service/shop/web']);
    expect(body.edges.map((e: any) => `${e.source} ${e.type} ${e.target}`)).toContain('Pod/shop/web-7d9-abc RUNS_ON Node//n1');
    const one = await get(`/api/v1/clients/${a}/graph?around=${encodeURIComponent('Pod/shop/web-7d9-abc')}&depth=1`, ADMIN);
    expect(one.body.nodes.map((n: any) => n.id)).not.toContain('Deployment/shop/web');
  });

  it("never lets a client's token read another client's data", async () => {
    const ta = TOKENS.get(a) as string;
    for (const path of [`/api/v1/clients/${b}/incidents`, `/api/v1/clients/${b}/incidents/${ALERT_FINGERPRINT}`, `/api/v1/clients/${b}/graph?around=Node//n1`]) {
      const r = await get(path, ta);
      expect(r.status).toBe(403);
      expect(JSON.stringify(r.body)).not.toContain('OOMKilled');
    }
    const list = await get('/api/v1/clients', ta);
    expect(list.body.rejected).toEqual({});
    expect((await get(`/api/v1/clients/${b}/incidents`, TOKENS.get(b))).status).toBe(200);
    expect((await get(`/api/v1/clients/${a}/incidents`)).status).toBe(401);
    expect((await get(`/api/v1/clients/${a}/incidents`, 'not-a-token-at-all')).status).toBe(401);
    expect((await get('/clients')).status).toBe(401);
    expect((await get('/clients', ADMIN)).body.rejected).toEqual({ 'bad key': 1 });
  });

  it('answers 404 for an unknown client or fingerprint and 400 naming a bad parameter', async () => {
    expect(await get(`/api/v1/clients/${run}zz/incidents`, ADMIN)).toEqual({ status: 404, body: { error: `unknown client ${run}zz`, parameter: 'client' } });
    const nf = await get(`/api/v1/clients/${a}/incidents/0000000000000000`, ADMIN);
    expect([nf.status, nf.body.parameter]).toEqual([404, 'fingerprint']);
    const bad = await get('/api/v1/clients/Bad_Client/incidents', ADMIN);
    expect([bad.status, bad.body.parameter]).toEqual([400, 'client']);
    expect(bad.body.error).toMatch(/lowercase letter/);
    const depth = await get(`/api/v1/clients/${a}/graph?around=Node//n1&depth=9`, ADMIN);
    expect([depth.status, depth.body.parameter]).toEqual([400, 'depth']);
    const around = await get(`/api/v1/clients/${a}/graph`, ADMIN);
    expect([around.status, around.body.parameter]).toEqual([400, 'around']);
    const fp = await get(`/api/v1/clients/${a}/incidents/bad:fingerprint`, ADMIN);
    expect([fp.status, fp.body.parameter]).toEqual([400, 'fingerprint']);
    const lim = await get(`/api/v1/clients/${a}/incidents?limit=0`, ADMIN);
    expect([lim.status, lim.body.parameter]).toEqual([400, 'limit']);
    const missing = await get(`/api/v1/clients/${a}/graph?around=Node//nope`, ADMIN);
    expect([missing.status, missing.body.parameter]).toEqual([404, 'around']);
  });

  it('stores a confirmation on the alert node (admin only) and shows it', async () => {
    const path = `/api/v1/clients/${a}/incidents/${ALERT_FINGERPRINT}/confirm`;
    expect((await post(path, { cause: 'evt:oom-1' }, TOKENS.get(a))).status).toBe(403);
    const unknown = await post(path, { cause: 'evt:nope' }, ADMIN);
    expect([unknown.status, unknown.body.parameter]).toEqual([400, 'cause']);
    const noCause = await post(path, {}, ADMIN);
    expect([noCause.status, noCause.body.parameter]).toEqual([400, 'cause']);
    expect((await post(path, { cause: 'evt:backoff-1', verdict: 'rejected' }, ADMIN)).body).toMatchObject({ verdict: 'rejected', confirmedCause: null, rejectedCauses: ['evt:backoff-1'] });
    const ok = await post(path, { cause: 'evt:oom-1' }, ADMIN);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ alert: ALERT_EID, confirmedCause: 'evt:oom-1', rejectedCauses: ['evt:backoff-1'] });
    const [node] = await store.read(a, { text: 'MATCH (e:Event {client: $client, eid: $eid}) RETURN e.confirmed_cause AS c, e.feedback_by AS by', params: { client: a, eid: ALERT_EID } });
    expect(node).toEqual({ c: 'evt:oom-1', by: 'admin' });
    // The other client's alert with the same eid is untouched.
    const [other] = await store.read(b, { text: 'MATCH (e:Event {client: $client, eid: $eid}) RETURN e.confirmed_cause AS c', params: { client: b, eid: ALERT_EID } });
    expect(other.c).toBeNull();
    expect((await get(`/api/v1/clients/${a}/incidents/${ALERT_FINGERPRINT}`, ADMIN)).body.incident.confirmedCause).toBe('evt:oom-1');
  });

  it('streams the incident as server-sent events (token in the query)', async () => {
    const ctl = new AbortController();
    const res = await fetch(`${server.url}/api/v1/clients/${a}/incidents/${ALERT_FINGERPRINT}/live?access_token=${TOKENS.get(a)}`, { signal: ctl.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    ctl.abort();
    expect(text.startsWith('event: incident\ndata: ')).toBe(true);
    expect(JSON.parse(text.split('\n')[1].slice(6)).causes[0].eid).toBe('evt:oom-1');
  });

  it('without tokens serves loopback callers, and publishes its OpenAPI document', async () => {
    const r = await get(`/api/v1/clients/${a}/incidents`, undefined, open.url);
    expect(r.status).toBe(200);
    expect(r.body.incidents[0].fingerprint).toBe(ALERT_FINGERPRINT);
    const doc = await get('/api/v1/openapi.json', undefined, server.url);
    expect(doc.body.openapi).toBe('3.0.3');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/api/v1/clients/{client}/incidents/{fingerprint}', '/api/v1/clients/{client}/incidents/{fingerprint}/confirm', '/api/v1/clients/{client}/graph']));
  });
});
