import { Statement } from '../graph/cypher';
import { AbstractGraph, FAULT_TYPE_OF_CATEGORY, FaultPattern, learnedPattern, libraryOf, BUILTIN_PATTERNS } from './patterns';
import { patternsOfRows, patternsRead, patternUpsert } from './patternStore';
import { bestPaths, causalGraph, DEFAULT_RANK, evidenceGraph, RankOptions, rankCauses, RcaAnswer } from './rank';
import { alertList, alertLookup, AlertInfo, assembleSlice, clientExists, DEFAULT_SLICE, dependencyRead, RcaSlice, SliceOptions, sliceRead } from './slice';


/**
 * The events a stored answer can depend on: the slice's lookback before the alert plus one rule
 * window per hop of its upstream closure (the slice and rank defaults), ms.
 */
export const EVIDENCE_WINDOW_MS = DEFAULT_SLICE.lookbackMs + DEFAULT_SLICE.hops * DEFAULT_RANK.windowMs;

/**
 * The rca answers as plain async functions over a reader (the GraphStore, or anything that runs a
 * read statement in a client's graph): the CLI, the HTTP API and the corpus evaluator call these.
 *
 * @example
 *   const store = await GraphStore.connect(loadNeo4jConfig(process.env), log);
 *   const answer = await answerAlert(store, 'acme', '3f2a9c0d1e4b5a67');   // RcaAnswer (CONTRACT-RCA.md)
 *   const list = await listIncidents(store, 'acme');
 */
export interface RcaReader {
  /** Rows of one read statement in `client`'s graph. */
  readRca(client: string, statement: Statement): Promise<Array<Record<string, unknown>>>;
}

export interface RcaWriter extends RcaReader {
  /** Runs write statements in one transaction of `client`'s graph. */
  writeRca(client: string, statements: readonly Statement[]): Promise<void>;
}

/** An unknown client, alert or event: the CLI exits non-zero with the message. */
export class RcaNotFound extends Error {
  constructor(
    readonly what: 'client' | 'alert' | 'event',
    message: string,
  ) {
    super(message);
    this.name = 'RcaNotFound';
  }
}

export interface AnswerOptions {
  rank?: Partial<RankOptions>;
  slice?: Partial<SliceOptions>;
  /** Of several firings of one fingerprint, the one that started at this time (RFC 3339 or ms); default the latest. */
  startsAt?: string | number;
}

const num = (v: unknown): number => Number(v);

function alertOfRow(r: Record<string, unknown>, fingerprint: string): AlertInfo {
  const ts = num(r.ts);
  return { eid: String(r.eid), fingerprint, alertname: String(r.alertname ?? ''), status: String(r.status ?? 'firing'), startsAt: new Date(ts).toISOString(), ts, rid: (r.rid as string | null) ?? null };
}

/** Throws RcaNotFound('client') when `client` has no events at all. */
export async function assertKnownClient(reader: RcaReader, client: string): Promise<void> {
  const [row] = await reader.readRca(client, clientExists(client));
  if (!row || row.found !== true) throw new RcaNotFound('client', `unknown client ${JSON.stringify(client)}: no events in its graph`);
}

async function notFound(reader: RcaReader, client: string, what: 'alert' | 'event', message: string): Promise<never> {
  await assertKnownClient(reader, client);
  throw new RcaNotFound(what, message);
}

/** The alert of fingerprint `fp` (the latest firing, or the one starting at `startsAt`). */
export async function findAlert(reader: RcaReader, client: string, fp: string, startsAt?: string | number): Promise<AlertInfo> {
  const rows = await reader.readRca(client, alertLookup(client, fp));
  const want = startsAt === undefined ? undefined : typeof startsAt === 'number' ? startsAt : Date.parse(startsAt);
  const row = want === undefined ? rows[0] : rows.find((r) => num(r.ts) === want);
  if (!row) return notFound(reader, client, 'alert', `no alert with fingerprint ${JSON.stringify(fp)}${want === undefined ? '' : ` starting at ${new Date(want).toISOString()}`} in ${client}'s graph`);
  return alertOfRow(row, fp);
}

/** The slice of `alert` (one statement, and one more when its resources call other services). */
export async function readSlice(reader: RcaReader, client: string, alert: AlertInfo, opts: Partial<SliceOptions> = {}): Promise<RcaSlice> {
  const o = { ...DEFAULT_SLICE, ...opts };
  const [core] = await reader.readRca(client, sliceRead(client, alert.eid, o));
  if (!core) return notFound(reader, client, 'event', `no event ${JSON.stringify(alert.eid)} in ${client}'s graph`);
  const c = core as unknown as Parameters<typeof assembleSlice>[1];
  let deps: Parameters<typeof assembleSlice>[2] = null;
  if (c.calls.length > 0) {
    const [d] = await reader.readRca(client, dependencyRead(client, c.calls.map((x) => x.target), alert.ts - o.lookbackMs, alert.ts));
    deps = (d as unknown as Parameters<typeof assembleSlice>[2]) ?? null;
  }
  return assembleSlice(alert, c, deps);
}

async function libraryFor(reader: RcaReader, client: string): Promise<FaultPattern[]> {
  return libraryOf(patternsOfRows(await reader.readRca(client, patternsRead(client))));
}

/** The ranked, explained root causes of the alert of fingerprint `fp` in `client`'s graph. */
export async function answerAlert(reader: RcaReader, client: string, fp: string, opts: AnswerOptions = {}): Promise<RcaAnswer> {
  const alert = await findAlert(reader, client, fp, opts.startsAt);
  return answerFor(reader, client, alert, opts);
}

/** The same for any event of the graph by its internal id (an alert or not). */
export async function answerEvent(reader: RcaReader, client: string, eid: string, opts: AnswerOptions = {}): Promise<RcaAnswer> {
  const rows = await reader.readRca(client, { text: 'MATCH (t:Event {client: $client, eid: $eid}) RETURN t.eid AS eid, t.reason AS alertname, t.detail AS status, t.ts AS ts, t.rid AS rid', params: { client, eid } });
  if (rows.length === 0) return notFound(reader, client, 'event', `no event ${JSON.stringify(eid)} in ${client}'s graph`);
  return answerFor(reader, client, alertOfRow(rows[0], /^alert:(.+):-?\d+$/.exec(eid)?.[1] ?? ''), opts);
}

async function answerFor(reader: RcaReader, client: string, alert: AlertInfo, opts: AnswerOptions): Promise<RcaAnswer> {
  const rank = rankOptions(opts);
  const [slice, patterns] = await Promise.all([readSlice(reader, client, alert, opts.slice), rank.fekg ? libraryFor(reader, client) : Promise.resolve([...BUILTIN_PATTERNS])]);
  return rankCauses(client, slice, patterns, rank);
}

function rankOptions(opts: AnswerOptions): RankOptions {
  const lookback = opts.slice?.lookbackMs ?? DEFAULT_SLICE.lookbackMs;
  return { ...DEFAULT_RANK, alertLookbackMs: lookback, ...opts.rank };
}

export interface Incident {
  fingerprint: string;
  eid: string;
  alertname: string;
  status: string;
  startsAt: string;
  /** When it was last seen (resolved: its end). */
  lastAt: string;
  faultType: string | null;
  top: { eid: string; reason: string; resource: string | null; score: number; at: string } | null;
}

/** The client's alerts, latest first, each with its top cause and fault type (one answer per alert, one process, one reader). */
export async function listIncidents(reader: RcaReader, client: string, limit = 50, opts: AnswerOptions = {}): Promise<Incident[]> {
  const rows = await reader.readRca(client, alertList(client, limit));
  if (rows.length === 0) {
    await assertKnownClient(reader, client);
    return [];
  }
  const out: Incident[] = [];
  for (const r of rows) {
    const fp = /^alert:(.+):-?\d+$/.exec(String(r.eid))?.[1] ?? '';
    const alert = alertOfRow(r, fp);
    const a = await answerFor(reader, client, alert, { ...opts, rank: { ...opts.rank, limit: 1 } });
    const top = a.causes[0];
    out.push({
      fingerprint: fp, eid: alert.eid, alertname: alert.alertname, status: alert.status, startsAt: alert.startsAt,
      lastAt: new Date(num(r.last_ts ?? r.ts)).toISOString(), faultType: a.faultType,
      top: top ? { eid: top.eid, reason: top.reason, resource: top.resource, score: top.score, at: top.at } : null,
    });
  }
  return out;
}

/** The abstract evidence graph of `causeEid` for the slice's alert, or null when it has no path to it. */
export function evidenceOf(slice: RcaSlice, causeEid: string, rank: Pick<RankOptions, 'windowMs' | 'alertLookbackMs' | 'maxHops'>): AbstractGraph | null {
  const g = causalGraph(slice, rank);
  const paths = bestPaths(g.edges, slice.alert.eid, rank.maxHops);
  if (!paths.has(causeEid) || causeEid === slice.alert.eid) return null;
  return evidenceGraph(causeEid, g.events, g.edges, new Set(paths.keys()));
}

export interface ConfirmResult {
  pattern: FaultPattern;
  evidence: AbstractGraph;
}

/**
 * `rca confirm`: the client says `causeEid` is the root cause of the alert `fp`. Stores that
 * incident's pattern (the cause's evidence, rooted at its category) for the client, with the fault
 * type given, else the one the answer named for it, else its category's; writes the built-in library
 * too, so the client's FEKG is complete in its graph. Unknown client, alert or event (or an event with
 * no path to the alert) → RcaNotFound.
 */
export async function confirmCause(store: RcaWriter, client: string, fp: string, causeEid: string, faultType?: string, opts: AnswerOptions = {}): Promise<ConfirmResult> {
  const alert = await findAlert(store, client, fp, opts.startsAt);
  const rank = rankOptions(opts);
  const slice = await readSlice(store, client, alert, opts.slice);
  const evidence = evidenceOf(slice, causeEid, rank);
  if (!evidence) throw new RcaNotFound('event', `event ${JSON.stringify(causeEid)} has no causal path to alert ${fp} in ${client}'s graph`);
  const cause = slice.events.find((e) => e.eid === causeEid)!;
  let type = faultType;
  if (!type) {
    const answer = rankCauses(client, slice, await libraryFor(store, client), { ...rank, limit: Number.MAX_SAFE_INTEGER });
    const c = answer.causes.find((x) => x.eid === causeEid);
    type = (c?.pattern && c.pattern.similarity >= rank.minSimilarity ? c.pattern.faultType : undefined) ?? FAULT_TYPE_OF_CATEGORY[cause.category] ?? cause.category;
  }
  const pattern = learnedPattern(type, cause.category, evidence);
  await store.writeRca(client, [patternUpsert(client, [...BUILTIN_PATTERNS, pattern], { alertEid: alert.eid, causeEid, at: Date.now() })]);
  return { pattern, evidence };
}
