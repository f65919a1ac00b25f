import { classifyError } from '../../../src/normalize/classifyError';
import { detectLevel } from '../../../src/normalize/detectLevel';
import { normalizeLog } from '../../../src/normalize/normalizeLog';
import { TemplateMiner } from '../../../src/normalize/templateMiner';
import { TraceJoiner } from '../../../src/normalize/traceJoiner';

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

describe('the error of a structured line, and the peer it names', () => {
  const miner = new TemplateMiner();
  const vector = (message: string) => JSON.stringify({ message, timestamp: '2026-11-20T10:00:00Z', stream: 'stderr', kubernetes: { pod_name: 'web-1', pod_namespace: 'web', container_name: 'web' } });
  const norm = (line: string) => {
    const r = normalizeLog(vector(line), { fallbackTimestamp: Date.parse('2026-11-20T11:00:00Z'), miner });
    if (!r.ok) throw new Error(r.reason);
    return r.value;
  };

  it('zap: msg and its error field', () => {
    const v = norm(JSON.stringify({ level: 'error', ts: 1795168800, caller: 'client/http.go:57', msg: 'upstream request failed', error: 'Post "http://payments.payments.svc.cluster.local:8080/v1/charges": dial tcp 10.104.3.9:8080: connect: connection refused' }));
    expect(v.message).toBe('upstream request failed: Post "http://payments.payments.svc.cluster.local:8080/v1/charges": dial tcp 10.104.3.9:8080: connect: connection refused');
    expect([v.level, v.error_class, v.peers]).toEqual(['error', 'connection_refused', ['10.104.3.9:8080', 'payments.payments.svc.cluster.local:8080']]);
  });

  it("pino: msg and the serialized err's message", () => {
    const v = norm(JSON.stringify({ level: 50, time: 1795168800000, pid: 1, hostname: 'web-1', msg: 'upstream request failed', err: { type: 'Error', message: 'getaddrinfo ENOTFOUND redis-master', code: 'ENOTFOUND', hostname: 'redis-master' } }));
    expect([v.message, v.error_class, v.peers]).toEqual(['upstream request failed: getaddrinfo ENOTFOUND redis-master', 'dns_failure', ['redis-master']]);
  });

  it('a line without an error keeps its message; a line that is only an error is the error', () => {
    expect(norm(JSON.stringify({ level: 'info', msg: 'request completed', status: 200 })).message).toBe('request completed');
    expect(norm(JSON.stringify({ level: 'error', error: 'dial tcp 10.0.0.9:6379: i/o timeout' })).peers).toEqual(['10.0.0.9:6379']);
    expect(norm(JSON.stringify({ level: 'error', msg: 'boom', error: 'boom' })).message).toBe('boom');
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
    // config errors: missing key, env variable, file
    ["KeyError: 'DATABASE_URL'", 'config_error'],
    ['Error: environment variable PAYMENTS_API_KEY is not set', 'config_error'],
    ['FATAL: missing required configuration key "db.url"', 'config_error'],
    ['Error: couldn\'t find key password in Secret shop/db-credentials', 'config_error'],
    ['failed to load config: open /etc/app/config.yaml: no such file or directory', 'config_error'],
    ['org.apache.kafka.common.config.ConfigException: Missing required configuration "bootstrap.servers" which has no default value.', 'config_error'],
    // stack traces
    ['Exception in thread "main" java.lang.IllegalStateException: pool exhausted', 'exception'],
    ['Caused by: java.lang.NullPointerException', 'exception'],
    ['Caused by: java.net.SocketTimeoutException: Read timed out', 'timeout'],
    ['\tat com.shop.api.Main.main(Main.java:42)', 'exception'],
    ['Traceback (most recent call last):', 'exception'],
    ['goroutine 1 [running]:', 'panic'],
    ['panic: runtime error: invalid memory address or nil pointer dereference', 'panic'],
    // Node's uncaught errors
    ['[UnhandledPromiseRejection: This error originated either by throwing inside of an async function without a catch block]', 'uncaught_exception'],
    ['    triggerUncaughtException(err, true /* fromPromise */);', 'uncaught_exception'],
    ['Uncaught TypeError: Cannot read properties of undefined (reading \'id\')', 'uncaught_exception'],
    // DNS, TLS, permissions, peers
    ['dial tcp: lookup payments.shop.svc.cluster.local on 10.96.0.10:53: no such host', 'dns_failure'],
    ['getaddrinfo ENOTFOUND redis.cache', 'dns_failure'],
    ['Get "https://auth.shop.svc:8443/token": x509: certificate has expired or is not yet valid: current time 2026-12-01T09:00:00Z is after 2026-11-30T00:00:00Z', 'tls_error'],
    ['Error: unable to verify the first certificate', 'tls_error'],
    ['open /var/run/secrets/token: permission denied', 'permission_denied'],
    ['Error: connect ECONNREFUSED 10.96.12.7:5432', 'connection_refused'],
    ['upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: delayed connect error: 111', 'connection_refused'],
    ['read tcp 10.244.1.5:43210->10.96.12.7:5432: read: connection reset by peer', 'connection_reset'],
    ['dial tcp 10.96.12.7:6379: i/o timeout', 'timeout'],
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

describe('multi-line traces, one line per record', () => {
  const vector = (ts: string, message: string, pod = 'api-7c9d8-x2k4p', container = 'api') =>
    JSON.stringify({ file: `/var/log/pods/shop_${pod}_1dfa/${container}/0.log`, kubernetes: { container_name: container, pod_name: pod, pod_namespace: 'shop', pod_node_name: 'worker-3', pod_uid: '1dfa' }, message, source_type: 'kubernetes_logs', stream: 'stderr', timestamp: ts });
  const run = (lines: string[]) => {
    const miner = new TemplateMiner();
    const joiner = new TraceJoiner();
    return lines.map((l, i) => {
      // The records' Kafka time: just after the lines (a line more than a day after it is refused).
      const r = normalizeLog(l, { fallbackTimestamp: Date.parse('2026-12-01T09:00:10Z'), keyId: `k${i}`, miner, joiner });
      if (!r.ok) throw new Error(r.reason);
      return r.value;
    });
  };

  it('gives every line of a Java trace the class and template of its first line', () => {
    const out = run([
      vector('2026-12-01T09:00:00.100Z', 'Exception in thread "main" java.lang.IllegalStateException: missing config key db.url'),
      vector('2026-12-01T09:00:00.101Z', '\tat com.shop.api.Config.load(Config.java:31)'),
      vector('2026-12-01T09:00:00.101Z', '\tat com.shop.api.Main.main(Main.java:12)'),
      vector('2026-12-01T09:00:00.102Z', 'Caused by: java.util.NoSuchElementException: db.url'),
      vector('2026-12-01T09:00:00.102Z', '\t... 3 more'),
      vector('2026-12-01T09:00:01.000Z', 'shutting down'),
      vector('2026-12-01T09:00:01.001Z', '\tat not.a.Trace(anymore)'),
    ]);
    const head = out[0];
    expect(head.error_class).toBe('config_error');
    expect(out.slice(1, 5).map((l) => [l.error_class, l.template_id, l.level])).toEqual(Array(4).fill([head.error_class, head.template_id, 'error']));
    expect(out[1].message).toBe('\tat com.shop.api.Config.load(Config.java:31)');
    // A line that is no continuation ends the trace; what follows stands alone.
    expect(out[5].error_class).toBeNull();
    expect(out[6].template_id).not.toBe(head.template_id);
  });

  it('joins a Go panic with its goroutine frames, and a Python traceback, per container', () => {
    const out = run([
      vector('2026-12-01T09:00:00.000Z', 'panic: runtime error: invalid memory address or nil pointer dereference'),
      vector('2026-12-01T09:00:00.000Z', '[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a1b2c]'),
      vector('2026-12-01T09:00:00.001Z', 'Traceback (most recent call last):', 'worker-1', 'worker'),
      vector('2026-12-01T09:00:00.001Z', ''),
      vector('2026-12-01T09:00:00.001Z', 'goroutine 1 [running]:'),
      vector('2026-12-01T09:00:00.002Z', '  File "/app/worker.py", line 8, in <module>', 'worker-1', 'worker'),
      vector('2026-12-01T09:00:00.002Z', 'main.main()'),
      vector('2026-12-01T09:00:00.002Z', '\t/app/main.go:12 +0x1d'),
      vector('2026-12-01T09:00:00.003Z', "    db = os.environ['DATABASE_URL']", 'worker-1', 'worker'),
      vector('2026-12-01T09:00:00.003Z', "KeyError: 'DATABASE_URL'", 'worker-1', 'worker'),
    ]);
    const go = out[0].template_id;
    expect([1, 3, 4, 6, 7].map((i) => out[i].template_id)).toEqual(Array(5).fill(go));
    expect([1, 3, 4, 6, 7].map((i) => out[i].error_class)).toEqual(Array(5).fill('panic'));
    const py = out[2].template_id;
    expect([out[5].template_id, out[8].template_id]).toEqual([py, py]);
    expect(out[2].error_class).toBe('exception');
    // The exception line of a Python traceback is not indented: it stands alone, with its own class.
    expect([out[9].template_id === py, out[9].error_class]).toEqual([false, 'config_error']);
  });

  it('does not join across a pause longer than the gap', () => {
    const out = run([vector('2026-12-01T09:00:00.000Z', 'Exception in thread "main" java.lang.RuntimeException: x'), vector('2026-12-01T09:00:05.000Z', '\tat a.B.c(B.java:1)')]);
    expect(out[1].template_id).not.toBe(out[0].template_id);
  });
});

describe('TraceJoiner', () => {
  it('keeps at most maxOpen open traces, closing the least recently touched', () => {
    const j = new TraceJoiner({ maxOpen: 2 });
    const head = (n: string) => ({ errorClass: 'exception', templateId: n, template: n });
    j.observe('a', 0, head('a'));
    j.observe('b', 0, head('b'));
    expect(j.continues('a', 1, '\tat x')).toEqual(head('a'));
    j.observe('c', 2, head('c'));
    expect(j.size()).toBe(2);
    expect(j.continues('b', 3, '\tat x')).toBeNull();
    expect(j.continues('a', 3, '\tat x')).toEqual(head('a'));
  });
});
