import { rootCauses, Statement } from '../graph/cypher';
import { AnswerFunction, GraphReader, PathStep, RankedCause, RcaAnswer } from './answer';
import { answerAlert, RcaNotFound, RcaReader } from '../rca/answer';
import { storedAnswers } from './storedAnswer';

/**
 * The ONE place the delivery (API, alerts.enriched, notifications) gets its answers from:
 * {@link answerFor}, the ranking of src/rca. `rootCausesAdapter` below is the answer before it
 * (the `rootCauses` statement, each cause's best path, the top cause's category as fault type),
 * kept as the baseline the API benchmark and the tests compare with.
 */
const ALERT_BY_FINGERPRINT = `
MATCH (a:Event {client: $client})
WHERE a.eid STARTS WITH $prefix AND a.source = 'alert'
RETURN a.eid AS eid, a.reason AS alertname, a.detail AS status, a.ts AS ts
ORDER BY a.ts DESC LIMIT 1`;

const BEST_PATHS = `
MATCH (t:Event {client: $client, eid: $eid})
UNWIND $causes AS cause
MATCH (c:Event {client: $client, eid: cause})
MATCH p = (c)-[:POTENTIAL_CAUSE*1..4]->(t)
WHERE all(x IN relationships(p) WHERE x.client = $client)
WITH cause, p, reduce(s = 1.0, x IN relationships(p) | s * x.confidence) AS score
ORDER BY score DESC, length(p) ASC
WITH cause, collect(p)[0] AS best
RETURN cause, [i IN range(0, size(relationships(best)) - 1) | {
  eid: nodes(best)[i + 1].eid, reason: nodes(best)[i + 1].reason, resource: nodes(best)[i + 1].rid,
  ts: nodes(best)[i + 1].ts, rule: relationships(best)[i].rule, confidence: relationships(best)[i].confidence
}] AS steps`;

const iso = (ts: unknown): string | null => (ts === null || ts === undefined ? null : new Date(Number(ts)).toISOString());

export function alertByFingerprint(client: string, fingerprint: string): Statement {
  return { text: ALERT_BY_FINGERPRINT, params: { client, prefix: `alert:${fingerprint}:` } };
}

export const rootCausesAdapter: AnswerFunction = async (reader: GraphReader, client: string, fingerprint: string, limit = 10): Promise<RcaAnswer | null> => {
  const [alert] = await reader.read(client, alertByFingerprint(client, fingerprint));
  if (!alert) return null;
  const eid = String(alert.eid);
  const ranked = await reader.read(client, rootCauses(client, eid, limit));
  const paths = new Map<string, PathStep[]>();
  if (ranked.length > 0) {
    const rows = await reader.read(client, { text: BEST_PATHS, params: { client, eid, causes: ranked.map((r) => r.eid) } });
    for (const r of rows) {
      const steps = (r.steps as Array<Record<string, unknown>>).map((s) => ({
        eid: String(s.eid),
        reason: String(s.reason),
        resource: (s.resource as string | null) ?? null,
        at: iso(s.ts),
        rule: String(s.rule),
        confidence: Number(s.confidence),
      }));
      paths.set(String(r.cause), steps);
    }
  }
  const causes: RankedCause[] = ranked.map((r, i) => ({
    rank: i + 1,
    score: Number(r.score),
    eid: String(r.eid),
    reason: String(r.reason),
    category: (r.category as string | null) ?? null,
    resource: (r.rid as string | null) ?? null,
    at: iso(r.ts),
    hops: Number(r.hops),
    path: paths.get(String(r.eid)) ?? [],
  }));
  return {
    client,
    alert: { fingerprint, eid, alertname: String(alert.alertname), status: String(alert.status ?? 'firing'), startsAt: iso(alert.ts) as string },
    faultType: causes[0]?.category ?? null,
    causes,
  };
};

/** A reader of the delivery as the ranking's reader (GraphStore is both). */
function rcaReader(reader: GraphReader): RcaReader {
  const r = reader as GraphReader & Partial<RcaReader>;
  return typeof r.readRca === 'function' ? (r as RcaReader) : { readRca: (client, statement) => reader.read(client, statement) };
}

/**
 * The ranking of issue 14 (src/rca: personalised PageRank over the causal slice, FEKG fault types)
 * in the delivery's shape: its paths run from the cause (inclusive, each step carrying the edge
 * that leaves it) to the alert; the delivery's from the step after the cause, each carrying the
 * edge that enters it. An alert the graph does not hold is null.
 */
export const rankedAnswer: AnswerFunction = async (reader, client, fingerprint, limit = 10) => {
  try {
    const a = await answerAlert(rcaReader(reader), client, fingerprint, { rank: { limit } });
    return {
      ...a,
      causes: a.causes.map((c) => ({
        ...c,
        path: c.path.slice(1).map((step, i) => ({ ...step, rule: c.path[i].rule ?? '', confidence: c.path[i].confidence ?? 0 })),
      })),
    };
  } catch (err) {
    if (err instanceof RcaNotFound) return null;
    throw err;
  }
};

/**
 * The answer function the delivery uses: the ranking of src/rca behind the stored answers
 * (storedAnswer.ts): on a GraphStore the fresh stored answer, else the ranking's, stored.
 */
export const answerFor: AnswerFunction = storedAnswers(rankedAnswer);
