import { describe, expect, it } from 'vitest';
import { DURATION_NEVER, formatDuration, parseDuration } from '../../src/settings/duration.js';
import { parseSettingValue } from '../../src/settings/parse-setting-value.js';
import { ValueRejected } from '../../src/settings/value-rejected.js';

describe('parseDuration: Ollama-style durations in milliseconds', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['2m30s500ms', 150_500],
    ['250ms', 250],
    ['1.5h', 5_400_000],
    ['45', 45_000],
    [' 10M ', 600_000],
    ['0', 0],
    ['0s', 0],
    ['-0', 0],
  ])('%j is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('any negative duration means never (-1)', () => {
    for (const text of ['-1', '-5m', '-0.5s', '-1h30m']) expect(parseDuration(text), text).toBe(DURATION_NEVER);
    expect(DURATION_NEVER).toBe(-1);
  });

  it.each(['', ' ', 'abc', '5x', '5 m', 'm', '1h-30m', '--1', '1.s', '5d', '1e3', '99999999999999999999h'])(
    'refuses %j, saying what a duration looks like',
    (text) => {
      expect(() => parseDuration(text)).toThrow(ValueRejected);
      expect(() => parseDuration(text)).toThrow(/a duration such as 30s, 5m, 1h30m or 250ms/);
    },
  );

  it('reads back what formatDuration writes', () => {
    for (const ms of [0, 250, 30_000, 5_400_000, 3_723_004]) expect(parseDuration(formatDuration(ms))).toBe(ms);
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(-1)).toBe('never');
  });

  it('is the duration setting type: text or a TOML number, with the row wording on refusal', () => {
    const row = { env: 'X', toml: 'a.x', type: 'duration', description: 'x' } as const;
    expect(parseSettingValue(row, '1h30m')).toBe(5_400_000);
    expect(parseSettingValue(row, 30)).toBe(30_000);
    expect(parseSettingValue(row, -1)).toBe(-1);
    expect(() => parseSettingValue(row, true)).toThrow(/a duration such as/);
    expect(() => parseSettingValue({ ...row, expected: 'a keep-alive' }, 'soon')).toThrow(/^a keep-alive$/);
  });
});
