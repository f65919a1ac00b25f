import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Env, readInt, readString } from '../config/env';
import { Logger } from '../log/logger';
import { replyHealthz } from './healthz';
import { registry } from './metrics';

export interface MetricsServerConfig {
  /** METRICS_PORT: 9464 by default; 0 picks a free port (workers spawned as processes); -1 turns it off. */
  port: number;
  host: string;
}

export function loadMetricsConfig(env: Env, defaultPort = 9464): MetricsServerConfig {
  return {
    port: readInt(env, 'METRICS_PORT', defaultPort, { min: -1, max: 65535 }),
    host: readString(env, 'METRICS_HOST', '0.0.0.0'),
  };
}

/**
 * Serves `/metrics` (Prometheus text format) and `/healthz` (200 while `problems()` is empty, else
 * 503 naming them). Resolves with the server, or undefined when turned off.
 */
export async function startMetricsServer(config: MetricsServerConfig, log: Logger, problems: () => readonly string[] = () => []): Promise<Server | undefined> {
  if (config.port < 0) return undefined;
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        },
        (err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(err.message);
        },
      );
      return;
    }
    if (req.method === 'GET' && req.url === '/healthz') return replyHealthz(res, problems());
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: `no route ${req.method} ${req.url}; try GET /metrics or /healthz` }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  server.unref();
  log.info({ port: (server.address() as AddressInfo).port }, 'metrics on /metrics, health on /healthz');
  return server;
}
