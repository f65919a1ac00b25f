import type { Statement } from '../graph/cypher';
import { alertOfProperties, SERVER_NOW, storeAnswer, storedAnswer, storedIncident } from '../graph/readCypher';
import { EVIDENCE_WINDOW_MS } from '../rca/answer';
import { AnswerFunction, GraphReader, RcaAnswer } from './answer';

/**
 * Answers computed when the alert or its evidence changes, stored on the alert node, served from
 * there. The alerts.enriched publisher answers every followed alert after each written batch
 * (debounced): through {@link storedAnswers} each answer it computes is stored with the graph
 * server's time its reads started from (`answer_at`, less {@link IN_FLIGHT_MARGIN_MS}). A stored
 * answer is fresh (readCypher `freshAnswer`) while it answered the alert's current state and no
 * event of the alert's evidence window ({@link EVIDENCE_WINDOW_MS} before it) was first written,
 * and no FEKG pattern confirmed, after `answer_at`; a stale or missing one is computed again and
 * stored. So a read serves what the ranking returns now, with one statement when nothing changed.
 *
 * Not seen as change (the answer is recomputed only when one of the above happens too): topology
 * changes of the resources around the alert, and causal edges written between events already in
 * the graph without a new event.
 */

/** How many causes a stored answer keeps (the API's incident page; a smaller limit is a prefix of it, as the ranking's truncation). */
export const STORED_LIMIT = 10;

export { EVIDENCE_WINDOW_MS };

/**
 * `answer_at` is this much before the server time at which the answer's reads started: an event
 * batch whose statement began (its `written_at`) before the reads but committed after them is still
 * newer than the answer. Graph batch transactions here commit within a second.
 */
export const IN_FLIGHT_MARGIN_MS = 5000;

/** A reader that can also write (GraphStore): where answers are stored. */
export interface AnswerStore extends GraphReader {
  readRca(client: string, statement: Statement): Promise<Record<string, unknown>[]>;
  writeRca(client: string, statements: readonly Statement[]): Promise<void>;
}

export function isAnswerStore(r: GraphReader): r is AnswerStore {
  const s = r as Partial<AnswerStore>;
  return typeof s.readRca === 'function' && typeof s.writeRca === 'function';
}

/** The events an incident page shows: the alert, every ranked cause and every step of their paths. */
export function answerEventIds(answer: RcaAnswer): string[] {
  const ids = new Set<string>([answer.alert.eid]);
  for (const c of answer.causes) {
    ids.add(c.eid);
    for (const s of c.path) ids.add(s.eid);
  }
  return [...ids];
}

/** The first `limit` causes (the ranking truncates its sorted causes; scores are shares of all of them). */
export function limited(a: RcaAnswer, limit: number): RcaAnswer {
  return a.causes.length <= limit ? a : { ...a, causes: a.causes.slice(0, limit) };
}

/** The storeAnswer statement of an answer whose reads started from server time `at`. */
export function storeStatement(client: string, a: RcaAnswer, at: number, limit: number): Statement {
  const t = a.causes[0];
  return storeAnswer(client, a.alert.eid, {
    json: JSON.stringify(a),
    at,
    status: a.alert.status,
    limit,
    eids: answerEventIds(a),
    faultType: a.faultType,
    top: t ? { eid: t.eid, reason: t.reason, rid: t.resource, score: t.score, at: t.at } : null,
  });
}

/** Computes the answer (limit {@link STORED_LIMIT}) and stores it on its alert node; null: no such alert. */
export async function computeAndStore(compute: AnswerFunction, store: AnswerStore, client: string, fingerprint: string): Promise<RcaAnswer | null> {
  const [clock] = await store.readRca(client, SERVER_NOW);
  const at = Number(clock.now) - IN_FLIGHT_MARGIN_MS;
  const a = await compute(store, client, fingerprint, STORED_LIMIT);
  if (a) await store.writeRca(client, [storeStatement(client, a, at, STORED_LIMIT)]);
  return a;
}

/** A stored answer of a read row, when it is fresh and holds at least `limit` causes' worth. */
function usable(row: Record<string, unknown> | undefined, limit: number): RcaAnswer | null {
  if (!row || row.fresh !== true || typeof row.answer !== 'string' || Number(row.answerLimit) < limit) return null;
  return limited(JSON.parse(row.answer) as RcaAnswer, limit);
}

/**
 * `compute` behind the stored answers: on a store (GraphStore), the fresh stored answer when
 * there is one, else `compute`'s, stored; on any other reader, `compute`'s.
 */
export function storedAnswers(compute: AnswerFunction): AnswerFunction {
  return async (reader, client, fingerprint, limit = STORED_LIMIT) => {
    if (!isAnswerStore(reader) || limit > STORED_LIMIT) return compute(reader, client, fingerprint, limit);
    const [row] = await reader.readRca(client, storedAnswer(client, fingerprint, EVIDENCE_WINDOW_MS));
    if (!row) return null;
    const stored = usable(row, limit);
    if (stored) return stored;
    const a = await computeAndStore(compute, reader, client, fingerprint);
    return a && limited(a, limit);
  };
}

/** An incident page's reads: the answer, the alert node's fields and the answer's subgraph. */
export interface IncidentReads {
  answer: RcaAnswer;
  alert: Record<string, unknown>;
  subgraph: Array<Record<string, unknown>>;
  /** Whether the answer was the stored one (one statement) or computed now. */
  stored: boolean;
}

/**
 * The incident of `fingerprint` in one statement when its stored answer is fresh, else the answer
 * of `answer` (which stores it, {@link storedAnswers}) and the alert node and subgraph read after it.
 * Null: the client's graph holds no such alert.
 */
export async function incidentReads(
  store: GraphReader & { alert(client: string, eid: string): Promise<Record<string, unknown> | undefined>; eventSubgraph(client: string, eids: readonly string[]): Promise<Record<string, unknown>[]> },
  answer: AnswerFunction,
  client: string,
  fingerprint: string,
): Promise<IncidentReads | null> {
  const [row] = await store.read(client, storedIncident(client, fingerprint, EVIDENCE_WINDOW_MS));
  if (!row) return null;
  const props = row.alert as Record<string, unknown>;
  const stored = usable({ fresh: row.fresh, answer: props.answer_json, answerLimit: props.answer_limit }, STORED_LIMIT);
  if (stored) return { answer: stored, alert: alertOfProperties(props), subgraph: row.sub as Array<Record<string, unknown>>, stored: true };
  const a = await answer(store, client, fingerprint, STORED_LIMIT);
  if (!a) return null;
  const [alert, subgraph] = await Promise.all([store.alert(client, a.alert.eid), store.eventSubgraph(client, answerEventIds(a))]);
  return alert ? { answer: a, alert, subgraph, stored: false } : null;
}
