import type { Statement } from '../graph/cypher';

import type { RcaAnswer } from '../domain/answer';

/** The answer's types live in src/domain (the alerts.enriched codec and the enricher pipeline use them). */
export type { PathStep, RankedCause, RcaAnswer } from '../domain/answer';

/** What an answer function reads with: GraphStore satisfies it. */
export interface GraphReader {
  read(client: string, statement: Statement): Promise<Record<string, unknown>[]>;
}

/**
 * The answer function: the ranked causes of the client's alert with this fingerprint (its latest
 * firing, by startsAt), or null when the client's graph holds no such alert.
 */
export type AnswerFunction = (reader: GraphReader, client: string, fingerprint: string, limit?: number) => Promise<RcaAnswer | null>;
