/**
 * Runs every benchmark, one after the other, and writes perf/RESULTS.md, perf/results.json and
 * perf/results.svg (throughput and latency beside their baselines).
 *
 *   npm run perf                       all benchmarks
 *   npm run perf -- adapter normalizer only these
 *   PERF_KEEP=1 npm run perf -- normalizer   rerun one; the others' sections come from their last
 *                                            run (perf/out/*.json), each marked with when it ran
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { KAFKA_VERSION, NEO4J_VERSION } from '../src/stack/stackConfig';
import { OUT_DIR, PerfResult, toMarkdown } from './perfResult';

const BENCHMARKS = ['adapter', 'normalizer', 'graphBuilder', 'logLines', 'controlPlane', 'tenancy', 'graphPool', 'kubernetes', 'rcaAnswer', 'rca', 'api', 'resync', 'faults'];
/** Arguments a benchmark takes when the suite runs it. */
const ARGS: Record<string, string[]> = { controlPlane: ['both'], rca: ['--train'] };
const PERF_DIR = join(__dirname, '..', '..', 'perf');

function machine(): string[] {
  const kcat = spawnSync('kcat', ['-V'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? 'kcat ?';
  const java = (spawnSync('java', ['-version'], { encoding: 'utf8' }).stderr || '').split('\n')[0];
  return [
    `- CPU: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}; memory ${(totalmem() / 2 ** 30).toFixed(1)} GiB (${(freemem() / 2 ** 30).toFixed(1)} GiB free at start); load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    `- Node ${process.version}; ${java}; Kafka ${KAFKA_VERSION} (KRaft, one node) and Neo4j Community ${NEO4J_VERSION}, both on loopback on the same machine`,
    `- Baseline tool: ${kcat.trim()}`,
  ];
}

function svg(results: PerfResult[]): string {
  // One horizontal bar per row with a rate; latency rows (p50/p99) as a second panel.
  const rateRows = results.flatMap((r) => r.rows.filter((x) => x.msgsPerSec !== undefined).map((x) => ({ label: `${r.name}: ${x.what}`, v: x.msgsPerSec as number, base: /baseline/.test(x.what) })));
  const latRows = results.flatMap((r) => r.rows.filter((x) => x.p99Ms !== undefined).map((x) => ({ label: `${r.name}: ${x.what}`, p50: x.p50Ms ?? 0, p99: x.p99Ms as number })));
  const W = 1100;
  const labelW = 560;
  const barW = W - labelW - 120;
  const h = 22;
  const maxRate = Math.max(1, ...rateRows.map((r) => r.v));
  const maxLat = Math.max(1, ...latRows.map((r) => r.p99));
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\\\|/g, '|');
  const out: string[] = [];
  let y = 30;
  out.push(`<text x="10" y="${y}" font-size="16" font-weight="bold">Throughput (messages or events per second; grey = baseline in the same run)</text>`);
  y += 12;
  for (const r of rateRows) {
    const w = Math.max(1, (r.v / maxRate) * barW);
    out.push(`<text x="10" y="${y + 15}" font-size="12">${esc(r.label).slice(0, 90)}</text>`);
    out.push(`<rect x="${labelW}" y="${y + 3}" width="${w.toFixed(1)}" height="${h - 6}" fill="${r.base ? '#9e9e9e' : '#1f77b4'}"/>`);
    out.push(`<text x="${labelW + w + 6}" y="${y + 15}" font-size="12">${Math.round(r.v).toLocaleString('en')}</text>`);
    y += h;
  }
  if (latRows.length > 0) {
    y += 30;
    out.push(`<text x="10" y="${y}" font-size="16" font-weight="bold">Latency, ms (dark = p50, light = p99)</text>`);
    y += 12;
    for (const r of latRows) {
      const w99 = Math.max(1, (r.p99 / maxLat) * barW);
      const w50 = Math.max(1, (r.p50 / maxLat) * barW);
      out.push(`<text x="10" y="${y + 15}" font-size="12">${esc(r.label).slice(0, 90)}</text>`);
      out.push(`<rect x="${labelW}" y="${y + 3}" width="${w99.toFixed(1)}" height="${h - 6}" fill="#ffbb78"/>`);
      out.push(`<rect x="${labelW}" y="${y + 3}" width="${w50.toFixed(1)}" height="${h - 6}" fill="#ff7f0e"/>`);
      out.push(`<text x="${labelW + w99 + 6}" y="${y + 15}" font-size="12">${r.p50.toFixed(0)} / ${r.p99.toFixed(0)}</text>`);
      y += h;
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y + 20}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>${out.join('')}</svg>\n`;
}

/** Marks a RESULTS.md section written by hand: a render keeps it (it has no results.json entry to come from). */
export const HAND_WRITTEN = '<!-- hand-written: perf/run.ts keeps this section -->';

/** The sections (`### …` to the next `##`) of a RESULTS.md text that carry {@link HAND_WRITTEN}, each ending with a blank line. */
export function handWrittenSections(md: string): string[] {
  return md
    .split(/^(?=##+ )/m)
    .filter((x) => x.startsWith('### ') && x.includes(HAND_WRITTEN))
    .map((x) => x.replace(/\s*$/, '\n'));
}

function main(): void {
  // `--render`: run nothing, rewrite RESULTS.md from perf/out and perf/results.json (PERF_KEEP's sources).
  const render = process.argv.includes('--render');
  if (render) process.env.PERF_KEEP = '1';
  const args = process.argv.slice(2).filter((a) => a !== '--render');
  const wanted = render ? [] : args.length > 0 ? args : BENCHMARKS;
  const header = machine();
  const results: PerfResult[] = [];
  const failures: string[] = [];
  for (const name of wanted) {
    const script = join(__dirname, `${name}.js`);
    if (!existsSync(script)) {
      failures.push(`${name}: no such benchmark (${script})`);
      continue;
    }
    process.stderr.write(`\n=== perf: ${name} (${new Date().toISOString()})\n`);
    try {
      execFileSync(process.execPath, [script, ...(ARGS[name] ?? [])], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' } });
    } catch (err) {
      failures.push(`${name}: exited with ${(err as { status?: number }).status}`);
    }
    const file = join(OUT_DIR, `${name}.json`);
    if (existsSync(file)) results.push(JSON.parse(readFileSync(file, 'utf8')) as PerfResult);
  }
  if (process.env.PERF_KEEP === '1') {
    // Sections not rerun now, from their last run (perf/out, else the committed perf/results.json),
    // in the usual order and marked with their time.
    const committed = existsSync(join(PERF_DIR, 'results.json')) ? (JSON.parse(readFileSync(join(PERF_DIR, 'results.json'), 'utf8')) as { results: PerfResult[] }).results : [];
    for (const name of BENCHMARKS) {
      if (wanted.includes(name)) continue;
      const file = join(OUT_DIR, `${name}.json`);
      let kept: PerfResult | undefined;
      if (existsSync(file)) {
        kept = JSON.parse(readFileSync(file, 'utf8')) as PerfResult;
        kept.notes = [...(kept.notes ?? []), `From an earlier run (${statSync(file).mtime.toISOString()}); not rerun with the sections above.`];
      } else {
        kept = committed.find((r) => r.name === name);
        if (kept && !(kept.notes ?? []).some((n) => n.startsWith('From an earlier run'))) kept.notes = [...(kept.notes ?? []), 'From an earlier run (perf/results.json); not rerun with the sections above.'];
      }
      if (kept) results.push(kept);
    }
    results.sort((a, b) => BENCHMARKS.indexOf(a.name) - BENCHMARKS.indexOf(b.name));
  }
  // Sections written by hand (figures from an int test, not a benchmark) carry HAND_WRITTEN and are kept as they are.
  const previous = existsSync(join(PERF_DIR, 'RESULTS.md')) ? readFileSync(join(PERF_DIR, 'RESULTS.md'), 'utf8') : '';
  const handWritten = handWrittenSections(previous);
  const md = [
    '# kgroot benchmarks',
    '',
    `Measured ${new Date().toISOString()} with \`npm run perf\` (each section names its own command). Every subject runs beside a baseline measured in the same run on the same broker.`,
    '',
    '## Machine',
    '',
    ...header,
    '',
    '![throughput and latency](results.svg)',
    '',
    ...results.map(toMarkdown),
    ...handWritten,
    ...(failures.length > 0 ? ['## Failures', '', ...failures.map((f) => `- ${f}`), ''] : []),
  ].join('\n');
  writeFileSync(join(PERF_DIR, 'RESULTS.md'), md);
  writeFileSync(join(PERF_DIR, 'results.json'), JSON.stringify({ machine: header, results }, null, 2));
  writeFileSync(join(PERF_DIR, 'results.svg'), svg(results));
  process.stdout.write(`wrote perf/RESULTS.md, perf/results.json, perf/results.svg${failures.length ? ` (failures: ${failures.join('; ')})` : ''}\n`);
  if (failures.length > 0) process.exitCode = 1;
}

if (require.main === module) main();
