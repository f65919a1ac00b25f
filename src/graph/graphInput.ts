import { NormalizedEvent, NormalizedLog } from '../avro/normalizedCodec';
import { AlertmanagerAlert } from './alert';
import { EventRow } from './eventRows';

/** What one graph-builder record is, before batching. */
export type GraphInput =
  | { kind: 'event'; value: NormalizedEvent }
  | { kind: 'log'; value: NormalizedLog }
  | { kind: 'alert'; value: AlertmanagerAlert }
  /** The kg-rca-agent's alert payloads (several alerts in one record) and target-down rows (src/agent). */
  | { kind: 'alerts'; value: AlertmanagerAlert[] }
  | { kind: 'row'; value: EventRow };

export type DecodedRecord =
  | { kind: 'foreign' }
  /** `via: 'normalizer'`: JSON (the agent's default routes) normalized in-process instead of Avro. */
  | { kind: 'input'; input: GraphInput; via?: 'normalizer' }
  /** Understood and deliberately not written (e.g. a log line that is not a classified error). */
  | { kind: 'skip'; reason: string }
  | { kind: 'reject'; reason: string };

export interface GraphTopics {
  events: string;
  logs: string;
  alerts: string;
  /** The agent's Vector Alertmanager payloads and Prometheus targets (read only when set). */
  rawPromAlerts?: string;
  promTargets?: string;
}
