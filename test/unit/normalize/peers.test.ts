import { classifyError } from '../../../src/normalize/classifyError';
import { formatPeer, ipv6Canonical, parsePeer, PEER_ERROR_CLASSES, peersOf } from '../../../src/domain/peers';

/** Error lines as the runtimes and clients print them, and the peers they name. */
const CASES: Array<[string, string, string[]]> = [
  ['Go net dial', 'Post "http://10.96.12.7:5432/": dial tcp 10.96.12.7:5432: connect: connection refused', ['10.96.12.7:5432']],
  ['Go net dial alone', 'dial tcp 10.96.12.7:5432: connect: connection refused', ['10.96.12.7:5432']],
  ['Go lookup (the resolver is not the peer)', 'dial tcp: lookup payments.shop.svc.cluster.local on 10.96.0.10:53: no such host', ['payments.shop.svc.cluster.local']],
  [
    'pgx: the host name and the address',
    'failed to connect to `host=postgres.shop.svc.cluster.local user=orders database=orders`: dial error (dial tcp 10.100.37.93:5432: connect: connection refused)',
    ['10.100.37.93:5432', 'postgres.shop.svc.cluster.local'],
  ],
  ['Go i/o timeout', 'Get "https://10.96.0.1:443/api?timeout=32s": dial tcp 10.96.0.1:443: i/o timeout', ['10.96.0.1:443']],
  [
    'Go URL and dial',
    'Post "http://payments.payments.svc.cluster.local:8080/v1/charges": dial tcp 10.104.3.9:8080: connect: connection refused',
    ['10.104.3.9:8080', 'payments.payments.svc.cluster.local:8080'],
  ],
  ['gRPC-go', 'rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp 10.96.44.2:50051: connect: connection refused"', ['10.96.44.2:50051']],
  ['Node ECONNREFUSED', 'connect ECONNREFUSED 10.0.3.4:8080', ['10.0.3.4:8080']],
  ['Node ENOTFOUND', 'getaddrinfo ENOTFOUND redis-master', ['redis-master']],
  ['Node ETIMEDOUT', 'Error: connect ETIMEDOUT 10.96.7.7:6379\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1607:16)', ['10.96.7.7:6379']],
  ['Java PgJDBC', 'org.postgresql.util.PSQLException: Connection to db.other-ns.svc.cluster.local:5432 refused. Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.', ['db.other-ns.svc.cluster.local:5432']],
  ['Java UnknownHost', 'HikariPool-1 - Exception during pool initialization. org.postgresql.util.PSQLException: The connection attempt failed. Caused by: java.net.UnknownHostException: postgres-0.postgres.data.svc.cluster.local', ['postgres-0.postgres.data.svc.cluster.local']],
  ['Java OkHttp', 'java.net.ConnectException: Failed to connect to orders.shop/10.96.4.2:8080', ['orders.shop:8080']],
  ['Java Apache HttpClient', 'org.apache.http.conn.HttpHostConnectException: Connect to orders:8080 [orders/10.96.4.2] failed: Connection refused (Connection refused)', ['orders:8080']],
  ['Java ConnectException without a host', 'java.net.ConnectException: Connection refused (Connection refused)', []],
  [
    'Python requests',
    "HTTPConnectionPool(host='orders.shop', port=8080): Max retries exceeded with url: /v1/orders (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f3a2c1d5e80>: Failed to establish a new connection: [Errno 111] Connection refused'))",
    ['orders.shop:8080'],
  ],
  ['redis-py', 'redis.exceptions.ConnectionError: Error 111 connecting to redis-master:6379. Connection refused.', ['redis-master:6379']],
  ['psycopg2', 'psycopg2.OperationalError: connection to server at "postgres.shop.svc.cluster.local" (10.100.37.93), port 5432 failed: Connection refused', ['postgres.shop.svc.cluster.local:5432']],
  [
    'nginx upstream (not the client, not the Host header)',
    '2024/06/10 12:00:01 [error] 31#31: *4711 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.26.47, server: shop.example.com, request: "GET / HTTP/2.0", upstream: "http://10.96.5.6:8080/", host: "shop.example.com"',
    ['10.96.5.6:8080'],
  ],
  ['Envoy names no peer', 'upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: delayed connect error: 111', []],
  ['loopback is not a peer', 'dial tcp 127.0.0.1:9090: connect: connection refused', []],
  ['context deadline names no peer', 'rpc error: code = DeadlineExceeded desc = context deadline exceeded', []],
];

describe('peersOf', () => {
  it.each(CASES)('%s', (_name, line, peers) => {
    expect(peersOf(line).map(formatPeer)).toEqual(peers);
  });

  it('classifies every case that names a peer into a class whose peers are extracted', () => {
    for (const [name, line, peers] of CASES) {
      if (peers.length === 0 || name.startsWith('loopback')) continue;
      expect([name, PEER_ERROR_CLASSES.has(classifyError(line) ?? '')]).toEqual([name, true]);
    }
  });

  it('keeps at most max peers, each once', () => {
    const line = 'dial tcp 10.0.0.1:1: x; dial tcp 10.0.0.2:2: x; dial tcp 10.0.0.1:1: x; dial tcp 10.0.0.3:3: x';
    expect(peersOf(line, 2).map(formatPeer)).toEqual(['10.0.0.1:1', '10.0.0.2:2']);
  });
});

describe('parsePeer', () => {
  it('is the inverse of formatPeer', () => {
    expect(parsePeer('orders.shop:8080')).toEqual({ host: 'orders.shop', port: 8080 });
    expect(parsePeer('redis-master')).toEqual({ host: 'redis-master', port: null });
    expect(parsePeer('not a peer')).toBeNull();
  });
});

describe('ipv6Canonical (RFC 5952)', () => {
  it.each([
    ['[FD00:0:0:0:0:0:0:A]', 'fd00::a'],
    ['fd00:10:96:0:0:0:0:4a2', 'fd00:10:96::4a2'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0db8:0000:0000:0000:ff00:0042:8329', '2001:db8::ff00:42:8329'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::1', '::1'],
    ['fd00::', 'fd00::'],
  ])('%s → %s', (a, b) => {
    expect(ipv6Canonical(a)).toBe(b);
  });
  it.each(['10.96.0.1', 'fd00::1::2', '1:2:3:4:5:6:7:8:9', '1:2:3', 'fd00::g', '::ffff:10.0.0.1'])('%s is not an IPv6 cluster address', (a) => {
    expect(ipv6Canonical(a)).toBeNull();
  });
  it('finds the peer of a Go dial error to an IPv6 Service', () => {
    expect(peersOf('dial tcp [fd00:10:96::4a2]:8080: connect: connection refused')).toEqual([{ host: '[fd00:10:96::4a2]', port: 8080 }]);
  });
});
