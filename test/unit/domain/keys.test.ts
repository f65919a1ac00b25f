import {
  clientOfKey, formatKey, formatNormalizedKey, parseKey, parseNormalizedKey, clientPrefix,
} from '../../../src/domain/keys';

describe('parseKey', () => {
  it('parses {client}::{type}::{id}', () => {
    expect(parseKey('acme::event::9f2c-11')).toEqual({ ok: true, client: 'acme', type: 'event', id: '9f2c-11' });
  });
  it('accepts k8s-event as the event type', () => {
    expect(parseKey(Buffer.from('acme::k8s-event::u1'))).toEqual({ ok: true, client: 'acme', type: 'event', id: 'u1' });
  });
  it('keeps "::" inside the id (resource keys carry namespace/name)', () => {
    expect(parseKey('acme::Pod::default/web-1')).toEqual({ ok: true, client: 'acme', type: 'Pod', id: 'default/web-1' });
    expect(parseKey('acme::log::a::b')).toEqual({ ok: true, client: 'acme', type: 'log', id: 'a::b' });
  });
  it('parses the two-part topology key', () => {
    expect(parseKey('acme::topology')).toEqual({ ok: true, client: 'acme', type: 'topology', id: '' });
  });
  it.each([
    [null, /missing key/],
    ['', /missing key/],
    ['acme', /no "::" separator/],
    ['acme::event', /expected \{client\}::\{type\}::\{id\}/],
    ['acme::::x', /empty type/],
    ['acme::event::', /empty id/],
    ['UPPER::event::x', /invalid client id in key: .*lowercase/],
    ["a'}) DETACH DELETE n //::event::x", /invalid client id in key/],
    ['::event::x', /invalid client id in key: client id is empty/],
  ])('rejects %p', (key, reason) => {
    const r = parseKey(key as string | null);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });
});

describe('formatting round-trips', () => {
  it('formatKey ↔ parseKey', () => {
    const k = formatKey('acme', 'alert', 'fp123');
    expect(k).toBe('acme::alert::fp123');
    expect(parseKey(k)).toEqual({ ok: true, client: 'acme', type: 'alert', id: 'fp123' });
  });
  it('normalized keys', () => {
    expect(formatNormalizedKey('acme', 'evt', 'e1')).toBe('acme::evt-e1');
    expect(parseNormalizedKey('acme::log-abc')).toEqual({ ok: true, client: 'acme', kind: 'log', id: 'abc' });
    expect(parseNormalizedKey('acme::event::x').ok).toBe(false);
    expect(parseNormalizedKey('acme::evt-').ok).toBe(false);
    expect(parseNormalizedKey('Bad::evt-1').ok).toBe(false);
  });
  it('clientOfKey and clientPrefix', () => {
    expect(clientOfKey('acme::x::y')).toEqual({ ok: true, client: 'acme' });
    expect(clientPrefix('acme')).toBe('acme::');
    // A prefix check alone must not confuse "acme" with "acme2".
    expect('acme2::event::x'.startsWith(clientPrefix('acme'))).toBe(false);
  });
});
