import { ConfigError, readBool, readEnum, readInt, readList, readRequired } from '../../../src/config/env';

describe('env readers', () => {
  it('uses the default when unset or blank', () => {
    expect(readInt({}, 'X', 5)).toBe(5);
    expect(readInt({ X: '  ' }, 'X', 5)).toBe(5);
  });
  it('names the variable and the fix on a bad integer', () => {
    expect(() => readInt({ BATCH: '12a' }, 'BATCH', 5)).toThrow(ConfigError);
    expect(() => readInt({ BATCH: '12a' }, 'BATCH', 5)).toThrow(/^BATCH: must be an integer, got "12a"\. Set BATCH to a whole number/);
    expect(() => readInt({ BATCH: '0' }, 'BATCH', 5, { min: 1 })).toThrow(/BATCH: must be at least 1, got 0/);
  });
  it('reads booleans, enums and lists strictly', () => {
    expect(readBool({ F: 'yes' }, 'F', false)).toBe(true);
    expect(() => readBool({ F: 'maybe' }, 'F', false)).toThrow(/F: must be true or false/);
    expect(readEnum({ M: 'shared' }, 'M', ['shared', 'database'] as const, 'database')).toBe('shared');
    expect(() => readEnum({ M: 'x' }, 'M', ['shared', 'database'] as const, 'database')).toThrow(/M: must be one of shared, database/);
    expect(readList({ L: 'a, b,,c' }, 'L')).toEqual(['a', 'b', 'c']);
    expect(() => readRequired({}, 'CLIENT_ID', 'Set CLIENT_ID to the client this worker serves')).toThrow(/CLIENT_ID: is not set\. Set CLIENT_ID/);
  });
});
