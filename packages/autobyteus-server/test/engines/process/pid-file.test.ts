import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newEngineKey } from '../../../src/engines/process/engine-key.js';
import { PidFile } from '../../../src/engines/process/pid-file.js';

function pidFile(): PidFile {
  return new PidFile(join(mkdtempSync(join(tmpdir(), 'pid-file-')), 'run'), 'llama-cpp', 18000);
}

describe('PID file records', () => {
  it('records the pid and the key as JSON, mode 0600, and reads them back', () => {
    const file = pidFile();
    const key = newEngineKey();
    file.write(4242, key);
    expect(statSync(file.path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file.path, 'utf8'))).toEqual({ pid: 4242, apiKey: key });
    expect(file.readRecord()).toEqual({ pid: 4242, apiKey: key });
    expect(file.read()).toBe(4242);
    file.write(4243);
    expect(file.readRecord()).toEqual({ pid: 4243 });
  });

  it('reads a bare pid (the format before keys) without a key', () => {
    const file = pidFile();
    file.write(1);
    writeFileSync(file.path, '777\n');
    expect(file.readRecord()).toEqual({ pid: 777 });
  });

  it('drops a malformed key, and any key in a file others can read', () => {
    const file = pidFile();
    file.write(5, newEngineKey());
    writeFileSync(file.path, JSON.stringify({ pid: 5, apiKey: 'short' }));
    expect(file.readRecord()).toEqual({ pid: 5 });
    writeFileSync(file.path, JSON.stringify({ pid: 5, apiKey: 'A'.repeat(43) }));
    expect(file.readRecord()).toEqual({ pid: 5, apiKey: 'A'.repeat(43) });
    chmodSync(file.path, 0o644);
    expect(file.readRecord()).toEqual({ pid: 5 });
  });

  it('reads nothing from a file without a valid pid', () => {
    const file = pidFile();
    file.write(5);
    for (const text of ['', 'garbage', '{"pid":-3}', '{"pid":"5"}', '[5]', '{"apiKey":"x"}']) {
      writeFileSync(file.path, text);
      expect(file.readRecord(), text).toBeUndefined();
    }
  });

  it('makes a different key for every launch', () => {
    const keys = new Set(Array.from({ length: 50 }, () => newEngineKey()));
    expect(keys.size).toBe(50);
    for (const key of keys) expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
