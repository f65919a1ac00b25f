import { classifyError } from '../../../src/normalize/classifyError';
import { detectLevel } from '../../../src/normalize/detectLevel';
import { normalizeLog } from '../../../src/normalize/normalizeLog';
import { TemplateMiner } from '../../../src/normalize/templateMiner';

describe('detectLevel', () => {
  it.each([
    ['{"level":"WARN","msg":"disk slow"}', 'warn'],
    ['{"severity":"ERROR","message":"x"}', 'error'],
    ['{"level":50,"msg":"pino error"}', 'error'],
    ['ts=1 level=debug msg="cache miss"', 'debug'],
    ['time="x" level="error" msg="y"', 'error'],
    ['E0610 12:00:00.123456       1 reflector.go:138] failed to list', 'error'],
    ['W0610 12:00:00.123456       1 warnings.go:70] deprecated', 'warn'],
    ['[ERROR] could not connect', 'error'],
    ['2024-06-10 12:00:00,123 WARNING retrying', 'warn'],
    ['INFO: started', 'info'],
    ['panic: oh no', 'fatal'],
    ['Traceback (most recent call last):', 'error'],
    ['just some words', 'unknown'],
    ['informational text, not a level', 'unknown'],
  ])('%s → %s', (line, level) => {
    expect(detectLevel(line).level).toBe(level);
  });

  it('takes the message out of a JSON line', () => {
    expect(detectLevel('{"level":"info","msg":"hello"}')).toEqual({ level: 'info', message: 'hello' });
  });
});

describe('classifyError', () => {
  it.each([
    ['java.lang.OutOfMemoryError: Java heap space', 'oom'],
    ['write /data/x: no space left on device', 'disk_full'],
    ['open /etc/secret: permission denied', 'permission_denied'],
    ['dial tcp: lookup db on 10.96.0.10:53: no such host', 'dns_failure'],
    ['dial tcp 10.0.0.5:5432: connect: connection refused', 'connection_refused'],
    ['read: connection reset by peer', 'connection_reset'],
    ['context deadline exceeded', 'timeout'],
    ['request timed out after 30s', 'timeout'],
    ['x509: certificate signed by unknown authority', 'tls_error'],
    ['panic: runtime error: index out of range', 'panic'],
    ['Exception in thread "main" java.lang.NullPointerException: x', 'exception'],
    ['upstream returned 503', 'http_5xx'],
    ['GET /healthz 200 3ms', null],
  ])('%s → %s', (msg, cls) => {
    expect(classifyError(msg)).toBe(cls);
  });
});

describe('normalizeLog', () => {
  const base = { fallbackTimestamp: 1, maxMessageChars: 4096 };
  it('dead-letters JSON that is broken or of an unknown shape, accepts any other text', () => {
    expect(normalizeLog('{"log": "x"', { ...base, miner: new TemplateMiner() })).toEqual({ ok: false, reason: expect.stringMatching(/^invalid JSON/) });
    expect(normalizeLog('{"foo":1}', { ...base, miner: new TemplateMiner() })).toEqual({ ok: false, reason: expect.stringMatching(/^unknown log shape.*keys: foo/) });
    expect(normalizeLog('[1,2]', { ...base, miner: new TemplateMiner() }).ok).toBe(true);
  });

  it('gives a content hash id without a key id, stable on replay', () => {
    const a = normalizeLog('hello world', { ...base, miner: new TemplateMiner() });
    const b = normalizeLog('hello world', { ...base, miner: new TemplateMiner() });
    expect(a.ok && a.value.log_id).toMatch(/^h-/);
    expect(a.ok && b.ok && a.value.log_id === b.value.log_id).toBe(true);
  });

  it('marks an unknown level as error when an error class is found', () => {
    const r = normalizeLog('upstream connect error: connection refused', { ...base, miner: new TemplateMiner() });
    expect(r.ok && [r.value.level, r.value.error_class]).toEqual(['error', 'connection_refused']);
  });
});
