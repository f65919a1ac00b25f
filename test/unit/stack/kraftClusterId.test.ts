import { kraftClusterId } from '../../../src/stack/localStack';

describe('kraftClusterId', () => {
  it('draws again when the id would start with "-", which kafka-storage reads as an option', () => {
    // 0xF8 = 111110xx: the first base64url digit is 62, '-'.
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x41)];
    const random = jest.fn(() => draws.shift() as Buffer);
    const id = kraftClusterId(random);
    expect(random).toHaveBeenCalledTimes(2);
    expect(id).toBe(Buffer.alloc(16, 0x41).toString('base64url'));
    expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });

  it('keeps a first draw that does not start with "-"', () => {
    const random = jest.fn(() => Buffer.alloc(16, 0));
    expect(kraftClusterId(random)).toBe('AAAAAAAAAAAAAAAAAAAAAA');
    expect(random).toHaveBeenCalledTimes(1);
  });
});
