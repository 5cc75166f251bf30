import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS } from '../../src/config/config-keys.js';
import { ConfigError, loadServerConfig } from '../../src/config/server-config.js';
import { chooseLogFormat } from '../../src/logging/log-format.js';

describe('chooseLogFormat', () => {
  it('auto: readable lines on a terminal, JSON when the log is piped or written to a file', () => {
    expect(chooseLogFormat('auto', true)).toBe('pretty');
    expect(chooseLogFormat('auto', false)).toBe('json');
  });

  it('LOG_FORMAT=json|pretty decides whatever the stream is', () => {
    expect(chooseLogFormat('json', true)).toBe('json');
    expect(chooseLogFormat('json', false)).toBe('json');
    expect(chooseLogFormat('pretty', false)).toBe('pretty');
    expect(chooseLogFormat('pretty', true)).toBe('pretty');
  });
});

describe('the LOG_FORMAT key', () => {
  const home = () => mkdtempSync(join(tmpdir(), 'autobyteus-logformat-'));

  it('is declared once, with auto as its default', () => {
    const rows = CONFIG_KEYS.filter((key) => key.env === 'LOG_FORMAT');
    expect(rows).toEqual([expect.objectContaining({ toml: 'server.log_format', default: 'auto' })]);
    expect(rows[0]?.values).toEqual(['auto', 'json', 'pretty']);
  });

  it('reads from the environment, and a bad value is refused naming key and choices', () => {
    const dir = home();
    expect(loadServerConfig({ env: { AUTOBYTEUS_HOME: dir }, cwd: dir }).values.LOG_FORMAT).toBe('auto');
    expect(loadServerConfig({ env: { AUTOBYTEUS_HOME: dir, LOG_FORMAT: 'pretty' }, cwd: dir }).values.LOG_FORMAT).toBe(
      'pretty',
    );
    let error: unknown;
    try {
      loadServerConfig({ env: { AUTOBYTEUS_HOME: dir, LOG_FORMAT: 'fancy' }, cwd: dir });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/LOG_FORMAT.*fancy/s);
    expect((error as Error).message).toMatch(/auto.*json.*pretty/s);
  });
});
