import { firstValueFrom, from, map, of, timer, toArray } from 'rxjs';
import { UnresolvedEffect, unresolvedRecords, WORKER_TOPICS } from '../../../pipelines/tenancy/unresolvedRecords';
import { DLQ_HEADERS } from '../../../src/kafka/deadLetter';
import { OutRecord, SourceRecord } from '../../../src/kafka/record';
import { fixtureAsRecord, loadAgentFixtures } from '../../support/agentFixtures';
import { settledBy } from '../../support/settlement';

// The pipeline never acknowledges: an ack here would be a bug (the runner acks what the effects settle).
const onWorkerTopics = (): SourceRecord[] =>
  loadAgentFixtures()
    .filter((r) => WORKER_TOPICS.includes(r.topic))
    .map((r, i) => ({ ...fixtureAsRecord(r, i), ack: () => { throw new Error('acked by the pipeline'); } }));
const deadLettered = (effects: UnresolvedEffect[]) => effects.flatMap((e) => (e.kind === 'unresolved/dead-lettered' ? [e] : []));

async function run(recs: SourceRecord[], defaultClient?: string) {
  const sent: OutRecord[] = [];
  const effects = await firstValueFrom(
    unresolvedRecords({ records$: from(recs) }, { send: (o) => (sent.push(o), of({ topic: o.topic, partition: 0, offset: sent.length })) }, defaultClient ? { defaultClient } : {}).pipe(toArray()),
  );
  return { sent, effects };
}

describe('records that name no client are dead-lettered once, by one component', () => {
  it('without DEFAULT_CLIENT_ID: the bare-uid exporter events and null-key raw logs, each with the reason; the rest settled at once', async () => {
    const recs = onWorkerTopics();
    const { sent, effects } = await run(recs);
    const expected = recs.filter((r) => r.key === null || !r.key.toString().includes('::'));
    expect(expected.map((r) => r.topic).sort()).toEqual([...Array(4).fill('events.normalized'), 'raw.k8s.events', ...Array(5).fill('raw.k8s.logs')].sort());
    expect(sent).toHaveLength(expected.length);
    expect(deadLettered(effects).map((e) => e.offset)).toEqual(expected.map((r) => r.offset));
    // Each dead letter settles its record; every other record is settled by an `unresolved/resolved` effect.
    expect(deadLettered(effects).map((e) => e.settles)).toEqual(expected.map((r) => [r]));
    expect(effects.filter((e) => e.kind === 'unresolved/resolved').map((e) => e.settles[0])).toEqual(recs.filter((r) => !expected.includes(r)));
    expect(sent.every((o) => o.topic === 'dlq.raw' && o.headers![DLQ_HEADERS.component] === 'unresolved-records')).toBe(true);
    const reasons = sent.map((o) => String(o.headers![DLQ_HEADERS.error]));
    expect(reasons.filter((r) => /^no client: the record on raw\.k8s\.logs has no key, and DEFAULT_CLIENT_ID is unset/.test(r))).toHaveLength(5);
    expect(reasons.filter((r) => /^no client: the key "[0-9a-f-]{36}" on (events\.normalized|raw\.k8s\.events) names no client/.test(r))).toHaveLength(5);
    expect(settledBy<SourceRecord>(effects).sort((a, b) => a.offset - b.offset)).toEqual(recs);
  });

  it('with DEFAULT_CLIENT_ID every agent record resolves; a key with an invalid client id still does not', async () => {
    const recs = onWorkerTopics();
    expect((await run(recs, 'solo')).sent).toEqual([]);
    const bad = { ...recs[0], key: Buffer.from('Bad_Client::event::x') };
    const { sent, effects } = await run([bad], 'solo');
    expect(sent.map((o) => o.headers![DLQ_HEADERS.error])).toEqual([expect.stringMatching(/^invalid client id in key "Bad_Client::event::x"/)]);
    expect(effects).toEqual([expect.objectContaining({ kind: 'unresolved/dead-lettered', settles: [bad] })]);
  });
});

describe('unresolvedRecords under a backlog', () => {
  it('settles 20,000 records behind slow dead-letter writes without overflowing the stack', async () => {
    const recs = onWorkerTopics();
    const many: SourceRecord[] = [];
    for (let i = 0; i < 20_000; i++) many.push({ ...recs[i % recs.length], offset: i });
    let sends = 0;
    const effects = await firstValueFrom(
      unresolvedRecords({ records$: from(many) }, { send: (o) => (sends++, timer(0).pipe(map(() => ({ topic: o.topic, partition: 0, offset: sends })))) }, {}, 2).pipe(toArray()),
    );
    const unresolved = many.filter((r) => r.key === null || !r.key.toString().includes('::')).length;
    expect(deadLettered(effects)).toHaveLength(unresolved);
    // Each record settled exactly once.
    expect(settledBy<SourceRecord>(effects).map((r) => r.offset).sort((a, b) => a - b)).toEqual(many.map((r) => r.offset));
  });
});
