import { rememberedRoute } from '../../../src/commands/router';
import { SourceRecord } from '../../../src/kafka/record';
import { routeOf } from '../../../src/tenancy/routeOf';

function rec(key: Buffer | null): SourceRecord {
  return { topic: 'raw.k8s.events', partition: 0, offset: 0, key, value: null, headers: {}, timestamp: 0, ack: () => undefined };
}

describe('rememberedRoute (the router\'s routeOf by client prefix)', () => {
  // What the agent and webhook receiver really send, and what they must not: bare uids, empty keys, bad ids, bytes that are not UTF-8.
  const keys: Array<Buffer | null> = [
    'acme::event::9f2c1b7e-3c1d-4a51-9b1e-0c6f2f0d8a11',
    'acme::log::payments/api-7d9f/api',
    'beta::event::1',
    'acme::event::9f2c1b7e-3c1d-4a51-9b1e-0c6f2f0d8a11',
    'acme::',
    'acme',
    '9f2c1b7e-3c1d-4a51-9b1e-0c6f2f0d8a11',
    '',
    'Bad_Id::event::1',
    '::event::1',
    'beta::event::2',
  ]
    .map((k): Buffer | null => Buffer.from(k))
    .concat([null, Buffer.from([0x61, 0xff, 0x3a, 0x3a, 0x78]), Buffer.from([0x61, 0x3a, 0x3a, 0xff])]);

  it('routes every key as routeOf does, asked once or again, with and without a default client', () => {
    for (const fallback of [null, 'solo']) {
      const route = rememberedRoute(fallback);
      for (const round of [1, 2]) {
        for (const k of keys) expect({ round, key: k?.toString('latin1'), route: route(rec(k)) }).toEqual({ round, key: k?.toString('latin1'), route: routeOf(k, fallback) });
      }
    }
  });

  it('routes each key right with more client prefixes than it remembers (max 2)', () => {
    const route = rememberedRoute(null, 2);
    const clients = ['c-1', 'c-2', 'c-3', 'c-1', 'c-4', 'c-2'];
    expect(clients.map((c) => route(rec(Buffer.from(`${c}::event::x`))))).toEqual(clients.map((c) => ({ ok: true, client: c, via: 'key' })));
  });
});
