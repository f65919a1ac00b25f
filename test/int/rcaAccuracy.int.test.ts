import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { componentLogger } from '../../src/log/logger';
import { scoreAnswers } from '../../src/simulator/corpus/evaluate';
import { answerer, StackReplay } from '../../src/simulator/corpus/replay';
import { smallCorpus } from '../fixtures/corpus/small';

/**
 * RCA accuracy floors on a small fixed corpus (9 incidents of 9 fault types in real formats) fed
 * through the real stack on the local Kafka and Neo4j (normalizers, topology builder, graph builder,
 * in this process, on topics and a client of this run), answered by `rca --alert` when the command
 * follows the contract, else by the rootCauses statement. Needs `npm run build` (the rca command).
 *
 * The floors are what the code achieved when they were set, less one incident of margin (issue 14
 * baseline, main at 92b25f6: A@1 1/9, A@3 1/9; with kube-state-metrics alerts on their subject, kills
 * apart from crashes and tombstones keeping the topology, branch s14-nopath: A@1 6/9, A@3 6/9 — the
 * misses: the OOM kill behind the node's OOMKilling, the pending claim behind its pod's Unschedulable,
 * the dependency behind a Service; branch s17-rca, with tombstones keeping their topology, a pod created and
 * deleted in one topology batch written, and no edge between two reports of one OOM kill: A@1 9/9, A@3 9/9 in
 * two runs; before, this test ranked the OOM kill 4th behind its node's OOMKilling and, in some runs, missed
 * the pending claim); raise them as the evidence and ranking work lands, never lower them.
 */
const FLOOR = { at1: 8, at3: 8 };

describe('RCA accuracy on the small fixed corpus', () => {
  const run = `acc${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
  const corpus = smallCorpus(run);
  let replay: StackReplay | undefined;

  afterAll(async () => {
    if (replay) {
      await replay.stop();
      await replay.cleanup();
    }
  });

  it('is the committed corpus (its truth file)', () => {
    const committed = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'corpus', 'small-truth.json'), 'utf8'));
    expect(corpus.truth.map((t) => ({ ...t, client: 'corpus' }))).toEqual(committed.incidents);
  });

  it('ranks the true root causes at least as well as the floors', async () => {
    replay = await StackReplay.start({ run, client: run, log: componentLogger('rca-accuracy-test'), partitions: 2 });
    await replay.feed(corpus, 3000);
    await replay.waitProcessed(240_000);
    const st = replay.stats();
    // Every record went through: nothing rejected by the normalizers or the graph builder.
    expect(st.normalized.events).toBe(st.produced.events);
    expect(st.normalized.logs).toBe(st.produced.logs);
    expect(st.graphDeadLettered).toBe(0);
    const ask = await answerer(replay, corpus.truth[0]);
    const answers = [];
    for (const t of corpus.truth) answers.push(await ask.answer(t));
    const s = scoreAnswers(corpus.truth, answers);
    process.stderr.write(`rca accuracy (${ask.mode}): A@1 ${s.overall.at1}/${s.overall.n}, A@3 ${s.overall.at3}/${s.overall.n}, MAR ${s.overall.mar.toFixed(2)}\n${s.misses.map((m) => `  miss ${m.id}: rank ${m.rank ?? '-'}, want ${m.want}, top ${m.top}`).join('\n')}\n`);
    // Every alert of the truth is in the graph.
    expect(s.overall.alertMissing).toBe(0);
    expect(s.overall.at1).toBeGreaterThanOrEqual(FLOOR.at1);
    expect(s.overall.at3).toBeGreaterThanOrEqual(FLOOR.at3);
  });
});
