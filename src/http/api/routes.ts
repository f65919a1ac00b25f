import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AnswerFunction, GraphReader, RcaAnswer } from '../../delivery/answer';
import { validateClientId } from '../../domain/clientId';
import { MAX_GRAPH_DEPTH } from '../../graph/readCypher';
import type { Logger } from '../../log/logger';
import type { GraphStore } from '../../neo4j/graphStore';
import type { ClientsView } from '../clientsView';
import { mayRead, mayWrite, Principal, principalName } from './auth';
import { incidentReads } from '../../delivery/storedAnswer';
import { hasStoredAnswer, IncidentDetail, incidentDetail, IncidentSummary, incidentSummary, resourceGraph } from './incidentView';
import { openApiDocument } from './openapi';

/** What GraphStore offers the API. */
export type ApiStore = GraphReader & Pick<GraphStore, 'hasGraph' | 'incidents' | 'alert' | 'eventSubgraph' | 'resourcesAround' | 'causeFeedback'>;

export interface ApiDeps {
  /** The control plane's clients view (GET /clients). */
  clients(): Promise<ClientsView>;
  /** The graph; rejects (→ 503) while Neo4j is not connected. */
  store(): Promise<ApiStore>;
  /** The rca answer function (src/delivery/answerSource.ts). */
  answer: AnswerFunction;
  log: Logger;
  liveIntervalMs: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly parameter?: string,
  ) {
    super(message);
  }
}

const FINGERPRINT = '^[A-Za-z0-9_-]{1,128}$';
const clientParam = { type: 'object', required: ['client'], properties: { client: { type: 'string' } } } as const;
const incidentParams = { type: 'object', required: ['client', 'fingerprint'], properties: { client: { type: 'string' }, fingerprint: { type: 'string', pattern: FINGERPRINT } } } as const;

type ClientReq = FastifyRequest<{ Params: { client: string; fingerprint?: string } }>;

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** The API routes under /api/v1, on an instance whose onRequest hook set `request.principal`. */
export function registerApi(app: FastifyInstance, deps: ApiDeps): void {
  const knownCache = new Map<string, number>();
  const store = async () => {
    try {
      return await deps.store();
    } catch (err) {
      throw new ApiError(503, `graph store unavailable: ${(err as Error).message}`);
    }
  };

  /** Validates the client id (the one rule), checks the caller may read it and that it exists. */
  const checkClient = async (req: ClientReq): Promise<string> => {
    const check = validateClientId(req.params.client);
    if (!check.ok) throw new ApiError(400, `client: ${check.reason}`, 'client');
    const client = check.clientId;
    if (!mayRead(req.principal as Principal, client)) throw new ApiError(403, `this token does not read client ${client}`);
    const cached = knownCache.get(client);
    if (cached !== undefined && Date.now() - cached < 10_000) return client;
    const view = await deps.clients();
    const known = view.clients.some((c) => c.client === client) || (await (await store()).hasGraph(client));
    if (!known) throw new ApiError(404, `unknown client ${client}`, 'client');
    knownCache.set(client, Date.now());
    return client;
  };

  const answerOf = async (client: string, fingerprint: string, limit = 10): Promise<RcaAnswer> => {
    const a = await deps.answer(await store(), client, fingerprint, limit);
    if (!a) throw new ApiError(404, `client ${client} has no incident with fingerprint ${fingerprint}`, 'fingerprint');
    return a;
  };

  const incidents = async (client: string, limit: number, state: string | null): Promise<IncidentSummary[]> => {
    const s = await store();
    const rows = await s.incidents(client, limit, state);
    const out: IncidentSummary[] = new Array(rows.length);
    // Bounded: at most 8 answers computed at once.
    let next = 0;
    const worker = async () => {
      // An alert with a fresh stored answer needs no ranking; the others are answered (and stored).
      for (let i = next++; i < rows.length; i = next++) out[i] = incidentSummary(rows[i], hasStoredAnswer(rows[i]) ? null : await deps.answer(s, client, String(rows[i].fingerprint), 1));
    };
    await Promise.all(Array.from({ length: Math.min(8, rows.length) }, worker));
    return out;
  };

  // One statement when the stored answer is fresh (src/delivery/storedAnswer.ts), else answered and stored.
  const detail = async (client: string, fingerprint: string): Promise<IncidentDetail> => {
    const r = await incidentReads(await store(), deps.answer, client, fingerprint);
    if (!r) throw new ApiError(404, `client ${client} has no incident with fingerprint ${fingerprint}`, 'fingerprint');
    return incidentDetail(client, fingerprint, r.answer, r.alert, r.subgraph);
  };

  app.get('/api/v1/openapi.json', async () => openApiDocument());

  app.get('/api/v1/clients', async (req) => {
    const view = await deps.clients();
    const p = req.principal as Principal;
    return { ...view, clients: view.clients.filter((c) => mayRead(p, c.client)), rejected: p.kind === 'client' ? {} : view.rejected };
  });

  app.get('/api/v1/clients/:client/incidents', {
    schema: {
      params: clientParam,
      querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 }, state: { type: 'string', enum: ['firing', 'resolved'] } }, additionalProperties: false },
    },
  }, async (req) => {
    const client = await checkClient(req as ClientReq);
    const q = req.query as { limit: number; state?: string };
    return { client, incidents: await incidents(client, q.limit, q.state ?? null) };
  });

  app.get('/api/v1/clients/:client/incidents/:fingerprint', { schema: { params: incidentParams } }, async (req) => {
    const r = req as ClientReq;
    const client = await checkClient(r);
    return detail(client, r.params.fingerprint as string);
  });

  app.post('/api/v1/clients/:client/incidents/:fingerprint/confirm', {
    schema: {
      params: incidentParams,
      body: { type: 'object', required: ['cause'], properties: { cause: { type: 'string', minLength: 1, maxLength: 512 }, verdict: { type: 'string', enum: ['confirmed', 'rejected'], default: 'confirmed' } }, additionalProperties: false },
    },
  }, async (req) => {
    const r = req as ClientReq;
    const client = await checkClient(r);
    const p = req.principal as Principal;
    if (!mayWrite(p)) throw new ApiError(403, 'confirming causes needs the admin token (client tokens read only)');
    const body = req.body as { cause: string; verdict: 'confirmed' | 'rejected' };
    const fingerprint = r.params.fingerprint as string;
    const answer = await answerOf(client, fingerprint);
    const s = await store();
    const stored = await s.causeFeedback(client, answer.alert.eid, body.cause, body.verdict, principalName(p));
    if (!stored) throw new ApiError(400, `cause: no event ${body.cause} in client ${client}'s graph`, 'cause');
    deps.log.info({ client, fingerprint, cause: body.cause, verdict: body.verdict, by: principalName(p) }, 'cause feedback stored');
    return { client, fingerprint, alert: answer.alert.eid, cause: body.cause, verdict: body.verdict, confirmedCause: stored.confirmedCause ?? null, rejectedCauses: stored.rejectedCauses ?? [] };
  });

  app.get('/api/v1/clients/:client/graph', {
    schema: {
      params: clientParam,
      querystring: { type: 'object', required: ['around'], properties: { around: { type: 'string', minLength: 3, maxLength: 512 }, depth: { type: 'integer', minimum: 0, maximum: MAX_GRAPH_DEPTH, default: 2 } }, additionalProperties: false },
    },
  }, async (req) => {
    const client = await checkClient(req as ClientReq);
    const q = req.query as { around: string; depth: number };
    const rows = await (await store()).resourcesAround(client, q.around, q.depth);
    if (rows.length === 0) throw new ApiError(404, `client ${client} has no resource ${q.around}`, 'around');
    return { client, around: q.around, depth: q.depth, ...resourceGraph(rows) };
  });

  // Live pages: server-sent events carrying the whole view whenever it changed, re-read every liveIntervalMs.
  app.get('/api/v1/clients/:client/incidents/live', { schema: { params: clientParam } }, async (req, reply) => {
    const client = await checkClient(req as ClientReq);
    live(req, reply, 'incidents', async () => ({ client, incidents: await incidents(client, 50, null) }), deps);
  });

  app.get('/api/v1/clients/:client/incidents/:fingerprint/live', { schema: { params: incidentParams } }, async (req, reply) => {
    const r = req as ClientReq;
    const client = await checkClient(r);
    const fingerprint = r.params.fingerprint as string;
    await answerOf(client, fingerprint, 1);
    live(req, reply, 'incident', () => detail(client, fingerprint), deps);
  });
}

const openStreams = new WeakMap<FastifyInstance, Set<() => void>>();

/** Ends every live stream of `app` (its close would otherwise wait for them). */
export function endLiveStreams(app: FastifyInstance): void {
  for (const end of openStreams.get(app) ?? []) end();
}

function live(req: FastifyRequest, reply: FastifyReply, event: string, produce: () => Promise<unknown>, deps: ApiDeps): void {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  let last = '';
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const streams = openStreams.get(req.server) ?? new Set<() => void>();
  openStreams.set(req.server, streams);
  const end = () => {
    if (stopped) return;
    stopped = true;
    if (timer) clearTimeout(timer);
    streams.delete(end);
    res.end();
  };
  streams.add(end);
  const tick = async () => {
    try {
      const body = JSON.stringify(await produce());
      if (body !== last && !stopped) {
        last = body;
        res.write(`event: ${event}\ndata: ${body}\n\n`);
      } else if (!stopped) res.write(': keep-alive\n\n');
    } catch (err) {
      deps.log.warn({ err: (err as Error).message, url: req.url }, 'live view read failed');
      if (!stopped) res.write(`event: error\ndata: ${JSON.stringify({ error: (err as Error).message })}\n\n`);
    }
    if (!stopped) timer = setTimeout(() => void tick(), deps.liveIntervalMs);
  };
  req.raw.on('close', end);
  void tick();
}
