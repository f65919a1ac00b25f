import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusSplit, generateCorpus } from '../simulator/corpus';

/** Reads its own argv (see main). */
export const ownArgs = true;

export const description = 'write a labelled incident corpus: corpus --out DIR [--seed N] [--incidents N] [--split] (records.ndjson + truth.json per half)';

function arg(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

/**
 * Writes a corpus (src/simulator/corpus) as files: `records.ndjson` (one record a line: at, topic,
 * kind, id, value, causal, incident) and `truth.json` (the incidents' truth), and with --split a
 * `training/` and a `held-out/` half from two seeds.
 */
export async function main(args: string[]): Promise<number> {
  const out = arg(args, '--out');
  if (!out) throw new Error('corpus: --out DIR is required');
  const seed = Number(arg(args, '--seed') ?? 7);
  const incidents = arg(args, '--incidents') === undefined ? undefined : Number(arg(args, '--incidents'));
  if (!Number.isInteger(seed) || (incidents !== undefined && !(incidents > 0))) throw new Error('corpus: --seed and --incidents must be positive integers');
  const halves = args.includes('--split') ? Object.entries(corpusSplit(seed, { incidents })).map(([k, c]) => [k === 'heldOut' ? 'held-out' : k, c] as const) : [['', generateCorpus({ seed, incidents })] as const];
  for (const [dir, c] of halves) {
    const d = join(out, dir);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'records.ndjson'), c.records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    writeFileSync(join(d, 'truth.json'), JSON.stringify({ seed: c.seed, start: new Date(c.start).toISOString(), end: new Date(c.end).toISOString(), stats: c.stats, incidents: c.truth }, null, 2) + '\n');
    process.stdout.write(`${d}: ${c.stats.records} records (${c.stats.causal} causal, ${c.stats.noisePerCausal} noise per causal), ${c.truth.length} incidents\n`);
  }
  return 0;
}
