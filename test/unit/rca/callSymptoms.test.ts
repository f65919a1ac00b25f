import { causalGraph, DEFAULT_RANK } from '../../../src/rca/rank';
import { RcaSlice, SliceEvent } from '../../../src/rca/slice';

const T = Date.parse('2026-11-20T10:00:00Z');
const MIN = 60_000;
const ev = (eid: string, reason: string, category: string, rid: string, ts: number, source = 'k8s'): SliceEvent => ({ eid, reason, category, rid, ts, source, message: '' });

describe('dependency edges: a callee failure explains its caller failed calls, not the caller own faults', () => {
  it('links the callee pod events to the caller refusals, DNS failures and alert, not to its probe failures or crashes', () => {
    const caller = 'Pod/shop/catalog-1';
    const db = 'Pod/shop/postgres-0';
    const alert = `alert:f00d:${T + 10 * MIN}`;
    const s: RcaSlice = {
      alert: { eid: alert, fingerprint: 'f00d', alertname: 'HighErrorRate', status: 'firing', startsAt: new Date(T + 10 * MIN).toISOString(), ts: T + 10 * MIN, rid: caller },
      events: [
        ev('db-oom', 'OOMKilled', 'oom', db, T, 'state'),
        ev('refused', 'connection_refused', 'log-conn', caller, T + MIN, 'log'),
        ev('nxdomain', 'dns_failure', 'log-dns', caller, T + MIN, 'log'),
        ev('probe', 'Unhealthy', 'unhealthy', caller, T + 2 * MIN),
        ev('exit', 'Error', 'crash', caller, T + 3 * MIN, 'state'),
        ev(alert, 'HighErrorRate', 'alert', caller, T + 10 * MIN, 'alert'),
      ],
      edges: [],
      near: [],
      calls: [{ caller, callee: 'Service/shop/postgres', target: db }],
      dependencies: ['db-oom'],
    };
    const g = causalGraph(s, DEFAULT_RANK);
    expect(g.edges.filter((e) => e.kind === 'dependency').map((e) => [e.cause, e.effect, e.rule]).sort()).toEqual([
      ['db-oom', alert, 'dependency:oom->alert'],
      ['db-oom', 'nxdomain', 'dependency:oom->log-dns'],
      ['db-oom', 'refused', 'dependency:oom->log-conn'],
    ]);
  });
});
