import { describe, expect, it } from 'vitest';
import { chooseMember } from '../../src/routing/choose-member.js';

const member = (key: string, inFlight: number, slots: number, available = true) => ({
  key,
  inFlight,
  slots,
  available,
});

describe('chooseMember', () => {
  it('picks the host with the fewest requests in flight relative to its slots', () => {
    const picked = chooseMember([member('a', 2, 4), member('b', 1, 1), member('c', 1, 4)], new Set());
    expect(picked?.key).toBe('c');
  });

  it('skips unavailable, tried and full hosts', () => {
    const hosts = [member('a', 0, 1, false), member('b', 0, 2), member('c', 1, 1)];
    expect(chooseMember(hosts, new Set(['b']))).toBeUndefined();
    expect(chooseMember(hosts, new Set())?.key).toBe('b');
  });

  it('takes turns between equal hosts', () => {
    const hosts = [member('a', 0, 1), member('b', 0, 1)];
    expect([0, 1, 2, 3].map((turn) => chooseMember(hosts, new Set(), turn)?.key)).toEqual(['a', 'b', 'a', 'b']);
  });

  it('spreads in proportion to slots when filled one request at a time', () => {
    const hosts = [member('big', 0, 3), member('small', 0, 1)];
    for (let i = 0; i < 4; i++) {
      const pick = chooseMember(hosts, new Set(), i);
      if (pick) pick.inFlight += 1;
    }
    expect(hosts.map((h) => h.inFlight)).toEqual([3, 1]);
  });
});
