import { firstValueFrom, from, map, of, timer, toArray } from 'rxjs';
import { unresolvedRecords, WORKER_TOPICS } from '../../../pipelines/tenancy/unresolvedRecords';
import { DLQ_HEADERS } from '../../../src/kafka/deadLetter';
import { OutRecord, SourceRecord } from '../../../src/kafka/record';
import { fixtureAsRecord, loadAgentFixtures } from '../../support/agentFixtures';

const onWorkerTopics = (): Array<SourceRecord & { ack: jest.Mock }> =>
  loadAgentFixtures()
    .filter((r) => WORKER_TOPICS.includes(r.topic))
    .map((r, i) => ({ ...fixtureAsRecord(r, i), ack: jest.fn() }));

async function run(recs: SourceRecord[], defaultClient?: string) {
  const sent: OutRecord[] = [];
  const effects = await firstValueFrom(
    unresolvedRecords({ records$: from(recs) }, { send: (o) => (sent.push(o), of({ topic: o.topic, partition: 0, offset: sent.length })) }, defaultClient ? { defaultClient } : {}).pipe(toArray()),
  );
  return { sent, effects };
}

describe('records that name no client are dead-lettered once, by one component', () => {
  it('without DEFAULT_CLIENT_ID: the bare-uid exporter events and null-key raw logs, each with the reason; the rest acked', async () => {
    const recs = onWorkerTopics();
    const { sent, effects } = await run(recs);
    const expected = recs.filter((r) => r.key === null || !r.key.toString().includes('::'));
    expect(expected.map((r) => r.topic).sort()).toEqual([...Array(4).fill('events.normalized'), 'raw.k8s.events', ...Array(5).fill('raw.k8s.logs')].sort());
    expect(sent).toHaveLength(expected.length);
    expect(effects.map((e) => e.offset)).toEqual(expected.map((r) => r.offset));
    expect(sent.every((o) => o.topic === 'dlq.raw' && o.headers![DLQ_HEADERS.component] === 'unresolved-records')).toBe(true);
    const reasons = sent.map((o) => String(o.headers![DLQ_HEADERS.error]));
    expect(reasons.filter((r) => /^no client: the record on raw\.k8s\.logs has no key, and DEFAULT_CLIENT_ID is unset/.test(r))).toHaveLength(5);
    expect(reasons.filter((r) => /^no client: the key "[0-9a-f-]{36}" on (events\.normalized|raw\.k8s\.events) names no client/.test(r))).toHaveLength(5);
    for (const r of recs) expect(r.ack).toHaveBeenCalledTimes(1);
  });

  it('with DEFAULT_CLIENT_ID every agent record resolves; a key with an invalid client id still does not', async () => {
    const recs = onWorkerTopics();
    expect((await run(recs, 'solo')).sent).toEqual([]);
    const bad = { ...recs[0], key: Buffer.from('Bad_Client::event::x'), ack: jest.fn() };
    const { sent } = await run([bad], 'solo');
    expect(sent.map((o) => o.headers![DLQ_HEADERS.error])).toEqual([expect.stringMatching(/^invalid client id in key "Bad_Client::event::x"/)]);
    expect(bad.ack).toHaveBeenCalledTimes(1);
  });
});

describe('unresolvedRecords under a backlog', () => {
  it('acks 20,000 records behind slow dead-letter writes without overflowing the stack', async () => {
    const recs = onWorkerTopics();
    const many: SourceRecord[] = [];
    for (let i = 0; i < 20_000; i++) many.push({ ...recs[i % recs.length], offset: i, ack: jest.fn() } as SourceRecord);
    let sends = 0;
    const effects = await firstValueFrom(
      unresolvedRecords({ records$: from(many) }, { send: (o) => (sends++, timer(0).pipe(map(() => ({ topic: o.topic, partition: 0, offset: sends })))) }, {}, 2).pipe(toArray()),
    );
    const unresolved = many.filter((r) => r.key === null || !r.key.toString().includes('::')).length;
    expect(effects).toHaveLength(unresolved);
    for (const r of many) expect(r.ack).toHaveBeenCalledTimes(1);
  });
});
