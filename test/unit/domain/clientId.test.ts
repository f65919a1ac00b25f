import { validateClientId, assertClientId, CLIENT_ID_MAX } from '../../../src/domain/clientId';

describe('validateClientId', () => {
  it.each(['abc', 'acme-prod', 'a1-b2-c3', 'z' + '9'.repeat(CLIENT_ID_MAX - 1), 'a--b'])('accepts %s', (id) => {
    expect(validateClientId(id)).toEqual({ ok: true, clientId: id });
  });

  const hostile: Array<[string, unknown, RegExp]> = [
    ['cypher injection', "a'}) DETACH DELETE n //", /may only contain \[a-z0-9-\], got "'" at position 1/],
    ['path traversal', '../x', /must start with a lowercase letter a-z, got "\."/],
    ['upper case', 'UPPER', /must start with a lowercase letter a-z, got "U"/],
    ['upper case later', 'aBc', /got "B" at position 1/],
    ['underscore', 'a_b', /got "_" at position 1/],
    ['100 characters', 'a'.repeat(100), /is 100 characters, at most 42/],
    ['empty', '', /client id is empty/],
    ['key separator only', '::', /is 2 characters, at least 3/],
    ['key separator inside', 'af-9::x', /got ":" at position 4/],
    ['trailing hyphen', 'abc-', /must not end with "-"/],
    ['digit first', '9abc', /must start with a lowercase letter/],
    ['too short', 'ab', /at least 3/],
    ['not a string', 42, /must be a string, got number/],
    ['null', null, /must be a string/],
    ['space', 'ab c', /got " " at position 2/],
    ['unicode look-alike', 'аbc', /must start with a lowercase letter/],
  ];
  it.each(hostile)('rejects %s with a reason', (_name, id, reason) => {
    const r = validateClientId(id);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('assertClientId throws naming where and the rule', () => {
    expect(() => assertClientId('UPPER', 'CLIENT_ID')).toThrow(/^CLIENT_ID: .*lowercase letter.*\(rule: /);
    expect(assertClientId('acme', 'CLIENT_ID')).toBe('acme');
  });
});
