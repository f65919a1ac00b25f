/**
 * The error class of a log message, or null. First match wins, so specific classes come before
 * general ones (an OOM panic is `oom`, a timeout while dialling is `timeout`).
 *
 * | class               | looks for                                                            |
 * |---------------------|----------------------------------------------------------------------|
 * | oom                 | OutOfMemoryError, out of memory, OOMKilled, cannot allocate memory   |
 * | disk_full           | no space left on device, disk full, ENOSPC                           |
 * | permission_denied   | permission denied, EACCES, forbidden, unauthorized, access denied    |
 * | dns_failure         | no such host, NXDOMAIN, getaddrinfo ENOTFOUND, name resolution       |
 * | connection_refused  | connection refused, ECONNREFUSED                                     |
 * | connection_reset    | connection reset, ECONNRESET, broken pipe, EPIPE                     |
 * | timeout             | timeout, timed out, deadline exceeded, ETIMEDOUT                     |
 * | tls_error           | x509:, certificate, tls handshake                                    |
 * | panic               | panic:, fatal error:, FATAL, segmentation fault, SIGSEGV, core dumped |
 * | exception           | Exception, Traceback, stack trace, "    at x(...)", Error: at the start |
 * | http_5xx            | HTTP status 500-599 ("status=503", "HTTP/1.1 502", "returned 500")  |
 */
export interface ErrorRule {
  errorClass: string;
  pattern: RegExp;
}

export const ERROR_RULES: readonly ErrorRule[] = [
  { errorClass: 'oom', pattern: /OutOfMemoryError|out of memory|OOMKilled|cannot allocate memory|memory limit exceeded/i },
  { errorClass: 'disk_full', pattern: /no space left on device|disk (?:is )?full|ENOSPC/i },
  { errorClass: 'permission_denied', pattern: /permission denied|EACCES|\bforbidden\b|\bunauthorized\b|access denied/i },
  { errorClass: 'dns_failure', pattern: /no such host|NXDOMAIN|ENOTFOUND|name resolution|could not resolve host|server misbehaving/i },
  { errorClass: 'connection_refused', pattern: /connection refused|ECONNREFUSED/i },
  { errorClass: 'connection_reset', pattern: /connection reset|ECONNRESET|broken pipe|EPIPE/i },
  { errorClass: 'timeout', pattern: /timed? ?out|deadline exceeded|ETIMEDOUT/i },
  { errorClass: 'tls_error', pattern: /x509:|certificate (?:has expired|signed by unknown|verify failed)|tls handshake/i },
  { errorClass: 'panic', pattern: /^panic:|\bpanic:|fatal error:|\bFATAL\b|segmentation fault|SIGSEGV|core dumped/ },
  { errorClass: 'exception', pattern: /\b[A-Z]\w*(?:Exception|Error)\b(?::|\s+at\s)|Traceback \(most recent call last\)|stack trace|^\s+at \S+\(.*\)|\n\s+at \S+/ },
  { errorClass: 'http_5xx', pattern: /(?:status(?:[ _]?code)?[=: ]+|HTTP\/\d(?:\.\d)? |returned )5\d\d\b/i },
];

export function classifyError(message: string): string | null {
  for (const r of ERROR_RULES) if (r.pattern.test(message)) return r.errorClass;
  return null;
}
