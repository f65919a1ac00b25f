import { AppSpec } from './objects';
import { Rng } from './rng';

/**
 * Container log lines as applications of each stack really print them (zap JSON, pino JSON,
 * Spring Boot / logback, Python logging / uvicorn, nginx, PostgreSQL, CoreDNS), normal and failing.
 */
type Lang = AppSpec['lang'];

function javaTs(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

export function infoLine(app: AppSpec, ms: number, rng: Rng): string {
  const paths = ['/api/v1/items', '/api/v1/cart', '/healthz', '/ready', '/api/v1/orders', '/metrics', '/api/v1/products/' + rng.int(100, 999)];
  const path = rng.pick(paths);
  const dur = rng.int(1, 180);
  if (app.name === 'postgres' || app.name === 'payments-db') return `${javaTs(ms)} UTC [${rng.int(100, 9999)}] LOG:  checkpoint complete: wrote ${rng.int(10, 900)} buffers (${(rng.next() * 3).toFixed(1)}%); 0 WAL file(s) added, 0 removed, 1 recycled; write=${(rng.next() * 30).toFixed(3)} s, sync=0.002 s, total=${(rng.next() * 30).toFixed(3)} s`;
  if (app.name === 'redis') return `1:M ${new Date(ms).toUTCString().slice(5, 25)}.${rng.int(100, 999)} * ${rng.int(1, 100)} changes in 300 seconds. Saving...`;
  if (app.name === 'coredns') return `[INFO] 10.244.${rng.int(2, 8)}.${rng.int(2, 250)}:${rng.int(30000, 60000)} - ${rng.int(1, 65000)} "A IN ${rng.pick(['checkout.shop', 'postgres.shop', 'payments.payments', 'catalog.shop'])}.svc.cluster.local. udp 49 false 512" NOERROR qr,aa,rd 104 0.000${rng.int(100, 999)}s`;
  const lang: Lang = app.lang;
  switch (lang) {
    case 'go':
      return JSON.stringify({ level: rng.chance(0.1) ? 'debug' : 'info', ts: ms / 1000, caller: 'server/http.go:88', msg: 'request completed', method: 'GET', path, status: 200, duration_ms: dur });
    case 'node':
      return JSON.stringify({ level: 30, time: ms, pid: 1, hostname: app.name, req: { method: 'GET', url: path }, res: { statusCode: 200 }, responseTime: dur, msg: 'request completed' });
    case 'java':
      return `${javaTs(ms)}  INFO 1 --- [nio-${app.container.port}-exec-${rng.int(1, 10)}] c.e.${app.name}.web.RequestLoggingFilter   : GET ${path} 200 ${dur}ms`;
    case 'python':
      return `INFO:     10.244.${rng.int(2, 8)}.${rng.int(2, 250)}:${rng.int(30000, 60000)} - "GET ${path} HTTP/1.1" 200 OK`;
    case 'nginx':
      return `10.0.${rng.int(10, 150)}.${rng.int(2, 250)} - - [${new Date(ms).toUTCString().slice(5, 25).replace(/ /g, '/').replace(/\/(\d\d:)/, ':$1')} +0000] "GET ${path} HTTP/2.0" 200 ${rng.int(200, 9000)} "-" "Mozilla/5.0 (X11; Linux x86_64)" ${rng.int(30, 400)} 0.0${rng.int(10, 99)} [web-frontend-80] [] 10.244.${rng.int(2, 8)}.${rng.int(2, 250)}:3000 ${rng.int(200, 9000)} 0.0${rng.int(10, 99)} 200 ${rng.hex(32)}`;
  }
}

/** A harmless warning (noise that looks like trouble). */
export function warnLine(app: AppSpec, ms: number, rng: Rng): string {
  switch (app.lang) {
    case 'go':
      return JSON.stringify({ level: 'warn', ts: ms / 1000, caller: 'cache/lru.go:61', msg: 'cache miss ratio high', ratio: +(0.3 + rng.next() * 0.2).toFixed(2) });
    case 'node':
      return JSON.stringify({ level: 40, time: ms, pid: 1, hostname: app.name, msg: 'slow request', url: '/api/v1/cart', responseTime: rng.int(900, 2500) });
    case 'java':
      return `${javaTs(ms)}  WARN 1 --- [           main] o.h.e.j.e.i.JdbcEnvironmentInitiator     : HHH000342: Could not obtain connection to query metadata (retrying)`;
    default:
      return `WARNING:root:slow query took ${rng.int(900, 2500)}ms`;
  }
}

/** The lines a process prints when a required configuration key is missing, last lines before exit 1. */
export function missingConfigKeyLines(app: AppSpec, key: string, ms: number): string[] {
  switch (app.lang) {
    case 'go':
      return [
        JSON.stringify({ level: 'info', ts: ms / 1000, caller: 'cmd/main.go:41', msg: `starting ${app.name}`, version: app.container.image.split(':')[1] }),
        JSON.stringify({ level: 'fatal', ts: ms / 1000 + 0.004, caller: 'cmd/main.go:57', msg: 'invalid configuration', error: `required key ${key} missing value` }),
      ];
    case 'node':
      return [
        JSON.stringify({ level: 30, time: ms, pid: 1, hostname: app.name, msg: `starting ${app.name}` }),
        `/app/dist/config.js:14`,
        `    throw new Error(\`Missing required environment variable "${key}"\`);`,
        `    ^`,
        ``,
        `Error: Missing required environment variable "${key}"`,
        `    at requireEnv (/app/dist/config.js:14:11)`,
        `    at Object.<anonymous> (/app/dist/config.js:22:17)`,
        `    at Module._compile (node:internal/modules/cjs/loader:1469:14)`,
        ``,
        `Node.js v20.18.0`,
      ];
    case 'java':
      return [
        `${javaTs(ms)}  INFO 1 --- [           main] c.e.${app.name}.Application : Starting Application v${app.container.image.split(':')[1]} using Java 21.0.4 with PID 1`,
        `${javaTs(ms + 2100)}  WARN 1 --- [           main] ConfigServletWebServerApplicationContext : Exception encountered during context initialization - cancelling refresh attempt: org.springframework.beans.factory.BeanCreationException: Error creating bean with name '${app.name}Properties': Could not resolve placeholder '${key}' in value "\${${key}}"`,
        ``,
        `***************************`,
        `APPLICATION FAILED TO START`,
        `***************************`,
        ``,
        `Description:`,
        ``,
        `Could not resolve placeholder '${key}' in value "\${${key}}"`,
      ];
    default:
      return [
        `Traceback (most recent call last):`,
        `  File "/app/main.py", line 9, in <module>`,
        `    from app.settings import settings`,
        `  File "/app/app/settings.py", line 31, in <module>`,
        `    DATABASE_URL = os.environ["${key}"]`,
        `                   ~~~~~~~~~~^^^^^^^^^^^^^^^^`,
        `  File "<frozen os>", line 714, in __getitem__`,
        `KeyError: '${key}'`,
      ];
  }
}

/** A crash with a stack trace (Go panic, exit 2; Java uncaught exception, exit 1), one record per line. */
export function panicLines(app: AppSpec, ms: number, rng: Rng): { lines: string[]; exitCode: number } {
  if (app.lang === 'java') {
    return {
      exitCode: 1,
      lines: [
        `Exception in thread "main" java.lang.NullPointerException: Cannot invoke "com.example.${app.name}.model.PriceList.getCurrency()" because "list" is null`,
        `\tat com.example.${app.name}.service.PricingService.refresh(PricingService.java:${rng.int(40, 200)})`,
        `\tat com.example.${app.name}.service.PricingService.start(PricingService.java:61)`,
        `\tat com.example.${app.name}.Application.main(Application.java:23)`,
      ],
    };
  }
  if (app.lang === 'python' || app.lang === 'node') {
    return {
      exitCode: 1,
      lines: [
        `Traceback (most recent call last):`,
        `  File "/app/worker.py", line ${rng.int(40, 200)}, in process_batch`,
        `    total += row["amount"]`,
        `TypeError: unsupported operand type(s) for +=: 'int' and 'NoneType'`,
      ],
    };
  }
  const pc = `0x${rng.hex(6)}`;
  return {
    exitCode: 2,
    lines: [
      `panic: runtime error: invalid memory address or nil pointer dereference`,
      `[signal SIGSEGV: segmentation violation code=0x1 addr=0x28 pc=${pc}]`,
      ``,
      `goroutine ${rng.int(20, 400)} [running]:`,
      `github.com/example/${app.name}/internal/store.(*RedisStore).Get(0x0, {0xc0003a2b40, 0x24})`,
      `\t/src/internal/store/redis.go:88 +0x3a`,
      `github.com/example/${app.name}/internal/api.(*Handler).Get(0xc000118d80, {0xb0e2c0, 0xc0002f61c0}, 0xc000456900)`,
      `\t/src/internal/api/handler.go:41 +0x9c`,
      `net/http.HandlerFunc.ServeHTTP(0xc000456900?, {0xb0e2c0?, 0xc0002f61c0?}, 0x0?)`,
      `\t/usr/local/go/src/net/http/server.go:2171 +0x29`,
    ],
  };
}

/** What a caller prints when its callee refuses connections (ClusterIP without ready endpoints). */
export function connectionRefusedLine(caller: AppSpec, callee: { name: string; namespace: string; port: number; ip: string }, ms: number, rng: Rng): string {
  const url = `http://${callee.name}.${callee.namespace}.svc.cluster.local:${callee.port}/v1/${rng.pick(['charges', 'items', 'lookup'])}`;
  const isDb = callee.port === 5432;
  switch (caller.lang) {
    case 'go':
      return JSON.stringify({
        level: 'error',
        ts: ms / 1000,
        caller: isDb ? 'db/pool.go:74' : 'client/http.go:57',
        msg: isDb ? 'database unavailable' : 'upstream request failed',
        error: isDb
          ? `failed to connect to \`host=${callee.name}.${callee.namespace}.svc.cluster.local user=${caller.name} database=${caller.name}\`: dial error (dial tcp ${callee.ip}:${callee.port}: connect: connection refused)`
          : `Post "${url}": dial tcp ${callee.ip}:${callee.port}: connect: connection refused`,
      });
    case 'node':
      return JSON.stringify({ level: 50, time: ms, pid: 1, hostname: caller.name, msg: 'upstream request failed', err: { type: 'Error', message: `connect ECONNREFUSED ${callee.ip}:${callee.port}`, code: 'ECONNREFUSED', address: callee.ip, port: callee.port } });
    case 'java':
      return isDb
        ? `${javaTs(ms)} ERROR 1 --- [nio-${caller.container.port}-exec-3] com.zaxxer.hikari.pool.HikariPool        : HikariPool-1 - Exception during pool initialization. org.postgresql.util.PSQLException: Connection to ${callee.name}.${callee.namespace}.svc.cluster.local:${callee.port} refused. Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.`
        : `${javaTs(ms)} ERROR 1 --- [nio-${caller.container.port}-exec-7] c.e.${caller.name}.client.UpstreamClient : I/O error on POST request for "${url}": Connection refused`;
    case 'nginx':
      return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ').replace(/-/g, '/')} [error] 31#31: *${rng.int(1000, 99999)} connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.26.47, server: shop.example.com, request: "GET / HTTP/2.0", upstream: "http://${callee.ip}:${callee.port}/", host: "shop.example.com"`;
    default:
      return `ERROR:app.clients:request to ${url} failed: HTTPConnectionPool(host='${callee.name}.${callee.namespace}.svc.cluster.local', port=${callee.port}): Max retries exceeded with url: /v1/lookup (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f${rng.hex(10)}>: Failed to establish a new connection: [Errno 111] Connection refused'))`;
  }
}

/** A caller resolving a headless Service's pod name while the pod has no ready address (NXDOMAIN). */
export function noSuchHostLine(caller: AppSpec, host: string, dnsIp: string, ms: number): string {
  const err = `dial tcp: lookup ${host} on ${dnsIp}:53: no such host`;
  switch (caller.lang) {
    case 'go':
      return JSON.stringify({ level: 'error', ts: ms / 1000, caller: 'db/pool.go:74', msg: 'database unavailable', error: `failed to connect to \`host=${host} user=${caller.name} database=${caller.name}\`: hostname resolving error (lookup ${host} on ${dnsIp}:53: no such host)` });
    case 'node':
      return JSON.stringify({ level: 50, time: ms, pid: 1, hostname: caller.name, msg: 'upstream request failed', err: { type: 'Error', message: `getaddrinfo ENOTFOUND ${host}`, code: 'ENOTFOUND', hostname: host } });
    case 'java':
      return `${javaTs(ms)} ERROR 1 --- [nio-${caller.container.port}-exec-2] com.zaxxer.hikari.pool.HikariPool        : HikariPool-1 - Exception during pool initialization. org.postgresql.util.PSQLException: The connection attempt failed. Caused by: java.net.UnknownHostException: ${host}`;
    default:
      return `ERROR:app.db:could not connect to server: ${err}`;
  }
}

/** A job that exits 1 (batch script failing on its database). */
export function jobFailureLines(ms: number): string[] {
  return [
    `${javaTs(ms)} INFO report: generating report for ${new Date(ms - 86_400_000).toISOString().slice(0, 10)}`,
    `Traceback (most recent call last):`,
    `  File "/app/report.py", line 88, in <module>`,
    `    conn = psycopg2.connect(os.environ["DATABASE_URL"])`,
    `psycopg2.OperationalError: connection to server at "postgres.shop.svc.cluster.local" (10.100.37.93), port 5432 failed: FATAL:  password authentication failed for user "report"`,
  ];
}
