import { AddressInfo } from 'node:net';
import { Server } from 'node:http';
import { fingerprintOf } from '../../src/graph/alert';
import { createWebhookServer } from '../../src/http/webhookServer';
import { deleteTopic, ensureTopics } from '../../src/kafka/admin';
import { KafkaSink } from '../../src/kafka/kafkaSink';
import { KafkaSource } from '../../src/kafka/kafkaSource';
import { SourceRecord } from '../../src/kafka/record';
import { connection, log, uniqueId, waitFor } from '../fixtures/graph/harness';

/**
 * The webhook receiver on a real port and the real broker (records redirected to a unique topic
 * so the count is this run's): good bodies → one record per alert and 202 after the delivery
 * reports; bad bodies and bad tokens → the right status and nothing written.
 */
describe('webhook receiver', () => {
  const client = uniqueId('w');
  const other = uniqueId('x');
  const topic = `kgt-${client}-alerts`;
  let sink: KafkaSink;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    await ensureTopics(connection, log, [{ name: topic, key: '', compacted: false, retentionMs: 3_600_000, partitions: 1 }]);
    sink = await KafkaSink.connect({ connection }, log);
    const tokens = new Map([[client, 'secret-token-a'], [other, 'secret-token-b']]);
    server = createWebhookServer({ host: '127.0.0.1', port: 0, maxBodyBytes: 4096, tokens }, { send: (r) => sink.send({ ...r, topic }), log });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await sink?.close();
    await deleteTopic(connection, topic).catch(() => undefined);
  });

  const alert = (name: string, fingerprint?: string) => ({
    status: 'firing',
    labels: { alertname: name, service: 'web', namespace: 'shop' },
    annotations: { summary: name },
    startsAt: '2024-05-01T10:01:00Z',
    endsAt: '0001-01-01T00:00:00Z',
    ...(fingerprint ? { fingerprint } : {}),
  });
  const payload = (alerts: unknown[]) => JSON.stringify({ version: '4', groupKey: 'g', status: 'firing', receiver: 'kgroot', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://am', alerts });

  async function post(path: string, body: string, token?: string): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(base + path, { method: 'POST', body, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  it('answers every bad request with the right status and writes only the good alerts', async () => {
    const path = `/webhooks/alertmanager/${client}`;
    const good = await post(path, payload([alert('WebUnavailable', 'abcdef0123456789'), alert('WebSlow')]), 'secret-token-a');
    expect(good.status).toBe(202);
    const computed = fingerprintOf(alert('WebSlow').labels);
    expect(good.json).toEqual({ accepted: 2, keys: [`${client}::alert::abcdef0123456789`, `${client}::alert::${computed}`] });

    const cases: Array<[string, Promise<{ status: number; json: Record<string, unknown> }>, number, RegExp]> = [
      ['no token', post(path, payload([alert('A')])), 401, /missing bearer token/],
      ['wrong token', post(path, payload([alert('A')]), 'nope-nope-nope'), 403, /token not valid/],
      ["another client's token", post(path, payload([alert('A')]), 'secret-token-b'), 403, /token not valid/],
      ['invalid JSON', post(path, '{"version": "4", alerts: [', 'secret-token-a'), 400, /not valid JSON/],
      ['wrong version', post(path, JSON.stringify({ version: '3', alerts: [alert('A')] }), 'secret-token-a'), 400, /version must be "4"/],
      ['alerts missing', post(path, JSON.stringify({ version: '4' }), 'secret-token-a'), 400, /alerts must be an array/],
      ['one bad alert', post(path, payload([alert('A'), { ...alert('B'), labels: { service: 'web' } }]), 'secret-token-a'), 400, /alerts\[1\]\.labels\.alertname is required/],
      ['bad status', post(path, payload([{ ...alert('A'), status: 'on fire' }]), 'secret-token-a'), 400, /alerts\[0\]\.status/],
      ['oversize', post(path, payload([alert('A'.repeat(5000))]), 'secret-token-a'), 413, /over the limit/],
      ['invalid client id', post('/webhooks/alertmanager/Bad_Client', payload([alert('A')]), 'secret-token-a'), 400, /invalid client id/],
      ['unknown path', post('/webhooks/other/x', payload([alert('A')]), 'secret-token-a'), 404, /no route/],
    ];
    for (const [what, p, status, error] of cases) {
      const res = await p;
      expect({ what, status: res.status }).toEqual({ what, status });
      expect(String(res.json.error)).toMatch(error);
    }
    const health = await fetch(base + '/healthz');
    expect(health.status).toBe(200);

    // Exactly the two good alerts reached Kafka.
    const source = new KafkaSource({ connection, groupId: `webhook-test-${client}`, topics: [topic] }, log);
    const seen: SourceRecord[] = [];
    const sub = source.records$.subscribe((r) => {
      seen.push(r);
      r.ack();
    });
    await waitFor('records', async () => seen.length, (n) => n >= 2);
    await new Promise((r) => setTimeout(r, 2000));
    sub.unsubscribe();
    await source.closed;
    expect(seen.map((r) => r.key!.toString()).sort()).toEqual([`${client}::alert::abcdef0123456789`, `${client}::alert::${computed}`].sort());
    const value = JSON.parse(seen.find((r) => r.key!.toString().endsWith(computed))!.value!.toString());
    expect(value).toMatchObject({ status: 'firing', labels: { alertname: 'WebSlow' }, fingerprint: computed });
  });
});
