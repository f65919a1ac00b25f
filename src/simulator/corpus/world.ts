import { coreV1, eventName, eventrouterEnvelope, eventsV1, exporterEvent, fluentBitLog, criLine, Involved, K8sEvent, LogSource, Obj, rfc3339, vectorLog, AlertSpec, webhookBody } from './formats';
import { Rng } from './rng';

/**
 * The mutable state of one simulated cluster while a corpus is generated: every record it sends
 * (with its time and whether it belongs to an incident), the history of every object (for resyncs),
 * and helpers that emit Events, log lines, object snapshots and alert notifications in real formats.
 */
export type CorpusTopic = 'event' | 'log' | 'resource' | 'alert';

export interface CorpusRecord {
  /** When the cluster sends it, ms since the epoch. */
  at: number;
  topic: CorpusTopic;
  /** The key's id part: event uid, log uid, `{Kind}` + `{namespace}/{name}` for objects, alert group key. */
  kind?: string;
  id: string;
  /** JSON or plain text; null = tombstone (a deleted object). */
  value: string | null;
  /** True for the records an incident produced (its causal chain), false for noise. */
  causal: boolean;
  /** The incident a causal record belongs to. */
  incident?: string;
}

export type Shipper = 'vector' | 'fluent-bit';

export interface NodeInfo {
  name: string;
  index: number;
  ip: string;
  shipper: Shipper;
  system: boolean;
}

/** Who caused a record: an incident id, or noise. */
export interface Tag {
  causal: boolean;
  incident?: string;
}

export const NOISE: Tag = { causal: false };

export function objKey(o: Obj): { kind: string; id: string } {
  const m = o.metadata as { name: string; namespace?: string };
  return { kind: o.kind as string, id: m.namespace ? `${m.namespace}/${m.name}` : m.name };
}

export function meta(o: Obj): { name: string; namespace?: string; uid: string; labels?: Record<string, string>; annotations?: Record<string, string>; ownerReferences?: Array<{ kind: string; name: string }> } {
  return o.metadata as never;
}

export class World {
  readonly records: CorpusRecord[] = [];
  /** Object history per `{Kind}/{ns}/{name}`: snapshots in time order (null = deleted). */
  readonly history = new Map<string, Array<{ at: number; value: string | null; obj: Obj | null }>>();
  private rv = 100_000;
  private eventFormat = new Map<string, 'core' | 'exporter' | 'eventrouter'>();
  private lastEvent = new Map<string, K8sEvent>();
  readonly nodes: NodeInfo[] = [];

  constructor(readonly rng: Rng) {}

  nextRv(): number {
    return (this.rv += this.rng.int(1, 40));
  }

  /** A snapshot of `o` on state.k8s.resource at `at` (resourceVersion bumped). */
  put(at: number, o: Obj, tag: Tag): Obj {
    const snapshot = structuredClone(o);
    (snapshot.metadata as Record<string, unknown>).resourceVersion = String(this.nextRv());
    const { kind, id } = objKey(snapshot);
    const value = JSON.stringify(snapshot);
    const h = this.history.get(`${kind}/${id}`) ?? [];
    h.push({ at, value, obj: snapshot });
    this.history.set(`${kind}/${id}`, h);
    this.records.push({ at, topic: 'resource', kind, id, value, ...tag });
    return snapshot;
  }

  /** The object deleted at `at`: a tombstone on its key. */
  del(at: number, o: Obj, tag: Tag): void {
    const { kind, id } = objKey(o);
    const h = this.history.get(`${kind}/${id}`) ?? [];
    h.push({ at, value: null, obj: null });
    this.history.set(`${kind}/${id}`, h);
    this.records.push({ at, topic: 'resource', kind, id, value: null, ...tag });
  }

  /** The latest snapshot of an object at or before `at`. */
  stateAt(key: string, at: number): { value: string | null; obj: Obj | null } | undefined {
    const h = this.history.get(key);
    if (!h) return undefined;
    let best: { value: string | null; obj: Obj | null } | undefined;
    for (const s of h) if (s.at <= at) best = s;
    return best;
  }

  /**
   * An Event about `o`; returns it so that `repeat` can re-send it with a higher count (same uid,
   * same name: the kubelet's event aggregation). Scheduler events go out as events.k8s.io/v1; the
   * rest as core/v1, kubernetes-event-exporter or eventrouter JSON (chosen per event, fixed for its repeats).
   */
  event(at: number, o: Obj, e: { reason: string; message: string; type: 'Normal' | 'Warning'; component: string; host?: string; fieldPath?: string; instance?: string; action?: string }, tag: Tag): K8sEvent {
    const m = meta(o);
    const kind = o.kind as string;
    const involved: Involved = {
      kind,
      ...(m.namespace ? { namespace: m.namespace } : {}),
      name: m.name,
      // node-problem-detector and the kubelet report Node events with the node's name as its uid.
      uid: kind === 'Node' ? m.name : m.uid,
      apiVersion: (o.apiVersion as string) ?? 'v1',
      ...(kind === 'Node' ? {} : { resourceVersion: (o.metadata as Record<string, string>).resourceVersion ?? String(this.rv) }),
      ...(e.fieldPath ? { fieldPath: e.fieldPath } : {}),
      ...(m.labels ? { labels: m.labels } : {}),
    };
    const jitter = this.rng.int(0, 999_999);
    const ev: K8sEvent = {
      uid: this.rng.uid(),
      name: eventName(m.name, at, jitter),
      namespace: m.namespace ?? 'default',
      involved,
      reason: e.reason,
      message: e.message,
      type: e.type,
      component: e.component,
      host: e.host,
      instance: e.instance,
      action: e.action,
      first: at,
      last: at,
      count: 1,
      resourceVersion: this.nextRv(),
    };
    const r = this.rng.next();
    this.eventFormat.set(ev.uid, r < 0.6 ? 'core' : r < 0.9 ? 'exporter' : 'eventrouter');
    this.emitEvent(ev, null, tag);
    return ev;
  }

  /** The same Event seen again at `at`: count + n, lastTimestamp `at`. */
  repeat(ev: K8sEvent, at: number, tag: Tag, n = 1): K8sEvent {
    const previous = this.lastEvent.get(ev.uid) ?? ev;
    const next: K8sEvent = { ...previous, last: Math.max(previous.last, at), count: previous.count + n, resourceVersion: this.nextRv() };
    this.emitEvent(next, previous, tag);
    return next;
  }

  private emitEvent(ev: K8sEvent, previous: K8sEvent | null, tag: Tag): void {
    this.lastEvent.set(ev.uid, ev);
    let value: Obj;
    if (ev.component === 'default-scheduler') value = eventsV1(ev, parseInt(ev.uid.slice(0, 5), 16) % 1_000_000);
    else {
      const f = this.eventFormat.get(ev.uid) ?? 'core';
      value = f === 'core' ? coreV1(ev) : f === 'exporter' ? exporterEvent(ev) : eventrouterEnvelope(ev, previous);
    }
    this.records.push({ at: ev.last, topic: 'event', id: ev.uid, value: JSON.stringify(value), ...tag });
  }

  /** One container log line of `s`, shipped by its node's agent (Vector or Fluent Bit). */
  log(at: number, s: LogSource, message: string, stream: 'stdout' | 'stderr', tag: Tag): void {
    const node = this.nodes.find((n) => n.name === s.node);
    const jitter = this.rng.int(0, 999_999);
    const value = node?.shipper === 'fluent-bit' ? fluentBitLog(s, message, at, stream, jitter) : vectorLog(s, message, at, stream, jitter);
    this.records.push({ at, topic: 'log', id: this.rng.uid(), value: JSON.stringify(value), ...tag });
  }

  /** A line from a forwarder that sends bare CRI lines, without Kubernetes metadata (noise only). */
  plainLog(at: number, message: string, stream: 'stdout' | 'stderr'): void {
    this.records.push({ at, topic: 'log', id: this.rng.uid(), value: criLine(message, at, stream, this.rng.int(0, 999_999)), causal: false });
  }

  /** An Alertmanager notification (webhook body, one alert) sent at `at`. */
  notify(at: number, alert: AlertSpec, tag: Tag): void {
    const body = webhookBody([alert]);
    this.records.push({ at, topic: 'alert', id: body.groupKey as string, value: JSON.stringify(body), ...tag });
  }
}

/** `rfc3339` for status fields. */
export const ts = rfc3339;
