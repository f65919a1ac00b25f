import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Server as NodeServer } from 'node:http';
import Fastify, { FastifyError, FastifyInstance } from 'fastify';
import type { Service } from '../domain/service';
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

/** The control plane's HTTP server as a {@link Service}: `url` is known once started. */
export interface HttpServer extends Service {
  readonly app: FastifyInstance;
  /** Base URL, http://host:port (after start). */
  readonly url: string;
  /** The same as shutdown (kept for callers of before the contract). */
  close(): Promise<void>;
}

/** The control plane's HTTP server, not listening yet: `start()` listens on CONTROL_PLANE_HOST:CONTROL_PLANE_PORT. */
export function createHttpServer(config: ApiConfig, deps: HttpDeps): HttpServer {
  const app = buildHttpServer(config, deps);
  let url = '';
  let started: Promise<void> | undefined;
  let stopped: Promise<void> | undefined;
  const shutdown = () => {
    stopped ??= started
      ? started.then(
          () => (endLiveStreams(app), app.close()),
          () => undefined,
        )
      : Promise.resolve();
    return stopped;
  };
  return {
    app,
    get url() {
      return url;
    },
    start: () => {
      if (stopped) return Promise.reject(new Error('the HTTP server cannot start after shutdown'));
      started ??= app.listen({ host: config.host, port: config.port }).then(() => {
        const a = app.server.address();
        const port = typeof a === 'object' && a ? a.port : config.port;
        const host = config.host.includes(':') ? `[${config.host}]` : config.host;
        url = `http://${host}:${port}`;
        // The first line as before (its url is GET /clients; tests and scripts read it), then the rest.
        deps.log.info({ url: `${url}/clients` }, 'status endpoint listening');
        deps.log.info({ ui: `${url}/`, api: `${url}/api/v1/openapi.json`, auth: config.adminToken || config.clientTokens.size > 0 ? 'tokens' : 'loopback only' }, 'web UI and API listening');
      });
      return started;
    },
    shutdown,
    close: shutdown,
  };
}

/** Listens on CONTROL_PLANE_HOST:CONTROL_PLANE_PORT; resolves with the started server and its base URL. */
export async function startHttpServer(config: ApiConfig, deps: HttpDeps): Promise<HttpServer> {
  const server = createHttpServer(config, deps);
  await server.start();
  return server;
}

/**
 * A node HTTP server (the webhook receiver's) as a {@link Service}: `start()` listens; `shutdown()`
 * stops accepting, closes idle connections and resolves once the requests under way are answered
 * (safe without start). `stopped` resolves then too, so the runner can wait for it as for a source.
 */
export function nodeHttpService(server: NodeServer, port: number, host: string): Service & { readonly stopped: Promise<void>; readonly listening: boolean; address(): ReturnType<NodeServer['address']> } {
  let started: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  let markStopped!: () => void;
  const stopped = new Promise<void>((r) => (markStopped = r));
  return {
    stopped,
    get listening() {
      return server.listening;
    },
    address: () => server.address(),
    start: () => {
      if (stopping) return Promise.reject(new Error('the HTTP server cannot start after shutdown'));
      started ??= new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      return started;
    },
    shutdown: () => {
      stopping ??= (started ?? Promise.resolve())
        .then(
          () =>
            server.listening
              ? new Promise<void>((resolve) => {
                  server.close(() => resolve());
                  server.closeIdleConnections();
                })
              : undefined,
          () => undefined,
        )
        .then(() => markStopped());
      return stopping;
    },
  };
}

export type { Principal };
