import { describe, expect, it } from 'vitest';
import { createServerLogger } from '../../src/logging/server-logger.js';
import { TerminalLine } from '../../src/logging/terminal-line.js';

const ERASE = '\r\u001b[2K';

describe('TerminalLine', () => {
  it('redraws a live line in place, and a log line goes above it, not into it', () => {
    let screen = '';
    const write = (text: string) => {
      screen += text;
    };
    const line = new TerminalLine({ write });
    const logger = createServerLogger({
      level: 'info',
      logPrompts: false,
      format: 'pretty',
      destination: { write },
      terminalLine: line,
    });
    line.show('build  45%');
    logger.info('engine launched');
    line.show('build  46%');
    line.end();
    expect(screen).toMatch(
      new RegExp(
        `^${literal(ERASE)}build  45%${literal(ERASE)}\\[[^\\]]+\\] INFO: engine launched\\nbuild  45%${literal(ERASE)}build  46%\\n$`,
      ),
    );
  });

  it('with no live line, writes pass straight through and end() prints nothing', () => {
    let screen = '';
    const write = (text: string) => {
      screen += text;
    };
    const line = new TerminalLine({ write });
    line.around(() => write('a log line\n'));
    line.end();
    expect(screen).toBe('a log line\n');
    expect(line.active).toBe(false);
  });
});

function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
