import { mkdtempSync, writeFileSync } from 'node:fs';
import { Server } from 'node:http';
import { AddressInfo, connect } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../src/config/env';
import { alertRecordsOfWebhook } from '../../../src/http/alertmanagerPayload';
import { loadWebhookConfig } from '../../../src/http/webhookConfig';
import { createWebhookServer } from '../../../src/http/webhookServer';
import { OutRecord } from '../../../src/kafka/record';
import { componentLogger } from '../../../src/log/logger';

const alert = { status: 'firing', labels: { alertname: 'X', pod: 'p' }, annotations: {}, startsAt: '2024-05-01T10:00:00Z', fingerprint: 'aaaa000011112222' };
const body = (alerts: unknown[]) => Buffer.from(JSON.stringify({ version: '4', receiver: 'kg', alerts }));

describe('alertRecordsOfWebhook', () => {
  it('makes one alerts.raw record per alert with the client in the key only', () => {
    const r = alertRecordsOfWebhook(body([alert, { ...alert, fingerprint: undefined, labels: { alertname: 'Y' } }]), 'acme');
    if (!r.ok) throw new Error(r.error);
    expect(r.records.map((x) => [x.topic, x.key])).toEqual([
      ['alerts.raw', 'acme::alert::aaaa000011112222'],
      ['alerts.raw', expect.stringMatching(/^acme::alert::[0-9a-f]{16}$/)],
    ]);
    expect(r.records[0].value!.toString()).not.toContain('acme');
  });
  it.each([
    ['not json', Buffer.from('{'), /not valid JSON/],
    ['array', Buffer.from('[]'), /must be a JSON object/],
    ['version', Buffer.from(JSON.stringify({ version: 3, alerts: [alert] })), /version must be "4"/],
    ['empty', body([]), /alerts is empty/],
    ['bad alert', body([alert, { ...alert, startsAt: 'x' }]), /alerts\[1\]\.startsAt/],
    ['a 200 KB pod label', body([{ ...alert, labels: { ...alert.labels, pod: 'p'.repeat(200 * 1024) } }]), /^alerts\[0\]\.labels\.pod is 204800 characters \(at most 1024\)$/],
    ['a year-9999 alert', body([{ ...alert, startsAt: '9999-12-31T00:00:00Z' }]), /^alerts\[0\]\.startsAt 9999-12-31T00:00:00\.000Z is more than a day after/],
    ['RFC 2822 startsAt', body([{ ...alert, startsAt: 'Wed, 01 May 2024 10:00:00 GMT' }]), /alerts\[0\]\.startsAt must be an RFC 3339 time/],
  ])('rejects %s naming the problem', (_, b, re) => {
    const r = alertRecordsOfWebhook(b, 'acme');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(re);
  });
});

describe('loadWebhookConfig', () => {
  it('reads tokens from the variable and the file, the file winning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kgwh-'));
    const file = join(dir, 'tokens');
    writeFileSync(file, '# tokens\nacme=from-file-123\n\nbeta=beta-token-1\n');
    const c = loadWebhookConfig({ WEBHOOK_TOKENS: 'acme=from-env-123, gamma=gamma-token', WEBHOOK_TOKENS_FILE: file, WEBHOOK_PORT: '0' });
    expect([...c.tokens]).toEqual([['acme', 'from-file-123'], ['gamma', 'gamma-token'], ['beta', 'beta-token-1']]);
    expect(c.port).toBe(0);
  });
  it('names the variable of a bad entry', () => {
    expect(() => loadWebhookConfig({ WEBHOOK_TOKENS: 'Acme=longenough' })).toThrow(ConfigError);
    expect(() => loadWebhookConfig({ WEBHOOK_TOKENS: 'acme=short' })).toThrow(/WEBHOOK_TOKENS: the token of acme is shorter/);
    expect(() => loadWebhookConfig({ WEBHOOK_TOKENS: 'acme' })).toThrow(/not client=token/);
  });
});

describe('webhook server (fake send)', () => {
  let server: Server;
  let base: string;
  const sent: OutRecord[] = [];
  let fail = false;
  beforeAll(async () => {
    server = createWebhookServer(
      { host: '127.0.0.1', port: 0, maxBodyBytes: 1000, tokens: new Map([['acme', 'token-acme-1']]) },
      {
        send: async (r) => {
          if (fail) throw new Error('broker down');
          sent.push(r);
          return { topic: r.topic, partition: 0, offset: sent.length };
        },
        log: componentLogger('webhook-test'),
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const post = (path: string, b: Buffer | string, token?: string) =>
    fetch(base + path, { method: 'POST', body: b, headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('202 after the sends resolved; 503 when Kafka refuses; nothing sent for rejected requests', async () => {
    expect((await post('/webhooks/alertmanager/acme', body([alert]), 'token-acme-1')).status).toBe(202);
    expect(sent).toHaveLength(1);
    expect((await post('/webhooks/alertmanager/acme', body([alert]))).status).toBe(401);
    expect((await post('/webhooks/alertmanager/acme', body([alert]), 'token-wrong')).status).toBe(403);
    expect((await post('/webhooks/alertmanager/zeta', body([alert]), 'token-acme-1')).status).toBe(403);
    expect((await post('/webhooks/alertmanager/acme', Buffer.alloc(2000, 'x'), 'token-acme-1')).status).toBe(413);
    expect((await post('/webhooks/alertmanager/acme', '{', 'token-acme-1')).status).toBe(400);
    expect((await fetch(base + '/webhooks/alertmanager/acme')).status).toBe(405);
    expect((await fetch(base + '/nowhere')).status).toBe(404);
    expect((await fetch(base + '/healthz')).status).toBe(200);
    expect(sent).toHaveLength(1);
    fail = true;
    const res = await post('/webhooks/alertmanager/acme', body([alert]), 'token-acme-1');
    fail = false;
    expect(res.status).toBe(503);
  });
});

describe('webhook server: hostile requests', () => {
  let server: Server;
  let port: number;
  const lines: Array<{ level: number; msg: string }> = [];
  beforeAll(async () => {
    const stream = new Writable({ write: (chunk, _enc, cb) => (lines.push(JSON.parse(String(chunk))), cb()) });
    server = createWebhookServer(
      { host: '127.0.0.1', port: 0, maxBodyBytes: 100_000, tokens: new Map([['acme', 'token-acme-1']]) },
      { send: async (r) => ({ topic: r.topic, partition: 0, offset: 0 }), log: pino({ level: 'debug' }, stream) },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it.each([['%zz'], ['%E2%82'], ['acme%']])('a broken escape in the path (%s) is a 400 naming it, not a 500', async (segment) => {
    const res = await fetch(`http://127.0.0.1:${port}/webhooks/alertmanager/${segment}`, { method: 'POST', body: body([alert]), headers: { authorization: 'Bearer token-acme-1' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/invalid percent-encoding/);
  });

  it('a client closing its connection mid-body logs no error, and the server keeps serving', async () => {
    const before = lines.length;
    await new Promise<void>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => {
        s.write('POST /webhooks/alertmanager/acme HTTP/1.1\r\nhost: x\r\nauthorization: Bearer token-acme-1\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n{"version":"4","alerts":[');
        setTimeout(() => s.destroy(), 50);
      });
      s.on('close', () => resolve());
      s.on('error', reject);
    });
    // The server sees the close on its side shortly after; wait for its log line.
    for (let i = 0; i < 100 && !lines.slice(before).some((l) => /closed the connection/.test(l.msg)); i++) await new Promise((r) => setTimeout(r, 20));
    const logged = lines.slice(before);
    expect(logged.map((l) => l.msg)).toContain('webhook: client closed the connection before the body ended');
    expect(logged.filter((l) => l.level >= 50)).toEqual([]);
    const ok = await fetch(`http://127.0.0.1:${port}/webhooks/alertmanager/acme`, { method: 'POST', body: body([alert]), headers: { authorization: 'Bearer token-acme-1' } });
    expect(ok.status).toBe(202);
  });
});
