import { describe, expect, it } from 'vitest';
import { DownloadProgressBar, describeProgress, formatBytes, formatDuration } from '../../src/models/progress-bar.js';

/** A stand-in for stderr that records what was written. */
function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  const stream = {
    isTTY,
    columns: 120,
    write(chunk: string) {
      writes.push(chunk);
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  return { stream, writes, text: () => writes.join('') };
}

describe('progress formatting', () => {
  it('formats bytes, durations and a progress line with percent, rate and ETA', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(98_362_432)).toBe('98.4 MB');
    expect(formatBytes(1_073_741_824)).toBe('1.1 GB');
    expect(formatDuration(4.2)).toBe('4s');
    expect(formatDuration(185)).toBe('3m05s');
    expect(formatDuration(3720)).toBe('1h02m');
    expect(
      describeProgress({ label: 'a.gguf', received: 50_000_000, total: 100_000_000, bytesPerSec: 10_000_000 }),
    ).toBe('a.gguf 50.0% 50.0 MB / 100.0 MB 10.0 MB/s ETA 5s');
    expect(describeProgress({ label: 'a.gguf', received: 5_000, bytesPerSec: 0 })).toBe('a.gguf 5.0 kB 0 B/s');
  });
});

describe('DownloadProgressBar', () => {
  it('prints throttled plain lines when stderr is not a TTY, plus one at completion', () => {
    const { stream, writes } = fakeStream(false);
    const bar = new DownloadProgressBar({ stream, plainIntervalMs: 60_000 });
    for (let i = 1; i <= 10; i++) bar.update('m.gguf', i * 100, 1000, 500);
    bar.update('m.gguf', 1000, 1000, 500);
    bar.stop();
    expect(writes).toEqual(['m.gguf 10.0% 100 B / 1.0 kB 500 B/s ETA 2s\n', 'm.gguf 100.0% 1.0 kB / 1.0 kB 500 B/s\n']);
  });

  it('maps pull events: byte progress to the bar, messages to lines', () => {
    const { stream, writes } = fakeStream(false);
    const bar = new DownloadProgressBar({ stream });
    bar.onPullProgress({ phase: 'resolve', message: 'trying hf:a/b' });
    bar.onPullProgress({ phase: 'download', file: 'x.gguf', received: 10, total: 100, bytesPerSec: 5 });
    bar.onPullProgress({ phase: 'register', file: 'x.gguf' });
    expect(writes[0]).toBe('trying hf:a/b\n');
    expect(writes[1]).toContain('x.gguf 10.0%');
    expect(writes).toHaveLength(2);
  });

  it('draws a cli-progress bar with percent, bytes, rate and ETA on a TTY', () => {
    const { stream, text } = fakeStream(true);
    const bar = new DownloadProgressBar({ stream });
    bar.update('m.gguf', 250_000, 1_000_000, 125_000);
    bar.log('a message');
    bar.update('m.gguf', 500_000, 1_000_000, 125_000);
    bar.stop();
    const output = text();
    expect(output).toContain('m.gguf 50.0% 500.0 kB / 1.0 MB 125.0 kB/s ETA 4s');
    expect(output).toContain('a message');
    expect(output).toMatch(/[█░]{10,}/);
  });
});
