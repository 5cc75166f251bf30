/** A stream a {@link TerminalLine} draws on (a TTY's `process.stderr`, or a test's sink). */
export interface LineOutput {
  write(text: string): unknown;
}

/** Return to the line start and erase it (ECMA-48 CR + EL 2). */
const ERASE_LINE = '\r\u001b[2K';

/**
 * The one live line on a terminal (an install or build percentage redrawn in place). Whatever else
 * writes to the same terminal (log lines) goes through {@link around}: the live line is erased, the
 * text written, and the live line drawn again below it, so a log line never lands in the middle of
 * `build  45%`. Pass the same instance to the progress reporter and the logger.
 */
export class TerminalLine {
  private text = '';

  constructor(private readonly out: LineOutput) {}

  /** Draws `text` in place of the current live line. */
  show(text: string): void {
    this.text = text;
    this.out.write(`${ERASE_LINE}${text}`);
  }

  /** Leaves the live line on screen as it is and moves below it; the next {@link show} starts a new one. */
  end(): void {
    if (!this.text) return;
    this.text = '';
    this.out.write('\n');
  }

  /** True while a live line is on screen. */
  get active(): boolean {
    return this.text !== '';
  }

  /** Runs `write` (which prints whole lines) with the live line out of the way, then redraws it. */
  around(write: () => void): void {
    if (!this.text) {
      write();
      return;
    }
    this.out.write(ERASE_LINE);
    try {
      write();
    } finally {
      this.out.write(this.text);
    }
  }
}
