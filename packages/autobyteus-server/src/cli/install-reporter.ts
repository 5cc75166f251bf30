import type { InstallReporter } from '../engines/engine-installer.js';

/** Install and build progress on stderr: a live percentage on a terminal, a line per 10% elsewhere. */
export function stderrReporter(): InstallReporter {
  const tty = process.stderr.isTTY === true;
  let lastStep = -1;
  let lastDetail = '';
  return {
    log(message: string) {
      if (tty && lastStep >= 0) process.stderr.write('\n');
      lastStep = -1;
      process.stderr.write(`${message}\n`);
    },
    progress(fraction: number, detail = '') {
      const percent = Math.max(0, Math.min(100, Math.floor(fraction * 100)));
      if (tty) {
        process.stderr.write(`\r${detail} ${String(percent).padStart(3)}%`);
        lastStep = percent;
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
