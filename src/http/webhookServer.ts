import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { CLIENT_ID_RULE, validateClientId } from '../domain/clientId';
import { Delivered, OutRecord } from '../kafka/record';
import { Logger } from '../log/logger';
import { alertRecordsOfWebhook } from './alertmanagerPayload';
import { replyHealthz } from '../metrics/healthz';
import { WebhookConfig } from './webhookConfig';

export interface WebhookDeps {
  /** Produces one record; resolves on its delivery report. */
  send: (record: OutRecord) => Promise<Delivered>;
  log: Logger;
}

const ROUTE = /^\/webhooks\/alertmanager\/([^/?#]+)\/?$/;

function reply(res: ServerResponse, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sameToken(given: string, expected: string): boolean {
  // Hash both so the comparison is constant-time whatever the lengths.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** What reading a body gave: the bytes, more than the limit, or nothing (the client went away mid-body). */
type Body = { kind: 'body'; bytes: Buffer } | { kind: 'too-large' } | { kind: 'aborted' };

/** Reads the body up to `limit` bytes. A client closing its connection mid-body is not an error of ours. */
function readBody(req: IncomingMessage, limit: number): Promise<Body> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const settle = (b: Body) => {
      if (done) return;
      done = true;
      chunks.length = 0;
      resolve(b);
    };
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > limit) return settle({ kind: 'too-large' });
      chunks.push(c);
    });
    req.on('end', () => settle({ kind: 'body', bytes: Buffer.concat(chunks) }));
    // 'error' (ECONNRESET "aborted") and 'close' before 'end': the client is gone.
    req.on('error', () => settle({ kind: 'aborted' }));
    req.on('close', () => settle({ kind: 'aborted' }));
  });
}

/** The client id of a path segment, or null when its percent-encoding is broken (`%zz`, a truncated UTF-8 escape). */
function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/**
 * The HTTP handler: `POST /webhooks/alertmanager/{client}` with a bearer token → alerts.raw,
 * `GET /healthz`. Answers 202 only once every record's delivery report arrived; 400 (bad client id
 * or body, with a JSON error naming the problem), 401 (no token), 403 (wrong token), 404, 405,
 * 413 (body over the limit), 503 (Kafka refused).
 */
export function webhookHandler(config: WebhookConfig, deps: WebhookDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void handle(req, res).catch((err: unknown) => {
      deps.log.error({ err: (err as Error).message }, 'webhook handler failed');
      reply(res, 500, { error: 'internal error' });
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, { error: 'use GET' }, { allow: 'GET, HEAD' });
      return replyHealthz(res, []);
    }
    const m = ROUTE.exec(path);
    if (!m) return reply(res, 404, { error: `no route ${path}; POST /webhooks/alertmanager/{client}` });
    if (req.method !== 'POST') return reply(res, 405, { error: 'use POST' }, { allow: 'POST' });
    const client = decodeSegment(m[1]);
    if (client === null) return reply(res, 400, { error: `invalid percent-encoding in the path: ${JSON.stringify(m[1].slice(0, 100))}` });
    const check = validateClientId(client);
    if (!check.ok) return reply(res, 400, { error: `invalid client id in the path: ${check.reason} (rule: ${CLIENT_ID_RULE})` });
    const auth = req.headers.authorization;
    if (!auth || !/^Bearer\s+\S+/i.test(auth)) {
      return reply(res, 401, { error: 'missing bearer token: send Authorization: Bearer <token>' }, { 'www-authenticate': 'Bearer' });
    }
    const expected = config.tokens.get(client);
    if (expected === undefined || !sameToken(auth.replace(/^Bearer\s+/i, '').trim(), expected)) {
      deps.log.warn({ client, remote: req.socket.remoteAddress }, 'webhook rejected: wrong token');
      return reply(res, 403, { error: `token not valid for client ${client}` });
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > config.maxBodyBytes) {
      reply(res, 413, { error: `body of ${declared} bytes is over the limit of ${config.maxBodyBytes}` }, { connection: 'close' });
      req.destroy();
      return;
    }
    const body = await readBody(req, config.maxBodyBytes);
    if (body.kind === 'aborted') {
      deps.log.info({ client, remote: req.socket.remoteAddress }, 'webhook: client closed the connection before the body ended');
      return;
    }
    if (body.kind === 'too-large') {
      reply(res, 413, { error: `body is over the limit of ${config.maxBodyBytes} bytes` }, { connection: 'close' });
      req.destroy();
      return;
    }
    const parsed = alertRecordsOfWebhook(body.bytes, client);
    if (!parsed.ok) return reply(res, 400, { error: parsed.error });
    try {
      await Promise.all(parsed.records.map((r) => deps.send(r)));
    } catch (err) {
      deps.log.error({ client, err: (err as Error).message }, 'webhook: Kafka did not acknowledge');
      return reply(res, 503, { error: `Kafka did not acknowledge the alerts: ${(err as Error).message}` }, { 'retry-after': '5' });
    }
    deps.log.info({ client, alerts: parsed.records.length }, 'alerts accepted');
    reply(res, 202, { accepted: parsed.records.length, keys: parsed.records.map((r) => String(r.key)) });
  }
}

export function createWebhookServer(config: WebhookConfig, deps: WebhookDeps): Server {
  const server = createServer(webhookHandler(config, deps));
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  return server;
}
