import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Subject, Subscription } from 'rxjs';
import { graphBuilder } from '../../pipelines/graphBuilder/graphBuilder';
import { WrittenBatch } from '../../pipelines/alertEnricher/alertEnricher';
import { decodeEnrichedAlert } from '../../src/avro/enrichedCodec';
import { encodeNormalizedEvent } from '../../src/avro/normalizedCodec';
import { alertDelivery$, DeliveryConfig, DeliveryEffect, recordInto, reportingWrites } from '../../src/delivery/alertDelivery';
import { answerFor } from '../../src/delivery/answerSource';
import { formatKey, formatNormalizedKey } from '../../src/domain/keys';
import { KafkaSink } from '../../src/kafka/kafkaSink';
import { KafkaSource } from '../../src/kafka/kafkaSource';
import { alertEnrichedSeconds } from '../../src/metrics/metrics';
import { GraphStore } from '../../src/neo4j/graphStore';
import { isTransientGraphError } from '../../src/neo4j/neo4jErrors';
import { ALERT, EVENTS, OBJECTS } from '../fixtures/graph/incident';
import { connection, connectStore, createTestTopics, deleteTestTopics, log, runTopologyBuilder, TestTopics, uniqueId, waitFor } from '../fixtures/graph/harness';
import { deleteClientGraph } from '../fixtures/delivery/incidentGraph';
import { drainTopic } from '../support/kafkaTest';
import { settled } from '../../src/runner/settle';

/**
 * alerts.enriched and notifications on the real Kafka and Neo4j: the graph builder pipeline writes
 * the alert with only part of its evidence, the enricher publishes at once; the OOM event arriving
 * later changes the top cause (revision 2); the alert resolving is revision 3. A Slack-format
 * webhook on loopback gets each revision (its first try answered 503 and retried); a webhook that
 * is down gets its notifications dead-lettered with the reason.
 */
describe('alerts.enriched publisher and notifier (graph builder process)', () => {
  const run = uniqueId('');
  const client = `${run}e`;
  let topics: TestTopics;
  let store: GraphStore;
  let sink: KafkaSink;
  let receiver: Server;
  let receiverUrl: string;
  const received: Array<Record<string, any>> = [];
  let refusedOnce = false;
  let closedPort = 0;

  const delivery = (webhookUrl: string): DeliveryConfig => ({
    enricher: { debounceMs: 300, stopAfterResolvedMs: 60_000 },
    publicUrl: 'https://kgroot.example.com',
    webhookUrl,
    format: 'slack',
    maxAttempts: 3,
    timeoutMs: 2000,
    initialBackoffMs: 100,
    maxBackoffMs: 400,
  });

  beforeAll(async () => {
    topics = await createTestTopics(run);
    store = await connectStore();
    sink = await KafkaSink.connect({ connection }, log);
    await store.prepareClient(client);
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (!refusedOnce) {
          refusedOnce = true;
          res.writeHead(503).end();
          return;
        }
        received.push(JSON.parse(body));
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/slack`;
    for (const o of OBJECTS) await sink.send({ topic: topics.resources, key: formatKey(client, o.kind, o.id), value: Buffer.from(JSON.stringify(o.object)) });
    const topo = runTopologyBuilder(store, sink, topics, `topology-${run}`);
    await waitFor('topology', () => store.counts(client), (n) => n.resources === 5 && n.topology === 4);
    await topo.stop();
  });

  afterAll(async () => {
    await new Promise((r) => receiver?.close(r));
    await deleteClientGraph(store, client).catch(() => undefined);
    await sink?.close();
    await store?.close();
    await deleteTestTopics(topics);
  });

  it('publishes within seconds of the write, republishes on a new top cause and on resolve, and notifies', async () => {
    const source = new KafkaSource({ connection, groupId: `graph-builder-${run}`, topics: [topics.events, topics.logs, topics.alerts], maxInFlight: 2000 }, log);
    const written = new Subject<WrittenBatch>();
    const effects: DeliveryEffect[] = [];
    const downEffects: DeliveryEffect[] = [];
    const graph = graphBuilder(
      { records$: source.records$ },
      { writeEvents: reportingWrites((b) => store.writeEvents$(b), written), send: (o) => sink.send$({ ...o, topic: topics.dlq }), isTransient: isTransientGraphError },
      { client, topics: { events: topics.events, logs: topics.logs, alerts: topics.alerts }, maxBatchMs: 50 },
    )
      .pipe(settled())
      .subscribe();
    const deps = { client, reader: store, record: recordInto(store, client), answer: answerFor, send: (o: Parameters<KafkaSink['send$']>[0]) => sink.send$(o), log, topics: { enriched: topics.topology, dlq: topics.dlq } };
    // The second delivery posts to a port nothing listens on: everything it publishes is dead-lettered.
    const subs: Subscription[] = [
      graph,
      alertDelivery$(written, deps, delivery(receiverUrl)).subscribe((e) => effects.push(e)),
      alertDelivery$(written, { ...deps, topics: { enriched: topics.logs, dlq: topics.dlq } }, delivery(`http://127.0.0.1:${closedPort}/down`)).subscribe((e) => downEffects.push(e)),
    ];
    // The alert with only the BackOff and Unhealthy evidence; OOMKilled arrives later.
    const send = async (i: number) => sink.send({ topic: topics.events, key: formatNormalizedKey(client, 'evt', EVENTS[i].event_id), value: encodeNormalizedEvent(EVENTS[i]) });
    await send(2);
    await send(3);
    await sink.send({ topic: topics.alerts, key: formatKey(client, 'alert', ALERT.fingerprint), value: Buffer.from(JSON.stringify(ALERT)) });
    const published = () => effects.filter((e): e is Extract<DeliveryEffect, { kind: 'published' }> => e.kind === 'published');
    await waitFor('revision 1', async () => published().length, (n) => n >= 1, 30_000);
    // Before the OOM arrives the top cause is one of the pod's symptoms (the ranking of src/rca puts the
    // probe failure first); the OOM replaces it in revision 2.
    const firstTop = published()[0].answer.causes[0].eid;
    expect(['evt:backoff-1', 'evt:unhealthy-1']).toContain(firstTop);
    await send(0);
    await waitFor('revision 2', async () => published().length, (n) => n >= 2, 30_000);
    expect(published()[1]).toMatchObject({ revision: 2, why: 'evidence' });
    expect(published()[1].answer.causes[0].eid).toBe('evt:oom-1');
    await sink.send({ topic: topics.alerts, key: formatKey(client, 'alert', ALERT.fingerprint), value: Buffer.from(JSON.stringify({ ...ALERT, status: 'resolved', endsAt: '2024-05-01T10:09:00Z' })) });
    await waitFor('revision 3', async () => published().length, (n) => n >= 3, 30_000);
    expect(published()[2]).toMatchObject({ revision: 3, status: 'resolved', why: 'alert' });
    await waitFor('three notifications', async () => received.length, (n) => n >= 3, 30_000);
    await waitFor('three dead letters', async () => downEffects.filter((e) => e.kind === 'notify-dead-lettered').length, (n) => n >= 3, 30_000);
    source.stop();
    await source.closed;
    written.complete();
    for (const s of subs) s.unsubscribe();

    // On the topic: Avro values, key {client}::alert::{fingerprint}, no client id inside.
    const records = await drainTopic(topics.topology, 2000);
    expect(records.map((r) => r.key?.toString())).toEqual([1, 2, 3].map(() => `${client}::alert::${ALERT.fingerprint}`));
    const values = records.map((r) => decodeEnrichedAlert(r.value as Buffer));
    expect(values.map((v) => [v.revision, v.status, v.causes[0].eid])).toEqual([
      [1, 'firing', firstTop],
      [2, 'firing', 'evt:oom-1'],
      [3, 'resolved', 'evt:oom-1'],
    ]);
    expect(values[1].causes[0].path[values[1].causes[0].path.length - 1].eid).toBe(values[1].alert_eid);
    for (const r of records) expect((r.value as Buffer).includes(Buffer.from(client))).toBe(false);

    // The latency of the first publication (batch handed to the write → acknowledged), as measured.
    const first = published()[0].latencyMs as number;
    expect(first).toBeGreaterThan(0);
    const hist = (await alertEnrichedSeconds.get()).values.find((v) => (v as { metricName?: string }).metricName === 'kgroot_alert_enriched_seconds_count' && v.labels.client === client);
    expect(hist?.value).toBeGreaterThanOrEqual(1);
    log.info({ firstPublicationMs: first }, 'alert written → alerts.enriched latency');

    // The last publication's summary on the alert node, which the incident list reads.
    const [node] = await store.incidents(client, 5, null);
    expect(node).toMatchObject({ enrichedRevision: 3, enrichedStatus: 'resolved', status: 'resolved', faultType: 'oom', topEid: 'evt:oom-1', topReason: 'OOMKilled', topResource: 'Pod/shop/web-7d9-abc' });

    // Slack bodies, retried past the first 503.
    expect(effects.filter((e) => e.kind === 'notify-retry')).toHaveLength(1);
    expect(received.map((b) => b.text)).toEqual([
      `[${client}] WebUnavailable firing: root cause ${firstTop === 'evt:backoff-1' ? 'BackOff' : 'Unhealthy'} on Pod/shop/web-7d9-abc`,
      `[${client}] WebUnavailable firing: root cause OOMKilled on Pod/shop/web-7d9-abc`,
      `[${client}] WebUnavailable resolved: root cause OOMKilled on Pod/shop/web-7d9-abc`,
    ]);
    expect(received[1].blocks.find((b: any) => b.type === 'actions').elements[0].url).toBe(`https://kgroot.example.com/#/clients/${client}/incidents/${ALERT.fingerprint}`);

    // The unreachable webhook: each revision dead-lettered once, with the reason.
    const dead = (await drainTopic(topics.dlq, 2000)).filter((r) => r.headers['kg.component']?.toString() === 'notifier');
    expect(dead).toHaveLength(3);
    expect(dead.map((r) => r.headers['kg.error']?.toString())).toEqual([1, 2, 3].map(() => 'webhook unreachable after 3 attempts: ECONNREFUSED'));
    expect(dead.map((r) => r.headers['kg.revision']?.toString()).sort()).toEqual(['1', '2', '3']);
  });
});
