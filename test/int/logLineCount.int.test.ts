import neo4j, { Driver } from 'neo4j-driver';
import type { NormalizedLog } from '../../src/avro/normalizedCodec';
import { eventBatchWrite } from '../../src/graph/cypher';
import { aggregateErrorLogs } from '../../src/graph/eventRows';
import { uniqueName } from '../support/kafkaTest';

/**
 * The graph builder's Event write on the real Neo4j: a log Event counts each line (log_id) once,
 * however often its records are re-read (a log normalizer's replay writes the same lines to
 * logs.normalized again; a restarted graph builder re-reads what it had not committed).
 */
describe('log line counts under replay (real Neo4j)', () => {
  let driver: Driver;
  const client = uniqueName('it-loglines');
  beforeAll(() => (driver = neo4j.driver(process.env.NEO4J_URI ?? 'bolt://127.0.0.1:7687')));
  afterAll(async () => {
    await driver.executeQuery('MATCH (n {client: $client}) DETACH DELETE n', { client }).catch(() => undefined);
    await driver.close();
  });

  const T0 = Date.parse('2026-12-01T10:00:00Z');
  // Vector lines of one pod: the same connection error to the database, 5 s apart, one template.
  const line = (i: number): NormalizedLog => ({
    log_id: `7f3e9c1a-0b2d-4e5f-8a6b-${String(i).padStart(12, '0')}`, timestamp: T0 + i * 5000, level: 'error',
    message: `dial tcp 10.0.${i}.5:5432: connect: connection refused`, pod: 'api-7d9f8c6b5-x2k4q', namespace: 'shop', container: 'api', node: 'node-1', stream: 'stderr',
    template_id: 'a1b2c3d4', template: 'dial tcp <*>:5432: connect: connection refused', error_class: 'ConnectionRefused',
  });
  const write = async (batch: string, lines: NormalizedLog[]) => {
    const s = eventBatchWrite(client, batch, aggregateErrorLogs(lines, 60_000));
    await driver.executeQuery(s.text, s.params);
  };
  const counts = async () => {
    const r = await driver.executeQuery("MATCH (e:Event {client: $client}) WHERE e.source = 'log' RETURN e.count AS n, size(e.line_ids) AS ids ORDER BY e.ts", { client });
    return r.records.map((x) => [Number(x.get('n')), Number(x.get('ids'))]);
  };

  it('adds only the lines it has not counted: replayed batches (whole, in part, mixed with new lines) add nothing twice', async () => {
    // Lines 0..11 fall in the first minute, 12..15 in the second: two Events.
    const all = Array.from({ length: 16 }, (_, i) => line(i));
    await write('b1', all.slice(0, 8));
    expect(await counts()).toEqual([[8, 8]]);
    // The same 8 again (a replay), then 4..11 (half replayed, half new), then a batch holding one line twice.
    await write('b2', all.slice(0, 8));
    await write('b3', all.slice(4, 12));
    await write('b4', [all[12], all[13], all[12], all[14], all[15], all[15]]);
    expect(await counts()).toEqual([[12, 12], [4, 4]]);
  });
});
