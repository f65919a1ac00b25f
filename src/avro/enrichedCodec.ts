import { PathStep, RankedCause, RcaAnswer } from '../domain/answer';
import { subjectCodec, SubjectCodec } from './schemaRegistry';

/**
 * Avro values of alerts.enriched (schemas/alert-enriched.v*.avsc), Confluent wire format like the
 * other hot-path topics. No client id: it is in the key.
 */
export interface EnrichedAlert {
  fingerprint: string;
  alert_eid: string;
  alertname: string;
  status: string;
  starts_at: number;
  fault_type: string | null;
  revision: number;
  published_at: number;
  causes: Array<Omit<RankedCause, 'at' | 'path'> & { at: number | null; path: Array<Omit<PathStep, 'at'> & { at: number | null }> }>;
}

export const ENRICHED_SUBJECT = 'alerts.enriched-value';

let codec: SubjectCodec<EnrichedAlert> | undefined;

export function enrichedAlertCodec(): SubjectCodec<EnrichedAlert> {
  return (codec ??= subjectCodec<EnrichedAlert>(ENRICHED_SUBJECT));
}

const ms = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));

/** An rca answer → the enriched value (times as ms; the client and the incident link, which names it, left out: the key carries the client). */
export function enrichedOfAnswer(a: RcaAnswer, revision: number, publishedAt: number): EnrichedAlert {
  return {
    fingerprint: a.alert.fingerprint,
    alert_eid: a.alert.eid,
    alertname: a.alert.alertname,
    status: a.alert.status,
    starts_at: Date.parse(a.alert.startsAt),
    fault_type: a.faultType,
    revision,
    published_at: publishedAt,
    causes: a.causes.map((c) => ({
      rank: c.rank,
      score: c.score,
      eid: c.eid,
      reason: c.reason,
      category: c.category,
      resource: c.resource,
      at: ms(c.at),
      hops: c.hops,
      path: c.path.map((s) => ({ eid: s.eid, reason: s.reason, resource: s.resource, at: ms(s.at), rule: s.rule, confidence: s.confidence })),
    })),
  };
}

export function encodeEnrichedAlert(v: EnrichedAlert): Buffer {
  return enrichedAlertCodec().encode(v);
}

export function decodeEnrichedAlert(b: Buffer): EnrichedAlert {
  return enrichedAlertCodec().decode(b);
}
