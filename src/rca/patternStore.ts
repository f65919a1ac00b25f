import { Statement } from '../graph/cypher';
import { FaultPattern } from './patterns';

/**
 * The FEKG in Neo4j: one `FaultPattern` node per pattern and client (a label no Event or Resource
 * carries; unique on (client, pid), SCHEMA_STATEMENTS in src/graph/cypher.ts), holding its fault type, root categories and abstract edges.
 * `confirm` writes the built-in library and the learned pattern; the ranking reads the learned ones
 * (the built-ins come from code, so a new version of the library applies at once).
 */
export function patternsRead(client: string): Statement {
  return {
    text: `MATCH (p:FaultPattern {client: $client}) WHERE p.origin = 'learned'
RETURN p.pid AS id, p.faultType AS faultType, p.roots AS roots, p.edges AS edges, p.origin AS origin ORDER BY id`,
    params: { client },
  };
}

/** Rows of {@link patternsRead} → patterns. */
export function patternsOfRows(rows: ReadonlyArray<Record<string, unknown>>): FaultPattern[] {
  return rows.map((r) => ({ id: String(r.id), faultType: String(r.faultType), roots: (r.roots as string[]) ?? [], edges: (r.edges as string[]) ?? [], origin: r.origin === 'builtin' ? 'builtin' : 'learned' }));
}

export interface Confirmation {
  alertEid: string;
  causeEid: string;
  at: number;
}

/** Upserts `patterns` for `client`; a learned one records the alert and cause it was confirmed on (the latest confirmation wins). */
export function patternUpsert(client: string, patterns: readonly FaultPattern[], confirmation: Confirmation | null): Statement {
  return {
    text: `UNWIND $patterns AS x
MERGE (p:FaultPattern {client: $client, pid: x.id})
SET p.faultType = x.faultType, p.roots = x.roots, p.edges = x.edges, p.origin = x.origin
WITH p, x WHERE x.origin = 'learned' AND $confirmation IS NOT NULL
SET p.alert = $confirmation.alertEid, p.cause = $confirmation.causeEid, p.confirmedAt = $confirmation.at
RETURN count(p) AS written`,
    params: { client, patterns: patterns.map((p) => ({ id: p.id, faultType: p.faultType, roots: [...p.roots], edges: [...p.edges], origin: p.origin })), confirmation },
  };
}
