import avro from 'avsc';
import {
  decodeNormalizedEvent,
  decodeNormalizedLog,
  encodeNormalizedEvent,
  encodeNormalizedLog,
  NormalizedEvent,
  NormalizedLog,
  normalizedEventCodec,
  normalizedLogCodec,
} from '../../../src/avro/normalizedCodec';
import { loadRegistry, readSchema, schemaIdOf, subjectCodec, withWireHeader } from '../../../src/avro/schemaRegistry';

const event: NormalizedEvent = {
  event_id: '5d8c0c4e-1111-4c1c-9b59-0f0e4a1d2e3f',
  timestamp: 1718000000123,
  reason: 'BackOff',
  message: 'Back-off restarting failed container api in pod api-7d9f',
  type: 'Warning',
  severity: 'error',
  event_type_abstract: 'CrashLoopBackOff',
  object_kind: 'Pod',
  object_namespace: 'shop',
  object_name: 'api-7d9f',
  object_uid: 'c0ffee00-0000-4000-8000-000000000001',
  pod: 'api-7d9f',
  container: 'api',
  node: 'node-1',
  count: 7,
  reporting_component: 'kubelet',
  source_format: 'core/v1',
  first_timestamp: 1717999000000,
};

const log: NormalizedLog = {
  log_id: 'ab12',
  timestamp: 1718000000456,
  level: 'error',
  message: 'dial tcp 10.0.0.5:5432: connect: connection refused',
  pod: 'api-7d9f',
  namespace: 'shop',
  container: 'api',
  node: 'node-1',
  stream: 'stderr',
  template_id: 'deadbeef',
  template: 'dial tcp <*>: connect: connection refused',
  error_class: 'connection_refused',
  peers: ['10.0.0.5:5432'],
};

describe('normalizedCodec', () => {
  it('round-trips an event and a log with the latest schema id in the wire header', () => {
    const eb = encodeNormalizedEvent(event);
    expect(eb[0]).toBe(0);
    expect(schemaIdOf(eb)).toBe(normalizedEventCodec().writerId);
    expect({ ...decodeNormalizedEvent(eb) }).toEqual(event);
    const lb = encodeNormalizedLog(log);
    expect(schemaIdOf(lb)).toBe(normalizedLogCodec().writerId);
    expect({ ...decodeNormalizedLog(lb) }).toEqual(log);
  });

  it('keeps nulls as nulls', () => {
    const e = { ...event, type: null, object_kind: null, pod: null, reporting_component: null };
    expect({ ...decodeNormalizedEvent(encodeNormalizedEvent(e)) }).toEqual(e);
  });

  it('is smaller than the same value as JSON', () => {
    expect(encodeNormalizedEvent(event).length).toBeLessThan(Buffer.from(JSON.stringify(event)).length * 0.8);
  });

  it('decodes a record written with v1 of the repository schemas into the v2 shape with defaults', () => {
    const reg = loadRegistry().subjects['events.normalized-value'];
    const v1 = reg.find((v) => v.version === 1)!;
    const v1Type = avro.Type.forSchema(readSchema(v1.file));
    const { count: _c, reporting_component: _r, source_format: _s, first_timestamp: _f, ...v1Value } = event;
    const written = withWireHeader(v1.id, v1Type.toBuffer(v1Value));
    expect({ ...decodeNormalizedEvent(written) }).toEqual({ ...v1Value, count: 1, reporting_component: null, source_format: 'unknown', first_timestamp: null });

    const lreg = loadRegistry().subjects['logs.normalized-value'];
    const l1 = lreg.find((v) => v.version === 1)!;
    const { stream: _st, error_class: _e, peers: _p, ...l1Value } = log;
    const lw = withWireHeader(l1.id, avro.Type.forSchema(readSchema(l1.file)).toBuffer(l1Value));
    expect({ ...decodeNormalizedLog(lw) }).toEqual({ ...l1Value, stream: null, error_class: null, peers: [] });
  });

  it('decodes a v2 event (no first_timestamp) with first_timestamp null, and encodes an event written without it as null', () => {
    const e2 = loadRegistry().subjects['events.normalized-value'].find((v) => v.version === 2)!;
    const { first_timestamp: _f, ...e2Value } = event;
    const written = withWireHeader(e2.id, avro.Type.forSchema(readSchema(e2.file)).toBuffer(e2Value));
    expect({ ...decodeNormalizedEvent(written) }).toEqual({ ...e2Value, first_timestamp: null });
    expect(decodeNormalizedEvent(encodeNormalizedEvent(e2Value)).first_timestamp).toBeNull();
  });

  it('decodes a v2 log (no peers) with peers [], and encodes a log written without peers as []', () => {
    const l2 = loadRegistry().subjects['logs.normalized-value'].find((v) => v.version === 2)!;
    const { peers: _p, ...l2Value } = log;
    const written = withWireHeader(l2.id, avro.Type.forSchema(readSchema(l2.file)).toBuffer(l2Value));
    expect({ ...decodeNormalizedLog(written) }).toEqual({ ...l2Value, peers: [] });
    expect(decodeNormalizedLog(encodeNormalizedLog(l2Value)).peers).toEqual([]);
  });

  it('after a v2 change (a new field with a default), a v1 record written before still decodes', () => {
    const v1: avro.Schema = { type: 'record', name: 'X', fields: [{ name: 'a', type: 'string' }] };
    const v2: avro.Schema = { type: 'record', name: 'X', fields: [{ name: 'a', type: 'string' }, { name: 'b', type: 'int', default: 42 }] };
    const before = subjectCodec<{ a: string }>('x', [{ id: 100, schema: v1 }]);
    const bytes = before.encode({ a: 'hello' });
    const after = subjectCodec<{ a: string; b: number }>('x', [{ id: 100, schema: v1 }, { id: 101, schema: v2 }]);
    expect({ ...after.decode(bytes) }).toEqual({ a: 'hello', b: 42 });
    expect(schemaIdOf(after.encode({ a: 'x', b: 1 }))).toBe(101);
  });

  it('rejects a buffer that is not wire format or names an unknown schema id', () => {
    expect(() => decodeNormalizedEvent(Buffer.from('{"a":1}'))).toThrow(/magic byte/);
    expect(() => decodeNormalizedEvent(Buffer.from([0, 0, 0]))).toThrow(/at least 5/);
    expect(() => decodeNormalizedEvent(withWireHeader(999, Buffer.alloc(4)))).toThrow(/unknown schema id 999/);
  });

  it('writes no client id field in any schema', () => {
    for (const versions of Object.values(loadRegistry().subjects)) {
      for (const v of versions) {
        const names = (readSchema(v.file) as { fields: Array<{ name: string }> }).fields.map((f) => f.name);
        expect(names.filter((n) => /client|tenant/i.test(n))).toEqual([]);
      }
    }
  });
});
