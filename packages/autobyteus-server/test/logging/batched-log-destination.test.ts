import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The batched destination in a child process of its own, writing to a real pipe: lines arrive in
// order and whole, the last ones at exit, and a pipe nobody reads any more does not hang the exit.
const MODULE = join(import.meta.dirname, '..', '..', 'dist', 'logging', 'batched-log-destination.js');

function child(script: string) {
  const source = `import { BatchedLogDestination } from ${JSON.stringify(MODULE)};\n${script}`;
  return spawn(process.execPath, ['--input-type=module', '-e', source], { stdio: ['ignore', 'pipe', 'pipe'] });
}

function exitOf(proc: ReturnType<typeof child>): Promise<number | null> {
  return new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
}

describe('BatchedLogDestination', () => {
  it('writes every line in order, a batch over 4 KB at once and the rest at exit', async () => {
    const proc = child(`
      const d = new BatchedLogDestination(1);
      for (let i = 0; i < 500; i++) d.write('line ' + i + ' ' + 'x'.repeat(40) + '\\n');
      await new Promise((r) => setTimeout(r, 20));
      d.write('last\\n');
      process.exit(0);
    `);
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    expect(await exitOf(proc)).toBe(0);
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(501);
    expect(lines.slice(0, 500).every((line, i) => line.startsWith(`line ${i} `))).toBe(true);
    expect(lines.at(-1)).toBe('last');
  });

  it('exits when its pipe has no reader any more, with lines still gathered', async () => {
    const proc = child(`
      const d = new BatchedLogDestination(1);
      process.stdin.resume();
      // Wait until the parent has closed the pipe, then log into it and exit at once.
      await new Promise((r) => setTimeout(r, 300));
      for (let i = 0; i < 10; i++) d.write('after the reader left ' + i + '\\n');
      process.exit(0);
    `);
    proc.stdout.destroy();
    expect(await exitOf(proc)).toBe(0);
  });
});
