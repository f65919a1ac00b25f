import { NormalizedLog } from '../avro/normalizedCodec';
import { classifyError } from './classifyError';
import { detectLevel } from './detectLevel';
import { isObject, Json, obj, str, timestampMs } from './fields';
import { NormalizeResult, rejected } from './result';
import { stableId } from './stableId';
import { formatPeer, PEER_ERROR_CLASSES, peersOf } from '../domain/peers';
import { TemplateMiner } from './templateMiner';
import { TraceJoiner } from './traceJoiner';
import { futureProblem } from '../domain/time';
import { clipText } from '../domain/text';

/**
 * Turns one log record into a NormalizedLog (no client id). Accepted:
 * - `vector`: Vector `kubernetes_logs` JSON — message, timestamp, stream,
 *   kubernetes.{pod_name, pod_namespace, container_name, pod_node_name, pod_uid}
 * - `fluent-bit`: Fluent Bit with the kubernetes filter — log, time|@timestamp|date, stream,
 *   kubernetes.{pod_name, namespace_name, container_name, host}
 * - `plain`: any text that does not start with `{`; a CRI line prefix
 *   (`2024-06-10T12:00:00.1Z stderr F text`) gives the timestamp and stream.
 * A value starting with `{` must be JSON of one of the two shapes, else it is Rejected.
 * The template miner is the only state: pass the normalizer's own instance.
 *
 * @example normalizeLog(text, { fallbackTimestamp: rec.timestamp, keyId: 'l-1', miner })
 */
export interface NormalizeLogOptions {
  fallbackTimestamp: number;
  /** The uid of the record (the id part of its raw key), else a content hash is used. */
  keyId?: string;
  maxMessageChars?: number;
  miner: TemplateMiner;
  /** Joins the lines of a multi-line trace per container (state, like the miner); without it every line stands alone. */
  joiner?: TraceJoiner;
}

export type LogSourceFormat = 'vector' | 'fluent-bit' | 'plain';

interface Extracted {
  format: LogSourceFormat;
  line: string;
  timestamp: number | null;
  pod: string | null;
  namespace: string | null;
  container: string | null;
  node: string | null;
  stream: string | null;
}

const CRI = /^(\d{4}-\d{2}-\d{2}T\S+) (stdout|stderr) [FP] (.*)$/s;

export function normalizeLog(text: string, opts: NormalizeLogOptions): NormalizeResult<NormalizedLog> {
  const x = extract(text);
  if (!x.ok) return x;
  const e = x.value;
  const detected = detectLevel(e.line);
  const body = detected.message ?? e.line;
  const maxChars = opts.maxMessageChars ?? 4096;
  const message = clipText(body, maxChars);
  const timestamp = e.timestamp ?? opts.fallbackTimestamp;
  const late = futureProblem(timestamp, opts.fallbackTimestamp, 'timestamp');
  if (late) return rejected(late);
  // A line of a trace takes the class and template of the error line that opened it (not mined: frames would flood the miner).
  const container = `${e.namespace ?? ''}/${e.pod ?? ''}/${e.container ?? ''}`;
  const trace = opts.joiner?.continues(container, timestamp, e.line) ?? null;
  const errorClass = trace ? trace.errorClass : classifyError(body);
  const { templateId, template } = trace ?? opts.miner.add(message);
  if (!trace) opts.joiner?.observe(container, timestamp, errorClass === null ? null : { errorClass, templateId, template });
  const level = trace ? 'error' : detected.level === 'unknown' && errorClass !== null ? 'error' : detected.level;
  const value: NormalizedLog = {
    log_id: stableId(opts.keyId, [timestamp, e.namespace, e.pod, e.container, e.stream, e.line]),
    timestamp,
    level,
    message,
    pod: e.pod,
    namespace: e.namespace,
    container: e.container,
    node: e.node,
    stream: e.stream,
    template_id: templateId,
    template,
    error_class: errorClass,
    // The peer a connection / DNS error names (the line that opened a trace only): the graph builder infers CALLS from it.
    peers: !trace && errorClass !== null && PEER_ERROR_CLASSES.has(errorClass) ? peersOf(body).map(formatPeer) : [],
  };
  return { ok: true, value };
}

/** Which format a log value is in; exported for the golden tests. */
export function logFormatOf(text: string): LogSourceFormat | null {
  const x = extract(text);
  return x.ok ? x.value.format : null;
}

function extract(text: string): NormalizeResult<Extracted> {
  const start = firstNonSpace(text);
  if (text.charCodeAt(start) !== 123 /* { */) return { ok: true, value: plain(text) };
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (err) {
    return rejected(`invalid JSON: ${(err as Error).message}`);
  }
  if (!isObject(j)) return rejected('unknown log shape: not a JSON object');
  const k = obj(j.kubernetes);
  if (typeof j.message === 'string' && (k || j.source_type === 'kubernetes_logs')) return { ok: true, value: vector(j, k) };
  if (typeof j.log === 'string') return { ok: true, value: fluentBit(j, k) };
  return rejected(`unknown log shape: neither Vector kubernetes_logs (message + kubernetes) nor Fluent Bit (log); keys: ${Object.keys(j).slice(0, 10).join(',')}`);
}

function vector(j: Json, k: Json | null): Extracted {
  return {
    format: 'vector',
    line: j.message as string,
    timestamp: timestampMs(j.timestamp),
    pod: str(k?.pod_name),
    namespace: str(k?.pod_namespace),
    container: str(k?.container_name),
    node: str(k?.pod_node_name),
    stream: str(j.stream),
  };
}

function fluentBit(j: Json, k: Json | null): Extracted {
  const log = j.log as string;
  return {
    format: 'fluent-bit',
    // Docker's json-file driver keeps the newline at the end of each line.
    line: log.endsWith('\n') ? log.slice(0, -1) : log,
    timestamp: timestampMs(j.time) ?? timestampMs(j['@timestamp']) ?? timestampMs(j.date) ?? timestampMs(j.timestamp),
    pod: str(k?.pod_name),
    namespace: str(k?.namespace_name),
    container: str(k?.container_name),
    node: str(k?.host),
    stream: str(j.stream),
  };
}

function plain(text: string): Extracted {
  const line = text.endsWith('\n') ? text.slice(0, -1) : text;
  const cri = CRI.exec(line);
  return {
    format: 'plain',
    line: cri ? cri[3] : line,
    timestamp: cri ? timestampMs(cri[1]) : null,
    pod: null,
    namespace: null,
    container: null,
    node: null,
    stream: cri ? cri[2] : null,
  };
}

function firstNonSpace(s: string): number {
  let i = 0;
  while (i < s.length && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9 || s.charCodeAt(i) === 10 || s.charCodeAt(i) === 13)) i++;
  return i;
}
