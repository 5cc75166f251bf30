import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireFileLock, withFileLock } from '../../src/io/file-lock.js';

const until = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 20));
};

describe('io/file-lock: a lock taken over while held', () => {
  it('assertHeld throws once another process has replaced the lock file', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'lock-')), 'x.lock');
    const lock = await acquireFileLock(path, { staleMs: 400 });
    expect(() => lock.assertHeld()).not.toThrow();
    // What a waiter does when it judges us stale: its own holder record in our place.
    const mine = readFileSync(path, 'utf8');
    writeFileSync(path, `${JSON.stringify({ pid: 1, hostname: 'elsewhere', createdAt: '', nonce: 'theirs' })}\n`);
    let lost = false;
    await until(() => {
      try {
        lock.assertHeld();
        return false;
      } catch (error) {
        lost = /lost the lock .*another process took it over/.test((error as Error).message);
        return true;
      }
    });
    expect(lost).toBe(true);
    await lock.release();
    // Release leaves the new holder's file alone.
    expect(readFileSync(path, 'utf8')).not.toBe(mine);
    expect(readFileSync(path, 'utf8')).toContain('theirs');
  });

  it('withFileLock discards the result of work whose lock was lost', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'lock-')), 'manifest.json');
    const run = withFileLock(
      file,
      async () => {
        writeFileSync(
          `${file}.lock`,
          `${JSON.stringify({ pid: 1, hostname: 'elsewhere', createdAt: '', nonce: 'x' })}\n`,
        );
        await new Promise((resolve) => setTimeout(resolve, 2000));
        return 'written';
      },
      { staleMs: 400 },
    );
    await expect(run).rejects.toThrow(/lost the lock/);
  });
});
