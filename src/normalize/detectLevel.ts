import { isObject } from './fields';

/**
 * The level of a log line, normalized to trace|debug|info|warn|error|fatal, or `unknown`.
 * Looked for, in order: a JSON line's level field (level, severity, lvl, log.level, levelname),
 * logfmt `level=...`, klog's `E0610 12:00:00` prefix, and common prefixes (`ERROR`, `[warn]`,
 * `WARNING:`, `panic:`, `Traceback`). A JSON line also yields its message (msg/message/log), followed by
 * its error when it has one (zap `error`, pino `err.message`, `exception`): `msg: error`.
 *
 * @example detectLevel('level=error msg="db down"') // { level: 'error' }
 */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'unknown';

const WORDS: Record<string, LogLevel> = {
  trace: 'trace', trc: 'trace', finest: 'trace',
  debug: 'debug', dbg: 'debug', fine: 'debug', d: 'debug',
  info: 'info', inf: 'info', information: 'info', notice: 'info', i: 'info',
  warn: 'warn', warning: 'warn', wrn: 'warn', w: 'warn',
  error: 'error', err: 'error', eror: 'error', e: 'error', severe: 'error',
  fatal: 'fatal', crit: 'fatal', critical: 'fatal', alert: 'fatal', emerg: 'fatal', emergency: 'fatal', panic: 'fatal', dpanic: 'fatal', f: 'fatal',
};

/** A level word (any case) or a syslog/bunyan number to a LogLevel. */
export function levelOf(x: unknown): LogLevel | null {
  if (typeof x === 'number') {
    // bunyan/pino: 10 trace .. 60 fatal
    if (x >= 60) return 'fatal';
    if (x >= 50) return 'error';
    if (x >= 40) return 'warn';
    if (x >= 30) return 'info';
    if (x >= 20) return 'debug';
    if (x >= 10) return 'trace';
    return null;
  }
  if (typeof x !== 'string') return null;
  return WORDS[x.trim().toLowerCase()] ?? null;
}

export interface DetectedLevel {
  level: LogLevel;
  /** The message of a JSON log line (msg/message/log), when the line is JSON. */
  message?: string;
}

const LOGFMT_LEVEL = /(?:^|\s)(?:level|lvl|severity)=("?)([A-Za-z]+)\1(?=\s|$)/;
const KLOG = /^([IWEF])\d{4} \d{2}:\d{2}:\d{2}/;
const PREFIX = /^\s*(?:\d{4}-\d{2}-\d{2}[T ][\d:.,]+(?:Z|[+-]\d{2}:?\d{2})?\s+)?[[(<]?(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|SEVERE|FATAL|CRITICAL|CRIT|PANIC)[\])>:]?(?=[\s:\]|-]|$)/i;

function errorText(x: unknown): string | undefined {
  if (typeof x === 'string' && x.length > 0) return x;
  return isObject(x) && typeof x.message === 'string' && x.message.length > 0 ? x.message : undefined;
}

export function detectLevel(line: string): DetectedLevel {
  const first = line.charCodeAt(0);
  if (first === 123 /* { */) {
    try {
      const j = JSON.parse(line) as unknown;
      if (isObject(j)) {
        const nested = isObject(j.log) ? j.log : null;
        const level = levelOf(j.level) ?? levelOf(j.severity) ?? levelOf(j.lvl) ?? levelOf(nested?.level) ?? levelOf(j.levelname) ?? levelOf(j['log.level']);
        const text = [j.msg, j.message, j.log].find((m) => typeof m === 'string') as string | undefined;
        // zap's `error`, pino's serialized `err` ({type, message, stack}): what failed, and the peer it names.
        const err = errorText(j.error) ?? errorText(j.err) ?? errorText(j.exception);
        const msg = text !== undefined && err !== undefined && text !== err ? `${text}: ${err}` : (text ?? err);
        return { level: level ?? 'unknown', ...(msg !== undefined ? { message: msg } : {}) };
      }
    } catch {
      // not JSON after all: fall through to text rules
    }
  }
  const lf = LOGFMT_LEVEL.exec(line);
  if (lf) {
    const l = levelOf(lf[2]);
    if (l) return { level: l };
  }
  const k = KLOG.exec(line);
  if (k) return { level: levelOf(k[1]) ?? 'unknown' };
  const p = PREFIX.exec(line);
  if (p) return { level: levelOf(p[1]) ?? 'unknown' };
  if (/^(panic:|fatal error:|Traceback \(most recent call last\))/.test(line)) return { level: line.startsWith('Traceback') ? 'error' : 'fatal' };
  return { level: 'unknown' };
}
