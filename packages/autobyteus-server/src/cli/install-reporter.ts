import type { InstallReporter } from '../engines/engine-installer.js';
import { TerminalLine } from '../logging/terminal-line.js';

/**
 * Install and build progress on stderr: a live percentage on a terminal, a line per 10% elsewhere.
 * On a terminal the percentage is `line`, the live line the logger also knows, so log lines printed
 * meanwhile appear above it instead of inside it.
 */
export function stderrReporter(line: TerminalLine = new TerminalLine(process.stderr)): InstallReporter {
  const tty = process.stderr.isTTY === true;
  let lastStep = -1;
  let lastDetail = '';
  return {
    log(message: string) {
      line.end();
      lastStep = -1;
      process.stderr.write(`${message}\n`);
    },
    progress(fraction: number, detail = '') {
      const percent = Math.max(0, Math.min(100, Math.floor(fraction * 100)));
      if (tty) {
        line.show(`${detail} ${String(percent).padStart(3)}%`);
        return;
      }
      const step = Math.floor(percent / 10);
      if (step !== lastStep || detail !== lastDetail) {
        lastStep = step;
        lastDetail = detail;
        process.stderr.write(`${detail} ${percent}%\n`);
      }
    },
  };
}
