import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CONFIG_KEYS } from '../../src/config/config-keys.js';
import { ConfigError, loadServerConfig } from '../../src/config/server-config.js';
import { chooseLogFormat } from '../../src/logging/log-format.js';
import { createTerminalLogger, type LogSettings } from '../../src/logging/terminal-logger.js';

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

describe('createTerminalLogger', () => {
  /** What a command's logger wrote to a file standing in for its stream. */
  async function written(settings: Partial<LogSettings>, isTTY: boolean): Promise<string> {
    const path = join(mkdtempSync(join(tmpdir(), 'autobyteus-terminal-log-')), 'out');
    const fd = openSync(path, 'w');
    const logger = createTerminalLogger(
      { LOG_LEVEL: 'info', LOG_PROMPTS: false, LOG_FORMAT: 'auto', ...settings },
      { fd, isTTY },
    );
    logger.info({ port: 18000 }, 'engine ready');
    if (isTTY) {
      // Written already: a terminal's destination is synchronous (the live line depends on it).
      expect(readFileSync(path, 'utf8')).toContain('engine ready');
    }
    // Elsewhere the destination is buffered: wait for the line before closing the file.
    await vi.waitFor(() => expect(readFileSync(path, 'utf8')).toMatch(/\n$/));
    closeSync(fd);
    return readFileSync(path, 'utf8');
  }

  it('a terminal gets coloured readable lines; anything else JSON; LOG_FORMAT overrides both ways', async () => {
    const ESC = String.fromCharCode(27);
    expect(await written({}, true)).toContain(`${ESC}[32mINFO${ESC}[39m`);
    expect(await written({}, true)).toMatch(/engine ready .*port=18000/);
    expect(JSON.parse(await written({}, false))).toMatchObject({ level: 30, msg: 'engine ready', port: 18000 });
    expect(JSON.parse(await written({ LOG_FORMAT: 'json' }, true))).toMatchObject({ msg: 'engine ready' });
    const forced = await written({ LOG_FORMAT: 'pretty' }, false);
    expect(forced).toMatch(/^\[[\d:.]+\] INFO: engine ready port=18000\n$/);
  });

  it('honours the level it is given over LOG_LEVEL (the CLI commands log warnings only)', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'autobyteus-terminal-log-')), 'out');
    const fd = openSync(path, 'w');
    const logger = createTerminalLogger(
      { LOG_LEVEL: 'info', LOG_PROMPTS: false, LOG_FORMAT: 'json' },
      { fd },
      {
        level: 'warn',
      },
    );
    logger.info('hidden');
    logger.warn('shown');
    await vi.waitFor(() => expect(readFileSync(path, 'utf8')).toContain('shown'));
    closeSync(fd);
    expect(readFileSync(path, 'utf8')).not.toContain('hidden');
    expect(readFileSync(path, 'utf8')).toContain('shown');
  });
});
