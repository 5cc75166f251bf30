import { describe, expect, it } from 'vitest';
import { formatByteSize, parseByteSize } from '../../src/settings/byte-size.js';
import { parseSettingValue } from '../../src/settings/parse-setting-value.js';
import { ValueRejected } from '../../src/settings/value-rejected.js';

describe('parseByteSize: sizes with SI and IEC units, in bytes', () => {
  it.each([
    ['8GB', 8e9],
    ['8gb', 8e9],
    ['512MiB', 512 * 2 ** 20],
    ['1.5GiB', 1.5 * 2 ** 30],
    ['2 TB', 2e12],
    ['1KiB', 1024],
    ['1KB', 1000],
    ['100B', 100],
    ['1048576', 1_048_576],
    ['0', 0],
    ['1.9B', 1],
  ])('%j is %d bytes', (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
  });

  it.each(['', 'lots', '-1GB', '8G', '8 k', '1e9', 'GB', '8GB8', '99999999999TiB'])('refuses %j', (text) => {
    expect(() => parseByteSize(text)).toThrow(ValueRejected);
    expect(() => parseByteSize(text)).toThrow(/a size such as 8GB, 512MiB/);
  });

  it('formats in the largest unit that is exact, and reads that back', () => {
    expect(formatByteSize(8e9)).toBe('8GB');
    expect(formatByteSize(512 * 2 ** 20)).toBe('512MiB');
    expect(formatByteSize(1001)).toBe('1001B');
    expect(formatByteSize(0)).toBe('0B');
    for (const bytes of [0, 1001, 8e9, 3 * 2 ** 30]) expect(parseByteSize(formatByteSize(bytes))).toBe(bytes);
  });

  it('is the bytes setting type: text or a TOML number of bytes', () => {
    const row = { env: 'X', toml: 'a.x', type: 'bytes', description: 'x' } as const;
    expect(parseSettingValue(row, '8GB')).toBe(8e9);
    expect(parseSettingValue(row, 4096)).toBe(4096);
    expect(() => parseSettingValue(row, ['8GB'])).toThrow(/a size such as/);
  });
});
