import { spawnSync } from 'node:child_process';
import Kafka from 'node-rdkafka';
import { lastValueFrom, take, timeout, toArray } from 'rxjs';
import { librdkafkaBase } from '../../src/kafka/kafkaConfig';
import { KafkaSource } from '../../src/kafka/kafkaSource';
import { componentLogger } from '../../src/log/logger';
import { createTestTopic, testConnection, uniqueName } from '../support/kafkaTest';

const log = componentLogger('compression-test');
const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;

/** Produces `values` with librdkafka's compression.codec = `codec` through node-rdkafka's own producer. */
async function produceCompressed(topic: string, codec: string, values: string[]): Promise<void> {
  const producer = new Kafka.Producer({ ...librdkafkaBase(testConnection), 'compression.codec': codec, dr_cb: true, 'linger.ms': 20 } as never);
  await new Promise<void>((resolve, reject) => producer.connect({}, (err) => (err ? reject(err) : resolve())));
  let delivered = 0;
  const done = new Promise<void>((resolve, reject) =>
    producer.on('delivery-report', (err) => {
      if (err) reject(err);
      else if (++delivered === values.length) resolve();
    }),
  );
  producer.setPollInterval(10);
  for (const [i, v] of values.entries()) producer.produce(topic, 0, Buffer.from(v), `k${i}`);
  await done;
  await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
}

async function consumeAll(topic: string, n: number): Promise<string[]> {
  // A build without the codec fails every pull ("Local: Not implemented"): 5 failures end the test with that message.
  const source = new KafkaSource({ connection: testConnection, groupId: uniqueName('compression'), topics: [topic], maxConsumeFailures: 5 }, log);
  const records = await lastValueFrom(source.records$.pipe(timeout({ each: 30_000 }), take(n), toArray()));
  for (const r of records) r.ack();
  await source.closed;
  return records.map((r) => String(r.value));
}

/**
 * The real agent's state-watcher sends zstd (../shared/KG-RCA-AGENT.md). node-rdkafka built without
 * libzstd-dev cannot read it: every pull failed with "Local: Not implemented" and the shared
 * consumers (control plane, topology builder) stalled for every client. .ci/run installs the codec
 * libraries before `npm ci` builds librdkafka.
 */
describe('compressed batches', () => {
  it('this librdkafka has every codec Kafka has', () => {
    expect(Kafka.features).toEqual(expect.arrayContaining(['gzip', 'snappy', 'lz4', 'zstd']));
  });

  it.each(CODECS)('%s batches produced by node-rdkafka are read by KafkaSource', async (codec) => {
    const topic = uniqueName(`kgt-codec-${codec}`);
    await createTestTopic(topic, 1);
    const values = Array.from({ length: 50 }, (_, i) => JSON.stringify({ kind: 'Pod', metadata: { name: `web-${i}`, namespace: 'shop' }, pad: 'x'.repeat(200) }));
    await produceCompressed(topic, codec, values);
    expect(await consumeAll(topic, values.length)).toEqual(values);
  });

  it('zstd produced by kcat (as the agent does) is read by KafkaSource', async () => {
    const topic = uniqueName('kgt-codec-kcat');
    await createTestTopic(topic, 1);
    const lines = Array.from({ length: 20 }, (_, i) => `acme::Pod::shop/web-${i}\t{"i":${i}}`);
    const r = spawnSync('kcat', ['-P', '-b', testConnection.brokers, '-t', topic, '-K', '\t', '-X', 'compression.codec=zstd'], { input: lines.join('\n') + '\n', encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(await consumeAll(topic, lines.length)).toEqual(lines.map((l) => l.split('\t')[1]));
  });
});
