import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One line of a benchmark table; a subject row carries its ratio to the baseline measured in the same run. */
export interface Row {
  what: string;
  msgsPerSec?: number;
  seconds?: number;
  p50Ms?: number;
  p95Ms?: number;
  p99Ms?: number;
  rssMb?: number;
  /** subject rate / baseline rate (or baseline time / subject time). */
  vsBaseline?: number;
  note?: string;
}

export interface PerfResult {
  name: string;
  title: string;
  command: string;
  rows: Row[];
  notes?: string[];
}

export const OUT_DIR = join(__dirname, '..', '..', 'perf', 'out');

const fmt = (n: number | undefined, digits = 0) => (n === undefined ? '' : n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits }));

export function toMarkdown(r: PerfResult): string {
  const lines = [
    `### ${r.title}`,
    '',
    `Command: \`${r.command}\``,
    '',
    '| what | msgs/s | seconds | p50 ms | p95 ms | p99 ms | RSS MB | vs baseline | note |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
    ...r.rows.map(
      (x) =>
        `| ${x.what} | ${fmt(x.msgsPerSec)} | ${fmt(x.seconds, 2)} | ${fmt(x.p50Ms, 1)} | ${fmt(x.p95Ms, 1)} | ${fmt(x.p99Ms, 1)} | ${fmt(x.rssMb)} | ${x.vsBaseline === undefined ? '' : `${x.vsBaseline.toFixed(2)}×`} | ${x.note ?? ''} |`,
    ),
    '',
    ...(r.notes ?? []).map((n) => `- ${n}`),
    '',
  ];
  return lines.join('\n');
}

/** Prints the markdown section and writes perf/out/<name>.json and .md. */
export function writeResult(r: PerfResult): void {
  mkdirSync(OUT_DIR, { recursive: true });
  const md = toMarkdown(r);
  writeFileSync(join(OUT_DIR, `${r.name}.json`), JSON.stringify({ ...r, measuredAt: new Date().toISOString() }, null, 2));
  writeFileSync(join(OUT_DIR, `${r.name}.md`), md);
  process.stdout.write(md + '\n');
}

/** Percentile of a sorted array (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
