/**
 * The peer a connection or name-resolution error names: the host (a DNS name or an IP) and port the
 * process tried to reach, as the runtimes and clients print them. Plain functions over the message.
 *
 * | runtime / client            | looks like                                                                 |
 * |-----------------------------|----------------------------------------------------------------------------|
 * | Go net (dial)               | `dial tcp 10.96.12.7:5432: connect: connection refused`, `dial tcp 10.96.1.1:443: i/o timeout` |
 * | Go net (lookup)             | `lookup payments.shop.svc.cluster.local on 10.96.0.10:53: no such host` (the resolver is not the peer) |
 * | pgx / lib/pq                | failed to connect to `host=postgres.shop.svc.cluster.local user=…`           |
 * | Node                        | `connect ECONNREFUSED 10.0.3.4:8080`, `getaddrinfo ENOTFOUND redis-master`, `connect ETIMEDOUT 10.0.3.4:443` |
 * | Java                        | `Connection to db.shop.svc.cluster.local:5432 refused` (PgJDBC), `java.net.UnknownHostException: redis-master`, `Failed to connect to orders.shop/10.96.4.2:8080` (OkHttp), `Connect to orders:8080 [orders/10.96.4.2] failed` (Apache HttpClient) |
 * | Python                      | `HTTPConnectionPool(host='orders.shop', port=8080): Max retries exceeded`, `Error 111 connecting to redis-master:6379. Connection refused.` (redis-py), `connection to server at "postgres.shop.svc.cluster.local" (10.100.37.93), port 5432 failed` (psycopg2) |
 * | nginx                       | `connect() failed (111: Connection refused) while connecting to upstream, … upstream: "http://10.96.5.6:8080/"` |
 * | any                         | a URL: `Post "http://payments.payments.svc.cluster.local:8080/v1/charges": …` |
 * An Envoy / gRPC `upstream connect error or disconnect/reset before headers` names no peer: none.
 */

/** A host (DNS name, lower case, no trailing dot; or an IPv4 address) and the port, when printed. */
export interface Peer {
  host: string;
  port: number | null;
}

const HOST = String.raw`(\[[0-9a-fA-F:]+\]|[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?)`;
const PORT = String.raw`(\d{1,5})`;

/** Patterns with the host in group 1 and the port (when any) in group 2, most specific first. */
const PATTERNS: readonly RegExp[] = [
  // psycopg2: the name and the address; the name is the better peer.
  new RegExp(String.raw`server at "${HOST}" \([0-9.]+\), port ${PORT}`, 'g'),
  new RegExp(String.raw`\blookup ${HOST}(?: on [^:\s]+:\d+)?: (?:no such host|server misbehaving|i/o timeout|Temporary failure)`, 'gi'),
  new RegExp(String.raw`\bdial (?:tcp|udp)[46]? ${HOST}:${PORT}`, 'g'),
  new RegExp(String.raw`\bhost=${HOST}(?:[ \`'"]|$)`, 'g'),
  new RegExp(String.raw`HTTPS?ConnectionPool\(host='${HOST}', port=${PORT}\)`, 'g'),
  new RegExp(String.raw`\b(?:ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH) ${HOST}:${PORT}`, 'g'),
  new RegExp(String.raw`\bgetaddrinfo (?:ENOTFOUND|EAI_AGAIN) ${HOST}`, 'g'),
  new RegExp(String.raw`\bUnknownHostException: ${HOST}`, 'g'),
  new RegExp(String.raw`\bConnection to ${HOST}:${PORT} refused`, 'g'),
  new RegExp(String.raw`\bFailed to connect to ${HOST}(?:/[0-9.]+)?:${PORT}`, 'g'),
  new RegExp(String.raw`\bConnect to ${HOST}:${PORT} \[`, 'g'),
  new RegExp(String.raw`\bconnecting to ${HOST}:${PORT}`, 'gi'),
  new RegExp(String.raw`\bupstream: "(?:https?|grpcs?)://${HOST}(?::${PORT})?`, 'g'),
  new RegExp(String.raw`\b(?:https?|grpcs?)://${HOST}(?::${PORT})?`, 'g'),
];

const LOCAL = /^(?:localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|\[::1?\])$/;

/**
 * The peers an error message names, most specific first, each (host, port) once; a port-less
 * mention of a host also named with a port is dropped. Loopback and 0.0.0.0 are not peers.
 *
 * @example peersOf('dial tcp 10.96.12.7:5432: connect: connection refused') // [{ host: '10.96.12.7', port: 5432 }]
 */
export function peersOf(message: string, max = 4): Peer[] {
  const out: Peer[] = [];
  const seen = new Set<string>();
  for (const re of PATTERNS) {
    re.lastIndex = 0;
    for (let m = re.exec(message); m !== null; m = re.exec(message)) {
      const host = m[1].toLowerCase().replace(/\.$/, '');
      if (LOCAL.test(host) || !/[a-z0-9]/.test(host)) continue;
      const port = m[2] !== undefined ? Number(m[2]) : null;
      if (port !== null && (port <= 0 || port > 65535)) continue;
      const key = `${host}:${port ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ host, port });
    }
  }
  const withPort = new Set(out.filter((p) => p.port !== null).map((p) => p.host));
  return out.filter((p) => p.port !== null || !withPort.has(p.host)).slice(0, max);
}

/** The error classes whose lines name the peer that failed (src/normalize/classifyError.ts). */
export const PEER_ERROR_CLASSES: ReadonlySet<string> = new Set(['dns_failure', 'connection_refused', 'connection_reset', 'timeout', 'tls_error']);

/** `host:port` or `host`: how a peer travels in a normalized log's `peers`. */
export function formatPeer(p: Peer): string {
  return p.port === null ? p.host : `${p.host}:${p.port}`;
}

/** The inverse of {@link formatPeer}; null for a value that is not one. */
export function parsePeer(s: string): Peer | null {
  const m = /^(\[[0-9a-f:]+\]|[a-z0-9](?:[a-z0-9_.-]*[a-z0-9])?)(?::(\d{1,5}))?$/.exec(s);
  return m ? { host: m[1], port: m[2] !== undefined ? Number(m[2]) : null } : null;
}

/**
 * An IPv6 address (bare or in brackets, as `dial tcp [fd00::1]:80` prints it) in its RFC 5952 text
 * form — lower case, no leading zeros, the longest run of two or more zero groups as `::` — so the
 * address a log prints and a Service's clusterIP compare equal; null when it is not an IPv6
 * address (an embedded IPv4 tail, a zone or a scope is not a cluster address: null too).
 *
 * @example ipv6Canonical('[FD00:0:0:0:0:0:0:A]') // 'fd00::a'
 */
export function ipv6Canonical(s: string): string | null {
  const a = (s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s).toLowerCase();
  if (!/^[0-9a-f:]+$/.test(a) || !a.includes(':')) return null;
  const halves = a.split('::');
  if (halves.length > 2) return null;
  const part = (x: string) => (x === '' ? [] : x.split(':'));
  const head = part(halves[0]);
  const tail = halves.length === 2 ? part(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  const words = groups.map((g) => parseInt(g, 16).toString(16));
  // The longest run of zero groups (the first of equal ones), if at least two long.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > bestLen) (best = i), (bestLen = j - i);
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return words.join(':');
  return `${words.slice(0, best).join(':')}::${words.slice(best + bestLen).join(':')}`;
}
