/**
 * rca answer latency on a graph with many events: a day of one cluster (9 nodes, 30 apps, 300 pods)
 * with 60,000 noise events (back-offs, probe failures, kills, mounts, pulls, warnings, at random
 * times) and 200 OOM incidents (OOMKilled on a pod, its BackOff 40 s later, KubePodCrashLooping 16
 * minutes after the kill), written through GraphStore.writeEvents$ (the graph builder's writer);
 * then `answerAlert` for every alert from one GraphStore, one after the other. Baseline: the
 * previous ranking statement (`rootCauses` in src/graph/cypher.ts: paths ≤ 4 hops, product of
 * confidences) for the same alerts. Rank 1 = the incident's OOMKilled is counted as a sanity check
 * (this is no labelled corpus: the corpus helper's `npm run perf -- rca` measures accuracy).
 *
 *   npm run build && node dist/perf/rcaAnswer.js
 */
import { lastValueFrom } from 'rxjs';
import { rootCauses } from '../src/graph/cypher';
import { EventRow, eventRowOfAlert } from '../src/graph/eventRows';
import { categorizeK8sEvent } from '../src/graph/causalRules';
import { componentLogger } from '../src/log/logger';
import { GraphStore } from '../src/neo4j/graphStore';
import { loadNeo4jConfig } from '../src/neo4j/neo4jConfig';
import { answerAlert, listIncidents } from '../src/rca/answer';
import { seededRandom } from '../src/simulator/seededRandom';
import { gridTopology } from '../src/simulator/gridTopology';
import { percentile, writeResult } from './perfResult';

const log = componentLogger('perf-rca-answer');
const DAY = 86_400_000;
const T0 = Date.parse('2026-11-30T00:00:00Z');
const NODES = 9;
const APPS = 30;
const PODS = 300;
const NOISE = 60_000;
const INCIDENTS = 200;


const NOISE_REASONS: Array<[string, string]> = [
  ['BackOff', 'Warning'], ['Unhealthy', 'Warning'], ['Killing', 'Normal'], ['Pulled', 'Normal'], ['Started', 'Normal'], ['FailedMount', 'Warning'], ['FailedSync', 'Warning'], ['Evicted', 'Warning'],
];

function podName(p: number): string {
  return `app${p % APPS}-${p}`;
}

function row(eid: string, reason: string, type: string, ts: number, pod: number): EventRow {
  const name = podName(pod);
  return {
    eid, source: 'k8s', reason, category: categorizeK8sEvent(reason, type, null, '', 'Pod'), severity: type === 'Warning' ? 'warning' : 'info', message: reason,
    ts, last_ts: ts, count: 1, detail: null, rid: `Pod/perf/${name}`, kind: 'Pod', namespace: 'perf', name,
  };
}

async function main(): Promise<void> {
  const r = seededRandom(7);
  const client = `perfrca${Date.now().toString(36)}`;
  const store = await GraphStore.connect(loadNeo4jConfig({ ...process.env, GRAPH_ISOLATION: process.env.GRAPH_ISOLATION ?? 'auto' }), log);
  await store.prepareClient(client);
  const topo = gridTopology({ namespace: 'perf', nodes: NODES, apps: APPS, pods: PODS });
  for (let i = 0; i < topo.length; i += 2000) await lastValueFrom(store.writeTopology$({ client, upserts: topo.slice(i, i + 2000), deletes: [] }));

  const rows: EventRow[] = [];
  for (let i = 0; i < NOISE; i++) {
    const [reason, type] = NOISE_REASONS[Math.floor(r() * NOISE_REASONS.length)];
    rows.push(row(`evt:n${i}`, reason, type, T0 + Math.floor(r() * DAY), Math.floor(r() * PODS)));
  }
  const truth: Array<{ fp: string; root: string }> = [];
  for (let k = 0; k < INCIDENTS; k++) {
    const pod = Math.floor(r() * PODS);
    const t = T0 + Math.floor(r() * (DAY - 3_600_000));
    rows.push(row(`state:oom${k}`, 'OOMKilled', 'Warning', t, pod), row(`evt:bo${k}`, 'BackOff', 'Warning', t + 40_000, pod));
    const fp = `fa${k.toString(16).padStart(14, '0')}`;
    const labels = { alertname: 'KubePodCrashLooping', namespace: 'perf', pod: podName(pod), container: 'app', service: 'kube-state-metrics', severity: 'warning' };
    rows.push(eventRowOfAlert({ status: 'firing', labels, annotations: {}, startsAt: new Date(t + 16 * 60_000).toISOString(), fingerprint: fp }));
    truth.push({ fp, root: `state:oom${k}` });
  }
  rows.sort((a, b) => a.ts - b.ts);
  const writeStart = performance.now();
  for (let i = 0; i < rows.length; i += 2000) await lastValueFrom(store.writeEvents$({ client, rows: rows.slice(i, i + 2000) }));
  const writeS = (performance.now() - writeStart) / 1000;
  const counts = await store.counts(client);

  // Warm-up: a few answers, untimed.
  for (const t of truth.slice(0, 5)) await answerAlert(store, client, t.fp);
  const lat: number[] = [];
  let top1 = 0;
  let top3 = 0;
  let candidates = 0;
  const started = performance.now();
  for (const t of truth) {
    const s = performance.now();
    const a = await answerAlert(store, client, t.fp, { rank: { limit: 1000 } });
    lat.push(performance.now() - s);
    candidates += a.causes.length;
    const at = a.causes.findIndex((c) => c.eid === t.root);
    if (at === 0) top1++;
    if (at >= 0 && at < 3) top3++;
  }
  const answerS = (performance.now() - started) / 1000;
  lat.sort((a, b) => a - b);

  const base: number[] = [];
  let baseTop1 = 0;
  for (const t of truth) {
    const [alert] = await store.readRca(client, { text: "MATCH (t:Event {client: $client}) WHERE t.eid STARTS WITH $p RETURN t.eid AS eid", params: { client, p: `alert:${t.fp}:` } });
    const s = performance.now();
    const ranked = await store.readRca(client, rootCauses(client, String(alert.eid), 10));
    base.push(performance.now() - s);
    if (ranked[0]?.eid === t.root) baseTop1++;
  }
  base.sort((a, b) => a - b);
  const incStart = performance.now();
  const incidents = await listIncidents(store, client, INCIDENTS);
  const incS = (performance.now() - incStart) / 1000;

  writeResult({
    name: 'rcaAnswer',
    title: 'rca answers (issue 14): explained ranking on a graph with many events',
    command: 'npm run build && node dist/perf/rcaAnswer.js',
    rows: [
      { what: 'baseline: the previous ranking statement (rootCauses: POTENTIAL_CAUSE paths ≤ 4 hops, product of confidences), per alert', p50Ms: percentile(base, 50), p95Ms: percentile(base, 95), p99Ms: percentile(base, 99), note: `rank 1 = the OOMKilled: ${baseTop1}/${INCIDENTS}` },
      {
        what: 'answerAlert per alert (alert lookup, slice read, learned patterns read, PageRank + paths + FEKG in code), one GraphStore, one after the other',
        msgsPerSec: INCIDENTS / answerS, seconds: answerS, p50Ms: percentile(lat, 50), p95Ms: percentile(lat, 95), p99Ms: percentile(lat, 99),
        vsBaseline: percentile(base, 50) / percentile(lat, 50),
        note: `rank 1 = the OOMKilled: ${top1}/${INCIDENTS}, in the top 3: ${top3}/${INCIDENTS}; ${(candidates / INCIDENTS).toFixed(1)} candidates per alert; max ${lat[lat.length - 1].toFixed(1)} ms`,
      },
      { what: `listIncidents for the ${INCIDENTS} alerts (one answer each)`, seconds: incS, note: `${incidents.length} incidents, ${incidents.filter((i) => i.faultType === 'oom').length} named oom` },
    ],
    notes: [
      `Graph: ${counts.events} events, ${counts.causes} POTENTIAL_CAUSE edges, ${counts.resources} resources, ${counts.topology} topology edges (${NODES} nodes, ${APPS} apps, ${PODS} pods, one day); written by GraphStore.writeEvents$ in ${writeS.toFixed(1)} s in batches of 2000, alert lookback 1800 s.`,
      'Latency is wall time of each call on a shared 2-core machine with Neo4j on loopback; the first 5 answers are a warm-up, untimed.',
      'The rank-1 count is a sanity check on a synthetic set (one OOM per incident among random noise on the same pods), not an accuracy figure.',
    ],
  });
  await store.close();
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
