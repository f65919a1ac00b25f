/**
 * The fault matrix of issue 16 as a benchmark: the same cases as test/int/faultMatrix.int.test.ts
 * on a Kafka and a Neo4j of its own, one row per fault (records in, records out: graph + dlq.raw,
 * duplicates absorbed, time to recover), beside a no-fault run of the same stream whose
 * "recovery" is its catch-up from the same point.
 *
 *   npm run build && PERF_KEEP=1 node dist/perf/run.js faults
 *   FAULT_RECORDS (5000), FAULT_NEO4J_DOWN_SECONDS (60)
 */
import { FaultMatrix, FaultResult, matrixOptions } from '../test/support/faultMatrix';
import { PerfResult, Row, writeResult } from './perfResult';

async function main(): Promise<void> {
  const options = matrixOptions();
  const matrix = new FaultMatrix(options);
  const rows: Row[] = [];
  const notes: string[] = [];
  let baseline: FaultResult | undefined;
  const row = (r: FaultResult) => {
    const out = r.reachedGraph + r.deadLettered;
    rows.push({
      what: r.fault,
      seconds: r.recoverMs / 1000,
      ...(baseline && r !== baseline ? { vsBaseline: baseline.recoverMs / r.recoverMs } : {}),
      note: `in ${r.recordsIn.toLocaleString('en')}; out ${out.toLocaleString('en')} (graph ${r.reachedGraph.toLocaleString('en')} + DLQ ${r.deadLettered}); lost ${r.lost}; duplicates absorbed ${r.duplicates.toLocaleString('en')}${r.extraNodes ? `; ${r.extraNodes} extra nodes` : ''}${r.notes.length ? `; ${r.notes.join('; ')}` : ''}`,
    });
  };
  try {
    await matrix.start();
    baseline = await matrix.noFault();
    row(baseline);
    for (const role of ['event-normalizer', 'log-normalizer', 'graph-builder'] as const) row(await matrix.killWorker(role));
    row(await matrix.killTopologyBuilder());
    row(await matrix.neo4jDown());
    row(await matrix.brokerRestart());
    row(await matrix.killControlPlane());
    row(await matrix.registrationFlood(40));
    await matrix.switchToRouted();
    row(await matrix.killRouter());
    await matrix.switchToPooled();
    for (const role of ['event-normalizer-pool', 'graph-builder-pool'] as const) row(await matrix.killPool(role));
  } finally {
    await matrix.stop();
  }
  notes.push(`Each case: ${options.records.toLocaleString('en')} records of 2 clients (1 in 100 truncated, as an agent cut at its size limit sends them, so dead-lettered), half before the fault, half after it; the fault lands once a fifth of the first half is in the graph.`);
  notes.push('seconds = time to recover: from the end of the fault (the kill, the service back, the restart) until every acknowledged record is in the graph (Event by eid; Pod resources; for logs, logs.normalized) or in dlq.raw. vsBaseline = the no-fault catch-up from the same point ÷ this time.');
  notes.push('Duplicates absorbed: rows the graph builders wrote for events they already had (offsets replayed by a restart), for logs the extra logs.normalized copies, for Pods the topology builder\'s upserts beyond the distinct objects; MERGE by key leaves one node each (no extra node in any case).');
  notes.push('The topology builder, the router and the pools (WORKER_MODE=pooled) are shared components without a supervisor in this run: the benchmark restarts them right after the kill, as compose or systemd would; per-client workers are restarted by the control plane\'s process spawner.');
  const result: PerfResult = {
    name: 'faults',
    title: `Fault matrix: ${options.records.toLocaleString('en')} records per fault, every record in the graph or the DLQ`,
    command: 'npm run build && PERF_KEEP=1 node dist/perf/run.js faults',
    rows,
    notes,
  };
  writeResult(result);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
