import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import Fastify, { FastifyError, FastifyInstance } from 'fastify';
import { apiRequestSeconds } from '../metrics/metrics';
import type { Logger } from '../log/logger';
import { ApiConfig } from './api/apiConfig';
import { authenticate, Principal, tokenOf } from './api/auth';
import { ApiDeps, ApiError, endLiveStreams, registerApi } from './api/routes';

/**
 * The control plane's one HTTP server (fastify): GET /clients and /healthz as before, the API
 * under /api/v1 and the web UI (the bundle `npm run build` writes to dist/ui) at /.
 * Every route but /healthz and the UI's static files is authenticated (see api/auth.ts).
 */
export interface HttpDeps extends Omit<ApiDeps, 'liveIntervalMs'> {
  /** /healthz body. */
  health(): Record<string, unknown>;
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json', '.svg': 'image/svg+xml' };

/** The built UI: dist/ui beside dist/src (built), or <root>/dist/ui (sources under ts-jest). */
export function uiDir(from: string = __dirname): string | undefined {
  for (const d of [join(from, '..', '..', 'ui'), join(from, '..', '..', 'dist', 'ui')]) if (existsSync(join(d, 'index.html')) && existsSync(join(d, 'app.js'))) return d;
  return undefined;
}

export function buildHttpServer(config: ApiConfig, deps: HttpDeps): FastifyInstance {
  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 64 * 1024, ajv: { customOptions: { coerceTypes: true, removeAdditional: false, useDefaults: true } } });
  const log: Logger = deps.log;

  app.addHook('onRequest', async (req, reply) => {
    const url = req.url;
    if (url === '/healthz' || !(url.startsWith('/api/') || url === '/clients' || url.startsWith('/clients?'))) return;
    if (url === '/api/v1/openapi.json') return;
    const queryToken = url.includes('/live') ? (req.query as { access_token?: string } | undefined)?.access_token : undefined;
    const a = authenticate(config, tokenOf(req.headers.authorization, queryToken), req.socket.remoteAddress);
    if (!a.ok) return reply.code(a.status).send({ error: a.error });
    req.principal = a.principal;
  });

  app.addHook('onResponse', async (req, reply) => {
    apiRequestSeconds.labels(req.routeOptions.url ?? 'unmatched', req.method, String(reply.statusCode)).observe(reply.elapsedTime / 1000);
  });

  app.setErrorHandler((error: FastifyError | ApiError, req, reply) => {
    if (error instanceof ApiError) return reply.code(error.status).send({ error: error.message, ...(error.parameter ? { parameter: error.parameter } : {}) });
    const fe = error as FastifyError;
    if (fe.validation && fe.validation.length > 0) {
      const v = fe.validation[0];
      const missing = (v.params as { missingProperty?: string } | undefined)?.missingProperty;
      const extra = (v.params as { additionalProperty?: string } | undefined)?.additionalProperty;
      const parameter = missing ?? extra ?? v.instancePath.replace(/^\//, '').split('/')[0] ?? '';
      const message = extra ? `unknown parameter ${extra}` : missing ? `${missing} is required` : `${parameter} ${v.message ?? 'is invalid'}`;
      return reply.code(400).send({ error: `${fe.validationContext ?? 'request'}: ${message}`, parameter });
    }
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return reply.code(fe.statusCode).send({ error: fe.message });
    log.error({ err: error.message, url: req.url }, 'request failed');
    return reply.code(500).send({ error: error.message });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]}; try GET /clients, /api/v1/clients or /api/v1/openapi.json` }));

  app.get('/healthz', async () => deps.health());
  app.get('/clients', async () => deps.clients());
  registerApi(app, { ...deps, liveIntervalMs: config.liveIntervalMs });

  // The web UI: a fixed set of built files, read once.
  const dir = uiDir();
  const files = new Map<string, { type: string; body: Buffer }>();
  if (dir) for (const f of readdirSync(dir)) if (TYPES[extname(f)]) files.set(f, { type: TYPES[extname(f)], body: readFileSync(join(dir, f)) });
  const page = (name: string) => (_req: unknown, reply: import('fastify').FastifyReply) => {
    const f = files.get(name);
    if (!f) return reply.code(404).send({ error: dir ? `no UI file ${name}` : 'the web UI is not built: run npm run build' });
    return reply.type(f.type).header('cache-control', 'no-cache').send(f.body);
  };
  app.get('/', page('index.html'));
  app.get('/ui/:file', (req, reply) => page((req.params as { file: string }).file)(req, reply));
  app.addHook('onClose', async () => endLiveStreams(app));
  return app;
}

/** Listens on CONTROL_PLANE_HOST:CONTROL_PLANE_PORT; resolves with the server and its base URL. */
export async function startHttpServer(config: ApiConfig, deps: HttpDeps): Promise<{ app: FastifyInstance; url: string; close(): Promise<void> }> {
  const app = buildHttpServer(config, deps);
  await app.listen({ host: config.host, port: config.port });
  const a = app.server.address();
  const port = typeof a === 'object' && a ? a.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  // The first line as before (its url is GET /clients; tests and scripts read it), then the rest.
  deps.log.info({ url: `${url}/clients` }, 'status endpoint listening');
  deps.log.info({ ui: `${url}/`, api: `${url}/api/v1/openapi.json`, auth: config.adminToken || config.clientTokens.size > 0 ? 'tokens' : 'loopback only' }, 'web UI and API listening');
  return {
    app,
    url,
    close: async () => {
      endLiveStreams(app);
      await app.close();
    },
  };
}

export type { Principal };
