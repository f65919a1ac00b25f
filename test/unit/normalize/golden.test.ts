import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeNormalizedEvent, decodeNormalizedLog } from '../../../src/avro/normalizedCodec';
import { eventTransform } from '../../../pipelines/eventNormalizer/eventNormalizer';
import { logTransform } from '../../../pipelines/logNormalizer/logNormalizer';
import { normalizeEvent } from '../../../src/normalize/normalizeEvent';
import { logFormatOf, normalizeLog } from '../../../src/normalize/normalizeLog';
import { TemplateMiner } from '../../../src/normalize/templateMiner';

/**
 * Golden fixtures: every `X.raw.*` in test/fixtures/normalize/{events,logs} has `X.normalized.json`.
 * UPDATE_GOLDEN=1 rewrites them (then read the diff before committing).
 */
const FIXTURES = join(__dirname, '../../fixtures/normalize');
const FALLBACK_TS = 1_718_000_000_000;
const update = process.env.UPDATE_GOLDEN === '1';

function cases(dir: string): Array<{ name: string; raw: string; goldenPath: string }> {
  return readdirSync(join(FIXTURES, dir))
    .filter((f) => f.includes('.raw.'))
    .sort()
    .map((f) => {
      const name = f.slice(0, f.indexOf('.raw.'));
      return { name, raw: readFileSync(join(FIXTURES, dir, f), 'utf8'), goldenPath: join(FIXTURES, dir, `${name}.normalized.json`) };
    });
}

function check(goldenPath: string, actual: unknown): void {
  if (update) writeFileSync(goldenPath, JSON.stringify(actual, null, 2) + '\n');
  expect(actual).toEqual(JSON.parse(readFileSync(goldenPath, 'utf8')));
}

describe('golden event fixtures', () => {
  const all = cases('events');
  it('covers every accepted event format', () => {
    const formats = new Set(all.map((c) => (normalizeEvent(JSON.parse(c.raw), { fallbackTimestamp: FALLBACK_TS }) as { value: { source_format: string } }).value.source_format));
    expect([...formats].sort()).toEqual(['core/v1', 'event-exporter', 'events.k8s.io/v1', 'minimal']);
  });
  for (const c of all) {
    it(c.name, () => {
      const r = normalizeEvent(JSON.parse(c.raw), { fallbackTimestamp: FALLBACK_TS, keyId: 'key-uid' });
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      check(c.goldenPath, r.value);
      // and through Avro, as the pipeline writes it
      const t = eventTransform(4096)(c.raw, { keyId: 'key-uid', timestamp: FALLBACK_TS });
      if (!t.ok) throw new Error(t.reason);
      expect({ ...decodeNormalizedEvent(t.value.value) }).toEqual(r.value);
      expect(t.value.id).toBe(r.value.event_id);
    });
  }
});

describe('golden log fixtures', () => {
  const all = cases('logs');
  it('covers every accepted log format', () => {
    expect([...new Set(all.map((c) => logFormatOf(c.raw)))].sort()).toEqual(['fluent-bit', 'plain', 'vector']);
  });
  for (const c of all) {
    it(c.name, () => {
      const r = normalizeLog(c.raw, { fallbackTimestamp: FALLBACK_TS, keyId: `uid-${c.name}`, miner: new TemplateMiner() });
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      check(c.goldenPath, r.value);
      const t = logTransform(4096, new TemplateMiner())(c.raw, { keyId: `uid-${c.name}`, timestamp: FALLBACK_TS });
      if (!t.ok) throw new Error(t.reason);
      expect({ ...decodeNormalizedLog(t.value.value) }).toEqual(r.value);
    });
  }
});
