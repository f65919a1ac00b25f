/**
 * The error class of a log message, or null. First match wins, so specific classes come before
 * general ones (an OOM panic is `oom`, a timeout while dialling is `timeout`).
 *
 * | class               | looks for                                                            |
 * |---------------------|----------------------------------------------------------------------|
 * | config_error        | a missing config key, env variable or config file (KeyError on an env/config name, "missing required", "not set", "couldn't find key", config file not found) |
 * | oom                 | OutOfMemoryError, out of memory, OOMKilled, cannot allocate memory   |
 * | disk_full           | no space left on device, disk full, ENOSPC                           |
 * | permission_denied   | permission denied, EACCES, forbidden, unauthorized, access denied    |
 * | dns_failure         | no such host, NXDOMAIN, getaddrinfo ENOTFOUND, name resolution, java.net.UnknownHostException |
 * | connection_refused  | connection refused, ECONNREFUSED, Envoy upstream connect error, PgJDBC "Connection to h:p refused", OkHttp "Failed to connect to h:p" |
 * | connection_reset    | connection reset, ECONNRESET, broken pipe, EPIPE                     |
 * | timeout             | timeout, timed out, deadline exceeded, ETIMEDOUT                     |
 * | tls_error           | x509:, certificate has expired / signed by unknown / is not valid, tls handshake, SSL routines, unable to verify the first certificate |
 * | panic               | panic:, goroutine N [running]:, fatal error:, FATAL, segmentation fault, SIGSEGV, core dumped |
 * | uncaught_exception  | Node's uncaught exceptions and unhandled rejections                  |
 * | exception           | Exception (Exception in thread, Caused by:), Traceback, stack trace, "\tat x(...)", XxxError: |
 * | http_5xx            | HTTP status 500-599 ("status=503", "HTTP/1.1 502", "returned 500")  |
 */
export interface ErrorRule {
  errorClass: string;
  pattern: RegExp;
}

export const ERROR_RULES: readonly ErrorRule[] = [
  {
    errorClass: 'config_error',
    pattern:
      /KeyError: '[A-Z][A-Z0-9_]+'|\b(?:missing|required) (?:required )?(?:config(?:uration)?|env(?:ironment)?(?: variable)?|setting|property|key|option)s?\b|(?:env(?:ironment)? variable|config(?:uration)? (?:key|value|option)) \S+ (?:is )?(?:not set|missing|required|undefined|empty)|couldn't find key \S+ in (?:ConfigMap|Secret)|\b(?:config(?:uration)?|settings) file\b.*(?:not found|no such file|does not exist|missing)|(?:open|read|load(?:ing)?) \S*(?:conf|config|settings|\.ya?ml|\.json|\.toml|\.ini|\.properties|\.env)\S*: no such file or directory|ConfigException|invalid configuration/i,
  },
  { errorClass: 'oom', pattern: /OutOfMemoryError|out of memory|OOMKilled|cannot allocate memory|memory limit exceeded/i },
  { errorClass: 'disk_full', pattern: /no space left on device|disk (?:is )?full|ENOSPC/i },
  { errorClass: 'permission_denied', pattern: /permission denied|EACCES|\bforbidden\b|\bunauthorized\b|access denied/i },
  { errorClass: 'dns_failure', pattern: /no such host|NXDOMAIN|ENOTFOUND|name resolution|could not resolve host|server misbehaving|UnknownHostException/i },
  { errorClass: 'connection_refused', pattern: /connection refused|ECONNREFUSED|upstream connect error|delayed connect error: 111|Connection to \S+ refused|Failed to connect to \S+:\d+/i },
  { errorClass: 'connection_reset', pattern: /connection reset|ECONNRESET|broken pipe|EPIPE/i },
  { errorClass: 'timeout', pattern: /timed? ?out|deadline exceeded|ETIMEDOUT/i },
  { errorClass: 'tls_error', pattern: /x509:|certificate (?:has expired|signed by unknown|verify failed|is not valid|is valid for)|tls handshake|SSL routines|unable to verify the first certificate|CERT_HAS_EXPIRED|SELF_SIGNED_CERT/i },
  { errorClass: 'panic', pattern: /^panic:|\bpanic:|^goroutine \d+ \[running\]:|fatal error:|\bFATAL\b|segmentation fault|SIGSEGV|core dumped/ },
  { errorClass: 'uncaught_exception', pattern: /\buncaught\b|UnhandledPromiseRejection|unhandled (?:promise )?rejection|triggerUncaughtException/i },
  { errorClass: 'exception', pattern: /\b[A-Z]\w*(?:Exception|Error)\b(?::|\s+at\s)|Exception in thread|^Caused by: |Traceback \(most recent call last\)|stack trace|^\s+at \S+\(.*\)|\n\s+at \S+/ },
  { errorClass: 'http_5xx', pattern: /(?:status(?:[ _]?code)?[=: ]+|HTTP\/\d(?:\.\d)? |returned )5\d\d\b/i },
];

export function classifyError(message: string): string | null {
  for (const r of ERROR_RULES) if (r.pattern.test(message)) return r.errorClass;
  return null;
}
