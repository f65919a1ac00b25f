import Kafka from 'node-rdkafka';
import { firstValueFrom, lastValueFrom, mergeMap, of, delay, tap, takeWhile, toArray, take, timer, map } from 'rxjs';
import { KafkaSink } from '../../src/kafka/kafkaSink';
import { KafkaSource } from '../../src/kafka/kafkaSource';
import { loadKafkaConnection, librdkafkaBase } from '../../src/kafka/kafkaConfig';
import { SourceRecord } from '../../src/kafka/record';
import { deleteTopic } from '../../src/kafka/admin';
import { componentLogger } from '../../src/log/logger';

const connection = loadKafkaConnection(process.env, 'kgroot-test');
const log = componentLogger('test-kafka-source');
const run = Date.now().toString(36);
const PARTITIONS = 4;

async function createTopic(name: string, partitions = PARTITIONS): Promise<void> {
  const admin = Kafka.AdminClient.create(librdkafkaBase(connection) as never);
  await new Promise<void>((resolve, reject) =>
    admin.createTopic({ topic: name, num_partitions: partitions, replication_factor: 1 }, 30_000, (err) => (err ? reject(err) : resolve())),
  );
  admin.disconnect();
}

/** Produces `perPartition` records to each partition; value "p:seq" padded to 400 bytes. */
async function fill(sink: KafkaSink, topic: string, perPartition: number): Promise<void> {
  const pad = 'x'.repeat(400);
  const chunk: Promise<unknown>[] = [];
  for (let seq = 0; seq < perPartition; seq++) {
    for (let p = 0; p < PARTITIONS; p++) {
      const head = `${p}:${seq}:`;
      chunk.push(sink.send({ topic, partition: p, key: `k${p}`, value: Buffer.from(head + pad.slice(head.length)), headers: { h: `v${seq}` } }));
    }
    if (chunk.length >= 20_000) await Promise.all(chunk.splice(0));
  }
  await Promise.all(chunk);
}

function seqOf(r: SourceRecord): [number, number] {
  const [p, s] = r.value!.toString('utf8', 0, 24).split(':');
  return [Number(p), Number(s)];
}

describe('KafkaSource on the real broker', () => {
  let sink: KafkaSink;
  const topics: string[] = [];

  beforeAll(async () => {
    sink = await KafkaSink.connect({ connection }, log);
  });
  afterAll(async () => {
    await sink.close();
    for (const t of topics) await deleteTopic(connection, t).catch(() => undefined);
  });

  it('delivers 50,000 records in per-partition order with a slow downstream, never holding more than maxInFlight unacked', async () => {
    const topic = `it-source-order-${run}`;
    topics.push(topic);
    await createTopic(topic);
    const perPartition = 12_500;
    await fill(sink, topic, perPartition);

    const maxInFlight = 500;
    const source = new KafkaSource({ connection, groupId: `it-order-${run}`, topics: [topic], maxInFlight, batchSize: 200 }, log);
    const nextSeq = new Array(PARTITIONS).fill(0);
    let outOfOrder = 0;
    let held = 0;
    let maxHeld = 0;
    let badHeaders = 0;
    let seen = 0;
    const total = perPartition * PARTITIONS;

    await lastValueFrom(
      source.records$.pipe(
        tap((r) => {
          const [p, s] = seqOf(r);
          if (p !== r.partition || s !== nextSeq[p]) outOfOrder++;
          nextSeq[p] = s + 1;
          if (r.headers.h?.toString() !== `v${s}`) badHeaders++;
          held++;
          maxHeld = Math.max(maxHeld, held);
        }),
        // A slow downstream that takes every record it is given and finishes them out of order:
        // without backpressure in the source, `held` would grow to the whole topic.
        mergeMap((r) => of(r).pipe(delay(5 + ((r.offset * 7919) % 20)))),
        tap((r) => {
          held--;
          r.ack();
          seen++;
        }),
        takeWhile(() => seen < total),
      ),
    );
    await source.closed;

    expect(seen).toBe(total);
    expect(outOfOrder).toBe(0);
    expect(badHeaders).toBe(0);
    expect(nextSeq).toEqual(new Array(PARTITIONS).fill(perPartition));
    expect(maxHeld).toBeLessThanOrEqual(maxInFlight);
    expect(source.stats().maxInFlightSeen).toBeLessThanOrEqual(maxInFlight);
    // The downstream was held at (or within a fetch's timing of) the bound, so it is the source's
    // limit that held it back. Exactly 500 failed once in CI at 499: an ack landed between two fetches.
    expect(maxHeld).toBeGreaterThanOrEqual(maxInFlight * 0.9);
    // Everything acknowledged was committed: the stored offset of each partition is its end.
    for (let p = 0; p < PARTITIONS; p++) expect(source.stats().stored[`${topic}/${p}`]).toBe(perPartition);
  });

  it('after a stop with an unacknowledged tail, redelivers exactly from the first unacked record and never an acknowledged one', async () => {
    const topic = `it-source-restart-${run}`;
    topics.push(topic);
    await createTopic(topic);
    const perPartition = 2_000;
    await fill(sink, topic, perPartition);
    const group = `it-restart-${run}`;
    const ackedBelow = 1_200; // per partition, seq < 1200 are acked in order
    const acked = new Set<string>();
    // Some records past the gap finish early: at-least-once allows them back, the prefix may not come back.
    const earlyAcks = new Set([1_300, 1_301, 1_500]);

    const first = new KafkaSource({ connection, groupId: group, topics: [topic], maxInFlight: 4_000, batchSize: 500 }, log);
    const heldTail: SourceRecord[] = [];
    const receivedPer = new Array(PARTITIONS).fill(0);
    await lastValueFrom(
      first.records$.pipe(
        tap((r) => {
          const [, s] = seqOf(r);
          receivedPer[r.partition]++;
          if (s < ackedBelow || earlyAcks.has(s)) {
            r.ack();
            if (s < ackedBelow) acked.add(`${r.partition}:${r.offset}`);
          } else heldTail.push(r);
        }),
        takeWhile(() => receivedPer.some((n) => n < 1_600)),
      ),
    );
    await first.closed; // unsubscribed with an unacknowledged tail: commit and disconnect
    expect(acked.size).toBe(PARTITIONS * ackedBelow);

    const second = new KafkaSource({ connection, groupId: group, topics: [topic], maxInFlight: 2_000 }, log);
    const firstSeqPerPartition = new Map<number, number>();
    const redelivered: SourceRecord[] = await lastValueFrom(
      second.records$.pipe(
        tap((r) => {
          if (!firstSeqPerPartition.has(r.partition)) firstSeqPerPartition.set(r.partition, seqOf(r)[1]);
          r.ack();
        }),
        take(PARTITIONS * (perPartition - ackedBelow)),
        toArray(),
      ),
    );
    await second.closed;

    const backAgain = redelivered.filter((r) => acked.has(`${r.partition}:${r.offset}`));
    expect(backAgain).toHaveLength(0);
    for (let p = 0; p < PARTITIONS; p++) expect(firstSeqPerPartition.get(p)).toBe(ackedBelow);
    const seqs = new Set(redelivered.map((r) => `${r.partition}:${seqOf(r)[1]}`));
    for (let p = 0; p < PARTITIONS; p++) {
      for (let s = ackedBelow; s < perPartition; s++) expect(seqs.has(`${p}:${s}`)).toBe(true);
    }
  });

  it('shares partitions with a second member under cooperative-sticky, delivering every record at least once and none acked by the first member twice', async () => {
    const topic = `it-source-rebalance-${run}`;
    topics.push(topic);
    await createTopic(topic);
    const perPartition = 3_000;
    await fill(sink, topic, perPartition);
    const group = `it-rebalance-${run}`;
    const byMember: Array<Map<string, number>> = [new Map(), new Map()];
    const make = (i: number) => {
      // Small per-partition fetches interleave the partitions, so the ones that move carry progress.
      const src = new KafkaSource(
        { connection, groupId: group, topics: [topic], maxInFlight: 300, batchSize: 100, extra: { 'max.partition.fetch.bytes': 16_384 } },
        log,
      );
      const done = src.records$.pipe(
        // A slowish consumer, so the second member joins while the first is mid-stream.
        mergeMap((r) => timer(20).pipe(map(() => r)), 20),
        tap((r) => {
          const id = `${r.partition}:${r.offset}`;
          byMember[i].set(id, (byMember[i].get(id) ?? 0) + 1);
          r.ack();
        }),
      );
      return { src, done };
    };
    const a = make(0);
    const total = PARTITIONS * perPartition;
    const subA = a.done.subscribe();
    // Let member 0 own everything and store progress on every partition, then add member 1.
    await waitFor(() => {
      const stored = a.src.stats().stored;
      return Array.from({ length: PARTITIONS }, (_, p) => stored[`${topic}/${p}`] ?? 0).every((o) => o >= 100);
    }, 60_000);
    const b = make(1);
    const subB = b.done.subscribe();
    await waitFor(() => new Set([...byMember[0].keys(), ...byMember[1].keys()]).size >= total && b.src.stats().assignment.length > 0, 120_000);
    const assignedA = a.src.stats().assignment;
    const assignedB = b.src.stats().assignment;
    const storedByA = a.src.stats().stored;
    subA.unsubscribe();
    subB.unsubscribe();
    await Promise.all([a.src.closed, b.src.closed]);

    const union = new Set([...byMember[0].keys(), ...byMember[1].keys()]);
    expect(union.size).toBe(total);
    // Both members held partitions at the end, and no partition was held by both.
    expect(assignedB.length).toBeGreaterThan(0);
    expect(assignedA.length).toBeGreaterThan(0);
    expect(assignedA.filter((id) => assignedB.includes(id))).toEqual([]);
    // On every partition member 1 took over, it started at or after the offset member 0 had stored
    // (and librdkafka committed on revoke): nothing member 0 finished and stored came back.
    for (const tp of assignedB) {
      const p = Number(tp.split('/')[1]);
      const storedA = storedByA[tp] ?? 0;
      const offsetsB = [...byMember[1].keys()].filter((id) => id.startsWith(`${p}:`)).map((id) => Number(id.split(':')[1]));
      expect(storedA).toBeGreaterThanOrEqual(100);
      // Either member 1 continued after member 0's stored offset, or member 0 had already finished it.
      if (offsetsB.length > 0) expect(Math.min(...offsetsB)).toBeGreaterThanOrEqual(storedA);
      else expect(storedA).toBe(perPartition);
    }
  });

  it('stop() completes records$, and the teardown commits what was acknowledged', async () => {
    const topic = `it-source-stop-${run}`;
    topics.push(topic);
    await createTopic(topic, 1);
    await Promise.all(Array.from({ length: 1000 }, (_, i) => sink.send({ topic, partition: 0, key: 'k', value: Buffer.from(`0:${i}:`) })));
    const group = `it-stop-${run}`;
    const src = new KafkaSource({ connection, groupId: group, topics: [topic], maxInFlight: 100 }, log);
    let n = 0;
    const all = await lastValueFrom(
      src.records$.pipe(
        tap((r) => {
          n++;
          r.ack();
          if (n === 400) src.stop();
        }),
        toArray(),
      ),
    );
    await src.closed;
    expect(all.length).toBeGreaterThanOrEqual(400);
    // Whatever was delivered before the stop was acknowledged; a new member starts right after it.
    const next = new KafkaSource({ connection, groupId: group, topics: [topic], maxInFlight: 100 }, log);
    const firstAfter = await firstValueFrom(next.records$);
    firstAfter.ack();
    await next.closed;
    expect(firstAfter.offset).toBe(all.length);
  });
});

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const started = Date.now();
  while (!cond()) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
