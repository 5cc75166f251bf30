import { describe, expect, it } from 'vitest';
import { createServerLogger } from '../../src/logging/server-logger.js';
import { TerminalLine } from '../../src/logging/terminal-line.js';

const ERASE = '\r\u001b[2K';

describe('TerminalLine', () => {
  it('redraws a live line in place, and a log line goes above it, not into it', () => {
    let screen = '';
    const line = new TerminalLine({ write: (text: string) => (screen += text) });
    const logger = createServerLogger({
      level: 'info',
      logPrompts: false,
      format: 'pretty',
      destination: { write: (text: string) => void (screen += text) },
      terminalLine: line,
    });
    line.show('build  45%');
    logger.info('engine launched');
    line.show('build  46%');
    line.end();
    expect(screen).toMatch(
      new RegExp(
        `^${escape(ERASE)}build  45%${escape(ERASE)}\\[[^\\]]+\\] INFO: engine launched\\nbuild  45%${escape(ERASE)}build  46%\\n$`,
      ),
    );
  });

  it('with no live line, writes pass straight through and end() prints nothing', () => {
    let screen = '';
    const line = new TerminalLine({ write: (text: string) => (screen += text) });
    line.around(() => (screen += 'a log line\n'));
    line.end();
    expect(screen).toBe('a log line\n');
    expect(line.active).toBe(false);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
