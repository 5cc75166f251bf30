import { ValueRejected } from './value-rejected.js';

/**
 * Decimal (SI) and binary (IEC) units, largest first; a bare number is bytes. Single letters (k, M, G) are
 * refused because tools disagree on whether they mean 1000 or 1024.
 */
const UNITS: ReadonlyArray<readonly [label: string, bytes: number]> = [
  ['TiB', 2 ** 40],
  ['TB', 1e12],
  ['GiB', 2 ** 30],
  ['GB', 1e9],
  ['MiB', 2 ** 20],
  ['MB', 1e6],
  ['KiB', 2 ** 10],
  ['KB', 1e3],
  ['B', 1],
];
const BY_NAME = new Map(UNITS.map(([label, bytes]) => [label.toLowerCase(), bytes]));

/** What a size looks like, for refusal messages. */
export const BYTE_SIZE_EXPECTED =
  'a size such as 8GB, 512MiB or 1.5GiB (KB, MB, GB, TB = powers of 1000; KiB, MiB, GiB, TiB = powers of 1024; a bare number is bytes)';

/** Parses a size with units (`8GB`, `512MiB`, `1.5 GiB`, `1048576`) into whole bytes, rounding down. Throws `ValueRejected`. */
export function parseByteSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/.exec(text.trim().toLowerCase());
  const size = match ? BY_NAME.get(match[2] || 'b') : undefined;
  if (!match || size === undefined) throw new ValueRejected(BYTE_SIZE_EXPECTED);
  const bytes = Math.floor(Number(match[1]) * size);
  if (!Number.isSafeInteger(bytes)) throw new ValueRejected(BYTE_SIZE_EXPECTED);
  return bytes;
}

/** Bytes in the largest unit that states them exactly (`8GB`, `512MiB`, `1000B`), for display. */
export function formatByteSize(bytes: number): string {
  const [label, size] = UNITS.find(([, size]) => bytes >= size && bytes % size === 0) ?? ['B', 1];
  return `${bytes / size}${label}`;
}
