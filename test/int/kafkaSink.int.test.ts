import { deadLetter, deadLetterIdentity, scanDeadLetters } from '../../src/kafka/deadLetter';
import { ensureTopics } from '../../src/kafka/admin';
import { KafkaSink } from '../../src/kafka/kafkaSink';
import { TOPICS } from '../../src/kafka/topics';
import { componentLogger } from '../../src/log/logger';
import { createTestTopic, readTopic, testConnection, uniqueName } from '../support/kafkaTest';

const log = componentLogger('test-kafka-sink');

describe('KafkaSink on the real broker', () => {
  it('waits instead of throwing when the local queue is full, and every record is delivered exactly once', async () => {
    const topic = uniqueName('it-sink-queue');
    await createTestTopic(topic, 2);
    // A tiny local queue: 5,000 concurrent sends must overflow it many times.
    const sink = await KafkaSink.connect({ connection: testConnection, queueMaxMessages: 50 }, log);
    const n = 5_000;
    const deliveries = await Promise.all(Array.from({ length: n }, (_, i) => sink.send({ topic, key: `k${i % 7}`, value: Buffer.from(`v${i}`) })));
    const stats = sink.stats();
    await sink.close();
    expect(stats.queueFullRetries).toBeGreaterThan(0);
    expect(stats.delivered).toBe(n);
    expect(new Set(deliveries.map((d) => `${d.partition}:${d.offset}`)).size).toBe(n);
    const back = await readTopic(topic, n);
    expect(new Set(back.map((r) => r.value!.toString())).size).toBe(n);
  });

  it('rejects with the broker or client reason instead of losing the record silently', async () => {
    const topic = uniqueName('it-sink-reject');
    await createTestTopic(topic, 1);
    const sink = await KafkaSink.connect({ connection: { ...testConnection, maxMessageBytes: 10_000 } }, log);
    await expect(sink.send({ topic, key: 'k', value: Buffer.alloc(50_000) })).rejects.toThrow(/too large/i);
    const ok = await sink.send({ topic, key: 'k', value: Buffer.from('fine') });
    expect(ok.topic).toBe(topic);
    await sink.close();
    await expect(sink.send({ topic, key: 'k', value: Buffer.from('late') })).rejects.toThrow(/closing/);
  });

  it('close() flushes what is queued: records sent without awaiting are all on the broker afterwards', async () => {
    const topic = uniqueName('it-sink-flush');
    await createTestTopic(topic, 1);
    const sink = await KafkaSink.connect({ connection: testConnection, lingerMs: 500 }, log);
    const pending = Array.from({ length: 300 }, (_, i) => sink.send({ topic, key: 'k', value: Buffer.from(`f${i}`) }));
    await sink.close();
    await Promise.all(pending);
    const back = await readTopic(topic, 300);
    expect(back.map((r) => r.value!.toString())).toEqual(Array.from({ length: 300 }, (_, i) => `f${i}`));
  });

  it('dedupeDeadLetters: a restarted sink replaying the same source records writes no second dead letter, and a new one once', async () => {
    await ensureTopics(testConnection, log, [TOPICS.dlqRaw]);
    const since = Date.now() - 1000;
    // The source records of a worker that was killed after writing their dead letters, before committing.
    const component = uniqueName('it-dlq-writer');
    const rec = (offset: number) => ({ topic: 'raw.k8s.events', partition: 4, offset, key: Buffer.from(`acme::event::${component}-${offset}`), value: Buffer.from('{"kind":"Event","metadata":{"na'), headers: {}, timestamp: since });
    const before = await KafkaSink.connect({ connection: testConnection, dedupeDeadLetters: true }, log);
    await Promise.all([17, 18].map((o) => before.send(deadLetter(rec(o), component, 'invalid JSON: Unterminated string in JSON at position 31'))));
    await before.close();
    // The restart replays 17 and 18, then goes on with 19.
    const after = await KafkaSink.connect({ connection: testConnection, dedupeDeadLetters: true }, log);
    const replayed = await Promise.all([17, 18, 19, 19].map((o) => after.send(deadLetter(rec(o), component, 'invalid JSON: Unterminated string in JSON at position 31'))));
    const stats = after.stats();
    await after.close();
    expect(replayed.map((d) => d.partition >= 0)).toEqual([false, false, true, false]);
    expect(stats.deadLettersSkipped).toBe(3);
    const copies = new Map<string, number>();
    await scanDeadLetters(testConnection, since, (d) => {
      if (d.headers['kg.component']?.toString() !== component) return;
      const id = deadLetterIdentity(d.topic, d.headers)!;
      copies.set(id, (copies.get(id) ?? 0) + 1);
    });
    expect([...copies.entries()].sort()).toEqual([17, 18, 19].map((o) => [`dlq.raw|${component}|raw.k8s.events|4|${o}|${since}`, 1]));
  });
});
