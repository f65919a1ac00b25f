/**
 * RCA accuracy on the labelled corpus (issue 14, item 10). Prints a markdown section and writes
 * perf/out/rca.json.
 *
 * The held-out half of the corpus (src/simulator/corpus, seed PERF_RCA_SEED) goes through the real
 * stack in this process on the local Kafka and Neo4j (src/simulator/corpus/replay.ts: event and log
 * normalizer pipelines, topology builder, graph builder; topics, consumer groups and client id unique
 * to the run), produced in time order PERF_RCA_SPEEDUP times faster than real time. Once every record
 * went through every stage, each alert of the truth is asked for its causes:
 *   - by `answerAlert` of src/rca/answer.ts in this process when it exists (the ranking work),
 *   - else by `kgroot rca --client C --alert FP --json` when the command answers the contract's shape,
 *   - else (today) by the baseline adapter: the alert's event by fingerprint, then the `rootCauses`
 *     statement (src/graph/cypher.ts), in this process.
 * A@1/A@3/A@5 and MAR (misses at 11) overall and per fault type, alerts with no causal path, answer
 * latency p50/p99. With --train the training half (the day before, another seed) is fed first and,
 * when `rca confirm` exists, each training incident's true root is confirmed before the held-out half
 * is asked. Where the rca functions exist, the held-out half is also asked without the FEKG
 * (`--no-fekg`: built-in patterns only).
 *
 * Run: npm run perf -- rca   (PERF_RCA_SEED=7, PERF_RCA_SPEEDUP=1000, PERF_RCA_INCIDENTS=36, PERF_RCA_TRAIN=1)
 */
import { loadavg } from 'node:os';
import { componentLogger } from '../src/log/logger';
import { corpusSplit, Truth } from '../src/simulator/corpus';
import { Answer, pct, scoreAnswers, Scores } from '../src/simulator/corpus/evaluate';
import { Answerer, answerer, StackReplay } from '../src/simulator/corpus/replay';
import { percentile, Row, writeResult } from './perfResult';

const SEED = Number(process.env.PERF_RCA_SEED ?? 7);
const SPEEDUP = Number(process.env.PERF_RCA_SPEEDUP ?? 1000);
const INCIDENTS = process.env.PERF_RCA_INCIDENTS ? Number(process.env.PERF_RCA_INCIDENTS) : undefined;
const TRAIN = process.argv.includes('--train') || process.env.PERF_RCA_TRAIN === '1';
const LIMIT = 10;
const log = componentLogger('perf-rca');

function accuracy(s: Scores): string {
  return `A@1 ${pct(s.at1, s.n)} (${s.at1}/${s.n}) · A@3 ${pct(s.at3, s.n)} · A@5 ${pct(s.at5, s.n)} · MAR ${s.mar.toFixed(2)} · no causal path ${s.noPath}${s.alertMissing ? ` · alert not in graph ${s.alertMissing}` : ''}`;
}

async function answerAll(ask: Answerer, truth: Truth[], o: { fekg?: boolean } = {}): Promise<Answer[]> {
  const out: Answer[] = [];
  for (const t of truth) out.push(await ask.answer(t, o));
  return out;
}

async function main(): Promise<void> {
  const run = `r${Date.now().toString(36)}`;
  const client = `rca${run}`;
  const split = corpusSplit(SEED, { incidents: INCIDENTS, client });
  const held = split.heldOut;
  const replay = await StackReplay.start({ run, client, log, partitions: 3 });
  const loadAtStart = loadavg();
  const notes: string[] = [];
  try {
    let confirmed = 0;
    const feedTimed = async (c: typeof held) => {
      const t = performance.now();
      await replay.feed(c, SPEEDUP);
      await replay.waitProcessed(20 * 60_000);
      return (performance.now() - t) / 1000;
    };
    if (TRAIN) {
      const s = await feedTimed(split.training);
      notes.push(`Training half (seed ${split.training.seed}, the day before): ${split.training.stats.records} records, ${split.training.truth.length} incidents, fed and processed in ${s.toFixed(0)} s.`);
    }
    const seconds = await feedTimed(held);
    const ask = await answerer(replay, held.truth[0], LIMIT);
    const mode = ask.mode;
    if (TRAIN && ask.confirm) {
      for (const t of split.training.truth) {
        const a = await ask.answer(t);
        const eid = a.causes.find((c) => c.resource === t.root.rid && t.root.reasons.includes(c.reason))?.eid ?? (await replay.rootEventOf(t.root.rid, t.root.reasons, Date.parse(t.firstSymptomAt) - 3_600_000));
        if (eid && (await ask.confirm(t, eid))) confirmed++;
      }
    }
    const answers = await answerAll(ask, held.truth);
    const scored = scoreAnswers(held.truth, answers, LIMIT);
    const lat = answers.map((a) => a.ms).sort((x, y) => x - y);
    const st = replay.stats();
    const rows: Row[] = [
      {
        what: `held-out half, all ${held.truth.length} incidents${TRAIN ? (confirmed ? `, after confirming ${confirmed} training incidents` : ', training half fed first') : ''} — answer latency`,
        p50Ms: percentile(lat, 50),
        p95Ms: percentile(lat, 95),
        p99Ms: percentile(lat, 99),
        note: accuracy(scored.overall),
      },
      ...Object.entries(scored.byType).map(([type, s]) => {
        const l = answers.filter((a) => held.truth.find((t) => t.id === a.id)?.faultType === type).map((a) => a.ms).sort((x, y) => x - y);
        return { what: `${type} (${s.n})`, p50Ms: percentile(l, 50), p99Ms: percentile(l, 99), note: accuracy(s) };
      }),
    ];
    if (mode !== 'statement') {
      const without = scoreAnswers(held.truth, await answerAll(ask, held.truth, { fekg: false }), LIMIT);
      rows.splice(1, 0, { what: 'held-out half without the FEKG (built-in patterns only, nothing learned: rca --no-fekg)', note: accuracy(without.overall) });
      if (without.misses.length > 0) notes.push(`Without the FEKG, not at rank 1: ${without.misses.map((m) => `${m.id} (rank ${m.rank ?? '-'}; top ${m.top})`).join('; ')}.`);
    }
    const byReason = new Map<string, string[]>();
    for (const m of scored.misses) {
      const key = m.rank === null ? m.top.replace(/@ .*$/, '@ …') : `right cause at rank ${m.rank}`;
      byReason.set(key, [...(byReason.get(key) ?? []), `${m.faultType}`]);
    }
    notes.unshift(
      `Corpus: held-out half seed ${held.seed} (${new Date(held.start).toISOString().slice(0, 10)}), ${held.stats.records} records (${held.stats.byTopic.resource ?? 0} objects incl. ${held.stats.resyncRecords} resyncs, ${held.stats.byTopic.event ?? 0} events, ${held.stats.byTopic.log ?? 0} log lines, ${held.stats.byTopic.alert ?? 0} alert notifications), ${held.stats.causal} causal, ${held.stats.noisePerCausal} noise records per causal one, ${held.truth.length} incidents of ${Object.keys(held.stats.faultTypes).length} fault types, ${held.stats.overlappingIncidents} overlapping another.`,
      `Fed in time order at ${SPEEDUP}× real time through the real pipelines in one process (event and log normalizers, topology builder, graph builder with their defaults but 100 ms batches) and processed in ${seconds.toFixed(0)} s; ${TRAIN ? 'both halves together: ' : ''}${st.produced.events} raw events → ${st.normalized.events} normalized (${st.normalized.eventsDead} dead-lettered), ${st.produced.logs} log lines → ${st.normalized.logs} normalized (${st.normalized.logsDead} dead-lettered), ${st.produced.resources} object records (${st.evidence} events derived from their state by the topology builder), ${st.produced.alerts} alerts; ${st.graphDeadLettered} dead-lettered by the graph builder.`,
 mode === 'in-process'
        ? 'Answers: `answerAlert` of src/rca/answer.ts in this process on the GraphStore (what `kgroot rca --client C --alert FP --json` prints), with `confirmCause` for the training half (`rca confirm`).'
        : mode === 'command'
        ? 'Answers: `kgroot rca --client C --alert FP --json` per alert (a process each: the latency includes its start).'
        : 'Answers: the baseline adapter (today\'s rca command does not take --alert): the alert\'s event by fingerprint, then the `rootCauses` statement, in this process; latency = both reads. No FEKG and no `rca confirm` exist yet, so there are no figures without/with the FEKG or after confirming the training half.',
      `A@K: the right cause (resource = truth root, reason one of its reasons) ranked K or better among the first ${LIMIT}; MAR: its mean rank, an incident without it counted at ${LIMIT + 1}.`,
      `Misses (not at rank 1), by what was ranked first: ${byReason.size === 0 ? 'none' : [...byReason.entries()].map(([k, v]) => `${k}: ${v.length} (${[...new Set(v)].map((x) => `${x} ×${v.filter((y) => y === x).length}`).join(', ')})`).join('; ')}.`,
      `Load average at start ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}, at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}.`,
    );
    writeResult({ name: 'rca', title: 'RCA accuracy on the labelled corpus (issue 14): A@K, MAR and answer latency on the held-out half', command: `npm run perf -- rca${TRAIN ? ' (PERF_RCA_TRAIN=1)' : ''}`, rows, notes });
    process.stdout.write(`\nmisses:\n${scored.misses.map((m) => `  ${m.id}: rank ${m.rank ?? '-'}; want ${m.want}; top ${m.top} — ${m.note}`).join('\n')}\n`);
  } finally {
    await replay.stop();
    await replay.cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`perf failed: ${(err as Error).stack}\n`);
    process.exit(1);
  },
);
