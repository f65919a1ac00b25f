/**
 * The cost of counting each log line once (issue 16): the graph builder's Event write of 500-line
 * batches into one aggregated log Event (one pod, one template, one window) as it grows to 10,000
 * lines, with the line ids it keeps (`line_ids`, a replay adds nothing), beside the same batches
 * written without ids (the former count, which added replayed lines again) in the same run; then a
 * replay of the last batch. Real Neo4j (NEO4J_URI, default the local stack's).
 *
 *   npm run build && node dist/perf/logLines.js
 */
import neo4j from 'neo4j-driver';
import type { NormalizedLog } from '../src/avro/normalizedCodec';
import { eventBatchWrite } from '../src/graph/cypher';
import { aggregateErrorLogs, EventRow } from '../src/graph/eventRows';
import { PerfResult, Row, writeResult } from './perfResult';

const BATCH = 500;
const BATCHES = 20;
const T0 = Date.parse('2026-12-01T10:00:00Z');

/** A Vector line of one pod's connection error: one template, all in one 60 s window. */
const line = (i: number): NormalizedLog => ({
  log_id: `7f3e9c1a-0b2d-4e5f-8a6b-${String(i).padStart(12, '0')}`, timestamp: T0 + (i % 6000) * 10, level: 'error',
  message: `dial tcp 10.0.${i % 250}.5:5432: connect: connection refused`, pod: 'api-7d9f8c6b5-x2k4q', namespace: 'shop', container: 'api', node: 'node-1', stream: 'stderr',
  template_id: 'a1b2c3d4', template: 'dial tcp <*>:5432: connect: connection refused', error_class: 'ConnectionRefused',
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const driver = neo4j.driver(process.env.NEO4J_URI ?? 'bolt://127.0.0.1:7687');
  const run = Date.now().toString(36);
  const clients = { ids: `perf-loglines-${run}-ids`, plain: `perf-loglines-${run}-plain` };
  const rowsOf = (b: number, withIds: boolean): EventRow[] =>
    aggregateErrorLogs(Array.from({ length: BATCH }, (_, j) => line(b * BATCH + j)), 60_000).map((r) => {
      if (withIds) return r;
      const { lids: _drop, ...rest } = r;
      return rest;
    });
  const write = async (client: string, batch: string, rows: EventRow[]) => {
    const s = eventBatchWrite(client, batch, rows);
    const t = process.hrtime.bigint();
    await driver.executeQuery(s.text, s.params);
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  const ms = { ids: [] as number[], plain: [] as number[] };
  try {
    // Alternate the two, batch by batch, so background load affects both alike.
    for (let b = 0; b < BATCHES; b++) {
      ms.plain.push(await write(clients.plain, `p${b}`, rowsOf(b, false)));
      ms.ids.push(await write(clients.ids, `i${b}`, rowsOf(b, true)));
    }
    const replayPlain = await write(clients.plain, 'pr', rowsOf(BATCHES - 1, false));
    const replayIds = await write(clients.ids, 'ir', rowsOf(BATCHES - 1, true));
    const count = async (client: string) => Number((await driver.executeQuery('MATCH (e:Event {client: $client}) RETURN e.count AS n', { client })).records[0].get('n'));
    const [countIds, countPlain] = [await count(clients.ids), await count(clients.plain)];
    const lines = BATCH * BATCHES;
    const first = (xs: number[]) => median(xs.slice(1, BATCHES / 2));
    const last = (xs: number[]) => median(xs.slice(BATCHES / 2));
    const rows: Row[] = [
      { what: `without line ids (the former count), batches 2–${BATCHES / 2} (baseline)`, p50Ms: first(ms.plain) },
      { what: `with line ids, batches 2–${BATCHES / 2} (Event of 500–5,000 lines)`, p50Ms: first(ms.ids), vsBaseline: first(ms.plain) / first(ms.ids) },
      { what: `without line ids, batches ${BATCHES / 2 + 1}–${BATCHES} (baseline)`, p50Ms: last(ms.plain) },
      { what: `with line ids, batches ${BATCHES / 2 + 1}–${BATCHES} (Event of 5,000–10,000 lines)`, p50Ms: last(ms.ids), vsBaseline: last(ms.plain) / last(ms.ids) },
      { what: 'replay of the last batch, without line ids (baseline)', p50Ms: replayPlain, note: `count ${countPlain.toLocaleString('en')} for ${lines.toLocaleString('en')} lines` },
      { what: 'replay of the last batch, with line ids', p50Ms: replayIds, vsBaseline: replayPlain / replayIds, note: `count ${countIds.toLocaleString('en')} for ${lines.toLocaleString('en')} lines` },
    ];
    const result: PerfResult = {
      name: 'logLines',
      title: `Log line counts under replay: ${BATCHES} batches of ${BATCH} lines into one aggregated log Event`,
      command: 'npm run build && node dist/perf/logLines.js',
      rows,
      notes: ['p50 ms = median time of one batch\'s Event write (one statement, one transaction) on the real Neo4j; the two variants alternate batch by batch.'],
    };
    writeResult(result);
  } finally {
    for (const client of Object.values(clients)) await driver.executeQuery('MATCH (n {client: $client}) DETACH DELETE n', { client }).catch(() => undefined);
    await driver.close();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
