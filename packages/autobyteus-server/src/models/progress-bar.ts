import cliProgress from 'cli-progress';
import type { PullProgressEvent } from './pull-types.js';

export interface ProgressBarOptions {
  /** Where to draw (default `process.stderr`). */
  stream?: NodeJS.WriteStream;
  /** Force TTY (bar) or plain-line mode; default: `stream.isTTY`. */
  tty?: boolean;
  /** In plain mode, the least time between two lines for one file (default 2000 ms). */
  plainIntervalMs?: number;
}

interface BarPayload {
  label: string;
  received: number;
  total: number | undefined;
  bytesPerSec: number;
}

/**
 * Renders transfer progress for the CLI: percent, bytes, rate and ETA. On a TTY it is a live bar
 * (cli-progress) with messages logged above it; otherwise (logs, CI, pipes) a plain line per file at most
 * every `plainIntervalMs`, plus one when the file completes.
 */
export class DownloadProgressBar {
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private readonly plainIntervalMs: number;
  private multibar: cliProgress.MultiBar | undefined;
  private bar: cliProgress.SingleBar | undefined;
  private lastPlain = new Map<string, number>();

  constructor(options: ProgressBarOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.tty = options.tty ?? this.stream.isTTY === true;
    this.plainIntervalMs = options.plainIntervalMs ?? 2000;
  }

  /** Shows `received` of `total` bytes (total may be unknown) for `label` at `bytesPerSec`. */
  update(label: string, received: number, total: number | undefined, bytesPerSec: number): void {
    const payload: BarPayload = { label, received, total, bytesPerSec };
    if (!this.tty) {
      this.plainLine(payload);
      return;
    }
    if (!this.multibar) {
      this.multibar = new cliProgress.MultiBar(
        {
          stream: this.stream,
          format: (options, params, raw) => renderBar(options, params.progress, raw as BarPayload),
          hideCursor: true,
          barsize: 30,
          fps: 10,
        },
        cliProgress.Presets.shades_classic,
      );
    }
    const size = total ?? 0;
    if (!this.bar) this.bar = this.multibar.create(size, received, payload);
    else {
      if (this.bar.getTotal() !== size) this.bar.setTotal(size);
      this.bar.update(received, payload);
    }
  }

  /** Prints a message line (above the bar on a TTY). */
  log(message: string): void {
    if (this.multibar) this.multibar.log(`${message}\n`);
    else this.stream.write(`${message}\n`);
  }

  /** Feeds {@link import('./model-puller.js').pullModel}'s progress events into this renderer. */
  readonly onPullProgress = (event: PullProgressEvent): void => {
    if ((event.phase === 'download' || event.phase === 'extract') && event.received !== undefined) {
      const label = `${event.phase === 'extract' ? 'extract ' : ''}${event.file ?? ''}`;
      this.update(label, event.received, event.total, event.bytesPerSec ?? 0);
    } else if (event.message) {
      this.log(event.message);
    }
  };

  /** Stops the live bar (leaving its last state on screen). */
  stop(): void {
    // cli-progress's stop() drops log lines still buffered for the next redraw: draw once more first.
    this.multibar?.update();
    this.multibar?.stop();
    this.multibar = undefined;
    this.bar = undefined;
  }

  private plainLine(payload: BarPayload): void {
    const now = Date.now();
    const complete = payload.total !== undefined && payload.received >= payload.total;
    const last = this.lastPlain.get(payload.label);
    if (!complete && last !== undefined && now - last < this.plainIntervalMs) return;
    if (complete && last === Number.POSITIVE_INFINITY) return;
    this.lastPlain.set(payload.label, complete ? Number.POSITIVE_INFINITY : now);
    this.stream.write(`${describeProgress(payload)}\n`);
  }
}

function renderBar(options: cliProgress.Options, progress: number, payload: BarPayload): string {
  const bar = payload.total ? cliProgress.Format.BarFormat(Math.min(1, Math.max(0, progress)), options) : '';
  return `${bar ? `${bar} ` : ''}${describeProgress(payload)}`;
}

/** `label 45.2% 44.5 MB / 98.4 MB 12.3 MB/s ETA 4s` (percent and ETA only when the total is known). */
export function describeProgress(p: { label: string; received: number; total?: number; bytesPerSec: number }): string {
  const parts = [p.label];
  if (p.total) parts.push(`${((100 * p.received) / p.total).toFixed(1)}%`);
  parts.push(p.total !== undefined ? `${formatBytes(p.received)} / ${formatBytes(p.total)}` : formatBytes(p.received));
  parts.push(`${formatBytes(p.bytesPerSec)}/s`);
  if (p.total !== undefined && p.received < p.total) {
    parts.push(`ETA ${p.bytesPerSec > 0 ? formatDuration((p.total - p.received) / p.bytesPerSec) : '?'}`);
  }
  return parts.filter(Boolean).join(' ');
}

/** Decimal units, as download tools show them: `98.4 MB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** `4s`, `3m05s`, `1h02m`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
