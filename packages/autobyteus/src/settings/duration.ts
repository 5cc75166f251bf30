import { ValueRejected } from './value-rejected.js';

/** The value a negative duration stands for: never (e.g. keep a model loaded forever). */
export const DURATION_NEVER = -1;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** What a duration looks like, for refusal messages. */
export const DURATION_EXPECTED =
  'a duration such as 30s, 5m, 1h30m or 250ms (units ms, s, m, h; a bare number is seconds; 0 = none; negative = never)';

/**
 * Parses an Ollama-style duration into milliseconds: `30s`, `5m`, `1h30m`, `250ms`, `1.5h`; a bare number
 * is seconds. Any negative duration (`-1`, `-5m`) means "never" and returns -1 (`DURATION_NEVER`), as Ollama's
 * keep_alive does. Fractions of a millisecond are rounded. Throws `ValueRejected` naming the accepted forms.
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim().toLowerCase();
  const negative = trimmed.startsWith('-');
  const body = negative ? trimmed.slice(1) : trimmed;
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(body)) {
    ms = Number(body) * UNIT_MS.s!;
  } else if (/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(body)) {
    ms = 0;
    for (const [, amount, unit] of body.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(amount) * UNIT_MS[unit!]!;
  } else {
    throw new ValueRejected(DURATION_EXPECTED);
  }
  ms = Math.round(ms);
  if (!Number.isSafeInteger(ms)) throw new ValueRejected(DURATION_EXPECTED);
  return negative && ms > 0 ? DURATION_NEVER : ms;
}

/** A duration in milliseconds as `parseDuration` reads it back: `1h30m`, `250ms`, `0s`; negative = `never`. */
export function formatDuration(ms: number): string {
  if (ms < 0) return 'never';
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const unit of ['h', 'm', 's', 'ms'] as const) {
    const size = UNIT_MS[unit]!;
    const count = Math.floor(rest / size);
    if (count) out += `${count}${unit}`;
    rest -= count * size;
  }
  return out;
}
