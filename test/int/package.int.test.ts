import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The package as a user gets it: `npm pack`, `npm install <tarball>` in a fresh project, then a
 * pipeline imported as `kgroot/pipelines` runs there (JavaScript), and the same import
 * type-checks from TypeScript. node-rdkafka's install script is skipped in the temporary project
 * and its already-compiled binding copied in, to avoid a second 2-minute native build.
 */
const ROOT = join(__dirname, '..', '..');

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('npm package', () => {
  it('installs from its tarball and runs the event normalizer pipeline from kgroot/pipelines', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'kgroot-pack-'));
    run('npm', ['pack', '--pack-destination', tmp, '--silent'], ROOT);
    const tarball = readdirSync(tmp).find((f) => f.endsWith('.tgz'))!;
    expect(tarball).toMatch(/^kgroot-\d+\.\d+\.\d+\.tgz$/);

    const app = join(tmp, 'app');
    run('mkdir', ['-p', app], tmp);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    run('npm', ['install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', join(tmp, tarball)], app);
    cpSync(join(ROOT, 'node_modules', 'node-rdkafka', 'build'), join(app, 'node_modules', 'node-rdkafka', 'build'), { recursive: true });

    writeFileSync(
      join(app, 'consumer.js'),
      `
const { normalizeEvents } = require('kgroot/pipelines');
const { decodeNormalizedEvent, parseNormalizedKey, settled } = require('kgroot');
const { of, lastValueFrom, toArray } = require('rxjs');
let acked = 0;
const rec = (key, value) => ({ topic: 'raw.k8s.events', partition: 0, offset: 0, key: Buffer.from(key), value: Buffer.from(value), headers: {}, timestamp: 0, ack: () => acked++ });
const sent = [];
const batch = [
  rec('acme::event::u1', JSON.stringify({ event_id: 'e1', reason: 'OOMKilled', message: 'container killed' })),
  rec('other::event::u2', JSON.stringify({ event_id: 'e2', reason: 'BackOff', message: 'x' })),
  rec('acme::event::u3', '{not json'),
];
const out$ = normalizeEvents({ batches$: of(batch) }, { sendBatch: (o) => { sent.push(...o); return of(o.map((_, i) => ({ topic: o[i].topic, partition: 0, offset: i }))); } },
  { clientId: 'acme', outputTopic: 'events.normalized', maxValueBytes: 1048576, maxMessageChars: 4096, progressEveryRecords: 1000, progressIntervalMs: 60000 });
// The pipeline's effects carry the records they settle; the subscriber acknowledges them.
lastValueFrom(out$.pipe(settled(), toArray())).then(() => {
  const normalized = sent.filter((o) => o.topic === 'events.normalized');
  console.log(JSON.stringify({
    acked,
    topics: sent.map((o) => o.topic).sort(),
    key: parseNormalizedKey(normalized[0].key),
    reason: decodeNormalizedEvent(normalized[0].value).reason,
  }));
});
`,
    );
    const result = JSON.parse(run(process.execPath, ['consumer.js'], app).trim().split('\n').pop()!);
    expect(result.acked).toBe(3);
    expect(result.topics).toEqual(['dlq.raw', 'events.normalized']);
    expect(result.key).toEqual({ ok: true, client: 'acme', kind: 'evt', id: 'e1' });
    expect(result.reason).toBe('OOMKilled');

    // The types resolve for a TypeScript user too.
    writeFileSync(
      join(app, 'consumer.ts'),
      `import { normalizeEvents, passthrough } from 'kgroot/pipelines';\nimport { validateClientId, KafkaSource } from 'kgroot';\nconst ok: boolean = validateClientId('acme').ok;\nexport const fns = [normalizeEvents, passthrough, KafkaSource, ok];\n`,
    );
    run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--strict', '--esModuleInterop', '--skipLibCheck', '--module', 'commonjs', '--moduleResolution', 'node', '--types', 'node', '--typeRoots', join(ROOT, 'node_modules', '@types'), 'consumer.ts'], app);
  });
});
